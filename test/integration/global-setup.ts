// vitest globalSetup: installs the npm fixtures' dependencies from their lock files once, so that
// each runs exactly what its package-lock.json pins: test/fixtures/real-world (a realistic
// function) and test/fixtures/invoke-store (AWS SDK v3 and @aws/lambda-invoke-store).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const NPM_FIXTURES = ['real-world', 'invoke-store'] as const;

/** `npm ci` in test/fixtures/<name> unless it is installed already. */
export function installNpmFixture(name: (typeof NPM_FIXTURES)[number]): void {
  const dir = join(FIXTURES, name);
  if (existsSync(join(dir, 'node_modules', '.package-lock.json'))) return;
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  } catch (error) {
    throw new Error(
      `installing test/fixtures/${name} failed (npm ci in ${dir}): ${String(error)}. ` +
        `It needs the npm registry; run \`npm ci --prefix test/fixtures/${name}\` by hand to see why.`,
    );
  }
}

export default function setup(): void {
  for (const name of NPM_FIXTURES) installNpmFixture(name);
}
