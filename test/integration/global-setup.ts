// vitest globalSetup: installs the real-world fixture's dependencies from its lock file once,
// so that test/fixtures/real-world runs exactly what its package-lock.json pins.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REAL_WORLD = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'real-world');

export default function setup(): void {
  if (existsSync(join(REAL_WORLD, 'node_modules', '.package-lock.json'))) return;
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: REAL_WORLD, stdio: 'inherit' });
  } catch (error) {
    throw new Error(
      `installing test/fixtures/real-world failed (npm ci in ${REAL_WORLD}): ${String(error)}. ` +
        'It needs the npm registry; run `npm ci --prefix test/fixtures/real-world` by hand to see why.',
    );
  }
}
