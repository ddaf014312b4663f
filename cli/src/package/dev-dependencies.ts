// Which installed packages of a function only its devDependencies need, so that `package` leaves
// them out of the zip (the tool itself, test runners, bundlers, type definitions): what a
// production install (`npm ci --omit=dev`, `sam build`) would not have put there.
// The source is npm's own record: the lock file's `packages` map (lockfileVersion 2 and 3) marks
// every package reachable only through devDependencies with `"dev": true`
// (https://docs.npmjs.com/cli/configuring-npm/package-lock-json#packages). `package-lock.json`
// first, else npm's hidden lock file `node_modules/.package-lock.json`, which npm writes with the
// same flags. No lock file (yarn, pnpm, a hand-made node_modules): nothing is left out.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

interface LockPackage {
  dev?: boolean;
  bin?: string | Record<string, string>;
  name?: string;
}

export interface DevDependencies {
  /** The lock file the flags were read from, relative to the function folder. */
  lockFile: string;
  /** Package names (as their folder under node_modules), sorted. */
  names: string[];
  /** Absolute paths to leave out: the packages' folders and their `node_modules/.bin` links. */
  paths: string[];
}

const LOCK_FILES = ['package-lock.json', join('node_modules', '.package-lock.json')];

/**
 * The dev-only packages installed in `functionDir` (absolute), or undefined when npm left no lock
 * file there or it has no `packages` map. Never throws: an unreadable lock file counts as none.
 */
export function devOnlyPackages(functionDir: string): DevDependencies | undefined {
  for (const lockFile of LOCK_FILES) {
    const path = join(functionDir, lockFile);
    if (!existsSync(path)) continue;
    let packages: Record<string, LockPackage> | undefined;
    try {
      packages = (JSON.parse(readFileSync(path, 'utf8')) as { packages?: Record<string, LockPackage> }).packages;
    } catch {
      return undefined;
    }
    if (packages === undefined) return undefined;
    const names: string[] = [];
    const paths: string[] = [];
    for (const [key, entry] of Object.entries(packages)) {
      // Keys are install locations: "node_modules/a", "node_modules/a/node_modules/b".
      if (!key.startsWith('node_modules/') || entry.dev !== true) continue;
      const folder = join(functionDir, ...key.split('/'));
      if (!existsSync(folder)) continue;
      const at = key.lastIndexOf('node_modules/');
      const name = key.slice(at + 'node_modules/'.length);
      names.push(name);
      paths.push(folder);
      // npm links a package's executables into the .bin folder of the node_modules holding it.
      const binDir = join(functionDir, ...posix.join(key.slice(0, at), 'node_modules', '.bin').split('/'));
      const bins = typeof entry.bin === 'string' ? [name.split('/').pop()!] : Object.keys(entry.bin ?? {});
      for (const bin of bins) paths.push(join(binDir, bin));
    }
    return { lockFile, names: names.sort(), paths };
  }
  return undefined;
}
