// Shared by the build tests: where the built binary is, and a clear failure when it is missing.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const distBootstrap = resolve(repoRoot, 'dist/bootstrap');

export function requireBinary(path = distBootstrap): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: run make bootstrap first`);
  return path;
}
