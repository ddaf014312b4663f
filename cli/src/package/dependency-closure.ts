// What `lambda-bootstrap package` ships under the zip's node_modules: the function's production
// dependency closure, resolved the way Node resolves it, laid out so that Node finds the same
// packages in /var/task alone.
//
// Why Node's own resolution and not a package manager's record: every layout a user can have —
// npm's hoisted tree, a `node_modules` in a parent folder (a project root above `./src`), npm, yarn
// and pnpm workspaces, pnpm's symlinked `.pnpm` store, `file:` links and `npm link` — is, at run
// time, read by exactly one algorithm: for a bare name, `<dir>/node_modules/<name>` in the importing
// file's folder and every parent, symlinks followed to their real path (Node's default). Following
// that algorithm from the function folder, and from each package's real folder for its own
// dependencies, covers all of them with one rule; @npmcli/arborist understands npm's layouts only
// (not pnpm's store) and would add ~90 packages to the tool. Which names to follow is the
// package manager's production set: `dependencies`, `optionalDependencies` and the installed
// `peerDependencies` of the function folder's package.json (the same manifest a production install
// such as `npm ci --omit=dev` or `sam build` reads), then of each package's own package.json, never
// `devDependencies`. A package.json above the folder (a project root over ./src) serves more than
// the function, so there only the packages the handler imports are roots. Bare imports of the handler's own code (esbuild's scan, dependency-imports.ts)
// are roots too, so an undeclared import is shipped when it is installed, and named when it is not.
//
// The zip's node_modules is rebuilt from that closure as real files (no symbolic links, which
// would point outside the zip): each package goes to `node_modules/<name>`, unless a different
// package of that name already sits where Node would find it first, in which case it nests under
// the package that wants it (`node_modules/a/node_modules/<name>`), as npm's own hoisting does.
// A package's files are those of its real folder except its own node_modules (their packages come
// through the closure) and VCS folders.
import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { EXECUTABLE_MODE, FILE_MODE } from '../../../build/zip.ts';
import type { ZipEntry } from '../../../build/zip.ts';
import { isBuildLitter } from './native-addons.ts';

/** Folders never copied out of a package. */
const SKIPPED_IN_PACKAGES = new Set(['.git', '.hg', '.svn', 'node_modules']);

export interface PackageManifest {
  name?: string;
  type?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** A bare import of the function's own code, with the file that has it. */
export interface RootImport {
  name: string;
  /** Absolute path of the importing file. */
  importer: string;
}

export interface ClosurePackage {
  name: string;
  /** Where it goes in the zip, e.g. `node_modules/a/node_modules/b`. */
  zipDir: string;
  /** Its real folder on this machine. */
  source: string;
  /** Who wants it: a package.json path, an importing file, or another package's zipDir. */
  wantedBy: string;
  /** True when Node found it outside the function folder (a parent's node_modules, a link out). */
  outside: boolean;
}

export interface MissingDependency {
  name: string;
  wantedBy: string;
  /** optionalDependencies and optional peers are allowed to be missing (another platform's). */
  optional: boolean;
}

export interface DependencyClosure {
  /** The package.json whose dependencies were the roots, or undefined when there is none. */
  manifest: string | undefined;
  packages: ClosurePackage[];
  missing: MissingDependency[];
  /** The packages' files as zip entries (not sorted). */
  entries: ZipEntry[];
  /** Installed packages of the function's own node_modules that the closure does not reach. */
  leftOut: string[];
}

/** The package name of a bare specifier: `a/b` → `a`, `@s/a/b` → `@s/a`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function readManifest(path: string): PackageManifest | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PackageManifest;
  } catch {
    return undefined;
  }
}

/** The nearest package.json at or above `dir` (absolute), as Node looks one up. */
export function nearestManifest(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'package.json');
    if (basename(at) !== 'node_modules' && existsSync(candidate)) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

/**
 * The folder Node finds for the bare name `name` imported from a file in `fromDir`: the first
 * `node_modules/<name>` folder of `fromDir` and its parents (Node's LOAD_NODE_MODULES), or
 * undefined. The path is as found, before symlinks are followed.
 */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let at = fromDir; ; at = dirname(at)) {
    if (basename(at) !== 'node_modules') {
      const candidate = join(at, 'node_modules', name);
      try {
        if (statSync(candidate).isDirectory()) return candidate;
      } catch {
        // not here: the parent folder next
      }
    }
    if (dirname(at) === at) return undefined;
  }
}

const isInside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep);

/** One dependency edge of a manifest: the names it needs at run time, with whether each may be missing. */
function runtimeDependencies(manifest: PackageManifest): { name: string; optional: boolean; peer: boolean }[] {
  const out = new Map<string, { name: string; optional: boolean; peer: boolean }>();
  for (const name of Object.keys(manifest.dependencies ?? {})) out.set(name, { name, optional: false, peer: false });
  for (const name of Object.keys(manifest.optionalDependencies ?? {})) out.set(name, { name, optional: true, peer: false });
  for (const name of Object.keys(manifest.peerDependencies ?? {})) {
    // Peers are the installer's business: shipped when installed, never reported when not (npm 7+
    // installs them, older npm, yarn 1 and pnpm may leave them to the user).
    if (!out.has(name)) out.set(name, { name, optional: true, peer: true });
  }
  return [...out.values()];
}

/** Every file under `dir` (symlinks followed; VCS folders and its own node_modules left out). */
function packageFiles(dir: string, zipDir: string, entries: ZipEntry[], seen: Set<string>): void {
  // A node-gyp package (binding.gyp): of its build/ folder only what is loaded ships.
  const gyp = existsSync(join(dir, 'binding.gyp'));
  const walk = (at: string, zipAt: string, top: boolean): void => {
    const real = realpathSync(at);
    if (seen.has(real)) return; // a link cycle inside a package
    seen.add(real);
    for (const name of readdirSync(at).sort()) {
      if (SKIPPED_IN_PACKAGES.has(name) && (top || name !== 'node_modules')) continue;
      const path = join(at, name);
      let stat;
      try {
        stat = statSync(path);
      } catch {
        continue; // a dangling link inside a package: nothing Node could load either
      }
      if (stat.isDirectory()) walk(path, `${zipAt}/${name}`, false);
      else if (stat.isFile() && !(gyp && isBuildLitter(`${zipAt}/${name}`.slice(zipDir.length + 1)))) {
        entries.push({ name: `${zipAt}/${name}`, file: path, size: stat.size, mode: (stat.mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE });
      }
    }
    seen.delete(real);
  };
  walk(dir, zipDir, true);
}

/**
 * The production dependency closure of the function in `functionDir` (absolute), as zip entries
 * under `node_modules/`. Roots: `imports` (bare imports of the handler's code), and the
 * dependencies of the folder's own package.json; with no package.json at or above it, every
 * package in the folder's own node_modules. Never throws for a missing package: it is listed in
 * `missing` (the init check of verify-package.ts then decides). `importsOnly`: `imports` are the
 * only roots (--bundle ships only what the bundle left external). `withFiles` false: the packages
 * only, no file read (invoke's warning). Errors: fs errors reading a package.
 */
export function dependencyClosure(functionDir: string, imports: RootImport[] = [], importsOnly = false, withFiles = true): DependencyClosure {
  const root = resolve(functionDir);
  const realRoot = realpathSync(root);
  const manifestPath = nearestManifest(root);
  const manifest = manifestPath === undefined ? undefined : readManifest(manifestPath);
  const packages: ClosurePackage[] = [];
  const missing: MissingDependency[] = [];
  const entries: ZipEntry[] = [];
  // zipDir → the real folder placed there
  const placed = new Map<string, string>();
  const queue: { name: string; fromDir: string; parentZipDir: string; wantedBy: string; optional: boolean }[] = [];

  const roots: { name: string; fromDir: string; wantedBy: string; optional: boolean }[] = [];
  if (importsOnly) {
    // --bundle: only the packages left out of the bundle (native addons) are roots.
  } else if (manifest !== undefined && manifestPath !== undefined && dirname(manifestPath) !== root) {
    // The package.json is a parent folder's (a project root above ./src, a monorepo root): it
    // serves more than this function, so only what the handler imports ships (with its closure).
  } else if (manifest !== undefined && manifestPath !== undefined) {
    for (const dep of runtimeDependencies(manifest)) roots.push({ name: dep.name, fromDir: root, wantedBy: manifestPath, optional: dep.optional });
  } else {
    const own = join(root, 'node_modules');
    for (const name of existsSync(own) ? readdirSync(own) : []) {
      if (name.startsWith('.')) continue;
      const names = name.startsWith('@') ? readdirSync(join(own, name)).map((n) => `${name}/${n}`) : [name];
      for (const n of names) roots.push({ name: n, fromDir: root, wantedBy: own, optional: false });
    }
  }
  for (const imp of imports) roots.push({ name: imp.name, fromDir: dirname(imp.importer), wantedBy: imp.importer, optional: false });
  for (const r of roots) queue.push({ ...r, parentZipDir: '' });

  while (queue.length > 0) {
    const item = queue.shift()!;
    const found = resolvePackageDir(item.name, item.fromDir);
    if (found === undefined) {
      if (!missing.some((m) => m.name === item.name && m.wantedBy === item.wantedBy)) missing.push({ name: item.name, wantedBy: item.wantedBy, optional: item.optional });
      continue;
    }
    const source = realpathSync(found);
    // Where Node, running in the zip, would look first from the package that wants it.
    let zipDir: string | undefined;
    let conflict = false;
    for (let at = item.parentZipDir; ; at = at.includes('/node_modules/') ? at.slice(0, at.lastIndexOf('/node_modules/')) : '') {
      const candidate = at === '' ? `node_modules/${item.name}` : `${at}/node_modules/${item.name}`;
      const there = placed.get(candidate);
      if (there !== undefined) {
        if (there === source) zipDir = candidate;
        else conflict = true;
        break;
      }
      if (at === '') break;
    }
    if (zipDir !== undefined) continue; // already shipped where Node finds it
    zipDir = conflict && item.parentZipDir !== '' ? `${item.parentZipDir}/node_modules/${item.name}` : `node_modules/${item.name}`;
    if (placed.has(zipDir)) continue; // two roots of one name resolving differently: the first wins
    placed.set(zipDir, source);
    packages.push({ name: item.name, zipDir, source, wantedBy: item.wantedBy, outside: !isInside(found, join(root, 'node_modules')) || !isInside(source, realRoot) });
    if (withFiles) packageFiles(source, zipDir, entries, new Set());
    const own = readManifest(join(source, 'package.json'));
    for (const dep of own === undefined ? [] : runtimeDependencies(own)) {
      queue.push({ name: dep.name, fromDir: source, parentZipDir: zipDir, wantedBy: zipDir, optional: dep.optional });
    }
  }

  // What a production install would not have put in the function's own node_modules.
  const leftOut: string[] = [];
  const ownModules = join(root, 'node_modules');
  if (existsSync(ownModules)) {
    const shipped = new Set(packages.filter((p) => p.zipDir.split('/node_modules/').length === 1).map((p) => p.name));
    for (const name of readdirSync(ownModules).sort()) {
      if (name.startsWith('.')) continue;
      const names = name.startsWith('@') && lstatSync(join(ownModules, name)).isDirectory() ? readdirSync(join(ownModules, name)).map((n) => `${name}/${n}`) : [name];
      for (const n of names) if (!shipped.has(n)) leftOut.push(n);
    }
  }
  return { manifest: manifestPath, packages, missing, entries, leftOut };
}

/** `package.json` for the zip root when the function folder has none but the nearest one above
 * sets `"type"`: Node reads the module type of `.js` and `.ts` files from it, and in /var/task the
 * one above is gone. Undefined when nothing is needed. */
export function typeManifestEntry(functionDir: string): ZipEntry | undefined {
  const root = resolve(functionDir);
  if (existsSync(join(root, 'package.json'))) return undefined;
  const above = nearestManifest(root);
  const type = above === undefined ? undefined : readManifest(above)?.type;
  if (type === undefined) return undefined;
  return { name: 'package.json', data: Buffer.from(`${JSON.stringify({ type })}\n`), mode: FILE_MODE };
}

/** A path for messages: relative to `from` when inside it, else absolute. */
export function shown(path: string, from: string): string {
  const rel = relative(from, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}
