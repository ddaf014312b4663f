import { defineConfig } from 'vitest/config';

// Two projects: the runtime's own suites, and the differential parity suite (test/parity), whose
// global setup installs the parity functions and builds AWS's runtime client. Both run in
// `make test`; `vitest run --project parity` runs the parity suite alone.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'runtime',
          include: ['test/**/*.test.ts', 'emulator/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'test/fixtures/**', 'test/parity/**'],
          globalSetup: ['test/integration/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'parity',
          include: ['test/parity/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/parity/global-setup.ts'],
        },
      },
    ],
  },
});
