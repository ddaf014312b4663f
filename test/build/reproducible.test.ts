// The binary's bytes do not depend on where it is built (issue 10 item 6): the same sources built
// in two different directories (different lengths, so no path can hide in padding) give the same
// sha256, and the embedded script is named lambda-bootstrap/bootstrap.js in stack traces rather
// than the build machine's checkout. Runs the real build steps, build/bundle.ts and build/sea.ts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { EMBEDDED_SCRIPT_NAME, PINNED_NODE } from '../../build/sea.ts';
import { repoRoot } from './dist-binary.ts';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** Copies the runtime's sources (and its one bundled package) to `dir` and builds dist/bootstrap there. */
function buildIn(dir: string): Buffer {
  mkdirSync(dir, { recursive: true });
  for (const entry of ['bootstrap.ts', 'src', 'tsconfig.json', 'package.json']) {
    cpSync(join(repoRoot, entry), join(dir, entry), { recursive: true });
  }
  cpSync(join(repoRoot, 'node_modules/@aws/lambda-invoke-store'), join(dir, 'node_modules/@aws/lambda-invoke-store'), { recursive: true });
  const run = (script: string, args: string[]): void => {
    execFileSync(PINNED_NODE, [join(repoRoot, script), ...args], { cwd: dir, stdio: 'pipe' });
  };
  run('build/bundle.ts', [join(dir, 'bootstrap.ts'), join(dir, 'dist/bootstrap.js')]);
  run('build/sea.ts', ['--arch=x86_64', join(dir, 'dist/bootstrap.js'), join(dir, 'dist/bootstrap')]);
  return readFileSync(join(dir, 'dist/bootstrap'));
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

test('built in two directories: the same sha256, and no build path inside', { timeout: 900_000 }, () => {
  const a = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-build-a-'));
  const b = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-build-bb-'));
  roots.push(a, b);
  const first = buildIn(join(a, 'checkout'));
  const second = buildIn(join(b, 'elsewhere', 'checkout'));
  expect(sha256(second)).toBe(sha256(first));
  expect(first.includes(Buffer.from(a))).toBe(false);
  expect(first.includes(Buffer.from(repoRoot))).toBe(false);
  expect(first.includes(Buffer.from(EMBEDDED_SCRIPT_NAME))).toBe(true);
});
