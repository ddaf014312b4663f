// Where a package is and what its package.json says, as Node's resolution finds them: shared by
// the snapshot build's module list (snapshot.ts) and its choice of a package's file
// (commonjs-entry.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageName } from '../../src/pre-init/snapshot-modules.ts';

/**
 * The package.json of the package `specifier` names, as Node's resolution finds its folder: the
 * first node_modules/<name> from `fromDir` upwards (module.findPackageJSON is not in Node 20,
 * which runs the installed tool). Undefined when it is not installed.
 */
export function packageJsonOf(specifier: string, fromDir: string): string | undefined {
  const name = packageName(specifier);
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The fields of a package.json the snapshot build reads. */
export interface PackageJson {
  type?: unknown;
  module?: unknown;
  exports?: unknown;
}

/** `file` parsed, or undefined when it cannot be read or is not JSON. */
export function readPackageJson(file: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}
