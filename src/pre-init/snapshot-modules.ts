// Module resolution for a per-function snapshot executable (build/snapshot/snapshot.ts): the packages the
// handler imports were evaluated when the executable was built and live in its V8 startup
// snapshot; at start the handler's `import '@aws-sdk/client-s3'` (or `require`) must get those
// very module objects instead of loading the files again. Node's in-thread module hooks
// (module.registerHooks, Node 24) do it: `resolve` redirects only a specifier that lands inside the
// same package folder it was built from (so a nested copy of another version still loads from
// disk), found by Node's resolution or, from the function's own files, by where that resolution
// must land; `load` answers with a generated module that re-exports
// the snapshotted object. Everything else loads from disk, untouched.
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One package the handler imports, as build/snapshot/snapshot.ts recorded it. */
export interface SnapshotModule {
  specifier: string;
  /** 'import' (ESM `import`/`import()`: a namespace object) or 'require' (`module.exports`). */
  kind: 'import' | 'require';
  /** The package's folder relative to the task root, '/'-separated, e.g. node_modules/@middy/core. */
  packageDir: string;
  /**
   * The only names the snapshot holds of this package (build/snapshot/used-exports.ts): those the
   * function's own files import. Absent: the whole module. A narrowed package answers the function's
   * own files only; anything else that imports it (a package on disk) loads it from disk.
   */
  exports?: string[];
}

/**
 * The environment the dependencies were evaluated with, as far as they looked at it: `reads` holds
 * every variable they read at load with a digest of the build's value (envDigest; null: unset),
 * `writes` what they set (null: deleted). The snapshot is only what `import` would have produced
 * when the sandbox's environment has the same values at the moment the handler imports them.
 * Digests, not values: the guard ships inside the executable, which anyone who may download the
 * function's code can read (issue 20); `salt` is drawn per build, so equal values of two builds
 * or two variables give different digests.
 */
export interface SnapshotEnvironment {
  salt: string;
  reads: Readonly<Record<string, string | null>>;
  writes: Readonly<Record<string, string | null>>;
}

/** SHA-256 (hex) of the build's salt, the variable's name and its value, NUL-separated. */
export function envDigest(salt: string, name: string, value: string): string {
  return createHash('sha256').update(`${salt}\0${name}\0${value}`).digest('hex');
}

/**
 * With init at build (src/pre-init/init-at-build.ts): the handler's module file, relative to the
 * task root ('/'-separated), and how the runtime loads it ('require' for .cjs/.cts, else 'import').
 * Its module object is the registry's HANDLER_KEY entry, its after-restore hooks AFTER_RESTORE_KEY's.
 */
export interface SnapshotHandler {
  file: string;
  kind: SnapshotModule['kind'];
}

export const HANDLER_KEY = 'handler';
export const AFTER_RESTORE_KEY = 'after-restore';

/** What the snapshot holds: the manifest and, per `${kind}:${specifier}`, the evaluated module. */
export interface SnapshotContents {
  modules: readonly SnapshotModule[];
  registry: ReadonlyMap<string, unknown>;
  environment: SnapshotEnvironment;
  handler?: SnapshotHandler | undefined;
}

/** Thrown by the first import of a snapshotted package when the guard fails: the init error. */
export class SnapshotEnvironmentError extends Error {
  override readonly name = 'Runtime.SnapshotEnvironmentMismatch';
}

/**
 * Checks the guard against `env`; on success applies the dependencies' writes. Returns the error
 * naming every variable that differs, and never a value (neither the build's, which the guard
 * does not know, nor the sandbox's: init errors reach the logs and the invoker).
 */
export function applySnapshotEnvironment(environment: SnapshotEnvironment, env: NodeJS.ProcessEnv, specifier: string, isHandler = false): SnapshotEnvironmentError | undefined {
  const differ: string[] = [];
  for (const [key, built] of Object.entries(environment.reads)) {
    const here = env[key];
    if (built === null && here === undefined) continue;
    if (built !== null && here !== undefined && envDigest(environment.salt, key, here) === built) continue;
    if (built === null) differ.push(`${key} (unset when it was built, set here)`);
    else if (here === undefined) differ.push(`${key} (set when it was built, unset here)`);
    else differ.push(`${key} (another value here than when it was built)`);
  }
  if (differ.length > 0) {
    return new SnapshotEnvironmentError(
      (isHandler
        ? `Cannot load the handler module '${specifier}' from this executable's startup snapshot (its init ran at build): its init or its dependencies read `
        : `Cannot import '${specifier}' from this executable's startup snapshot: its dependencies read `) +
        `${differ.join(', ')} while loading, ` +
        'so the snapshot holds what they computed from the build\'s values. Rebuild it with the values this function has ' +
        '(lambda-bootstrap package --snapshot --env NAME=VALUE, or build/snapshot/snapshot.ts --env), or deploy dist/bootstrap, which loads them at start.',
    );
  }
  for (const [key, value] of Object.entries(environment.writes)) {
    if (value === null) delete env[key];
    else env[key] = value;
  }
  return undefined;
}

const SCHEME = 'lambda-bootstrap-snapshot:';
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export function registryKey(kind: SnapshotModule['kind'], specifier: string): string {
  return `${kind}:${specifier}`;
}

/**
 * The ES module source that re-exports `namespace` (an ES module namespace as esbuild builds it:
 * named exports as own enumerable properties, `default` among them when there is one). Names that
 * are not identifiers are exported by string name.
 */
export function reexportSource(globalName: string, key: string, namespace: object): string {
  const lines = [`const ns = globalThis[${JSON.stringify(globalName)}].get(${JSON.stringify(key)});`];
  for (const name of Object.keys(namespace)) {
    const binding = IDENTIFIER.test(name) ? name : JSON.stringify(name);
    if (name === 'default') lines.push('export default ns.default;');
    else lines.push(`const e${lines.length} = ns[${JSON.stringify(name)}]; export { e${lines.length} as ${binding} };`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The module the runtime gets for the handler initialised at build, always an ES module (the
 * runtime import()s every handler file, as AWS's client does): the after-restore hooks run first,
 * awaited by its top-level await whatever the handler's module kind, and a failing one fails the
 * handler's load, so the runtime reports it as the init error (Runtime.AfterRestoreError). Then
 * the module object made at build: for a CommonJS handler, the namespace Node's import() of a
 * CommonJS file has (`default` and `module.exports` its exports object, each other own property a
 * named export).
 */
function handlerSource(globalName: string, kind: SnapshotModule['kind'], namespace: object): string {
  const registry = `globalThis[${JSON.stringify(globalName)}]`;
  const restore = `await ${registry}.get(${JSON.stringify(AFTER_RESTORE_KEY)}).async();\n`;
  return restore + (kind === 'require' ? commonjsReexportSource(globalName, HANDLER_KEY, namespace) : reexportSource(globalName, HANDLER_KEY, namespace));
}

/** The ES module source of a CommonJS module's exports object `exports` as Node's import() shows it. */
function commonjsReexportSource(globalName: string, key: string, exports: object): string {
  const lines = [`const cjs = globalThis[${JSON.stringify(globalName)}].get(${JSON.stringify(key)});`, 'export default cjs;', 'export { cjs as "module.exports" };'];
  for (const name of Object.keys(exports)) {
    if (name === 'default' || name === 'module.exports') continue;
    const binding = IDENTIFIER.test(name) ? name : JSON.stringify(name);
    lines.push(`const e${lines.length} = cjs[${JSON.stringify(name)}]; export { e${lines.length} as ${binding} };`);
  }
  return `${lines.join('\n')}\n`;
}

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** build/snapshot/used-exports.ts's MODULE_FILE: the extensions of the files the build reads. */
const OWN_MODULE_FILE = /\.(?:[mc]?js|[mc]?ts|jsx|tsx)$/;

/**
 * Whether `parentURL` is one of the function's own files (under the task root, outside node_modules
 * and dot-folders): the importers whose names a narrowed package was built for
 * (build/snapshot/used-exports.ts's ownModuleFiles).
 */
function isOwnFile(root: string, parentURL: string | undefined): boolean {
  if (parentURL?.startsWith('file:') !== true) return false;
  const file = fileURLToPath(parentURL);
  // Only the files the build read (ownModuleFiles' extensions): Node also runs an extensionless
  // file (ESM in a "type":"module" folder), whose imports the narrowed copy was not built for.
  if (!file.startsWith(root + sep) || !OWN_MODULE_FILE.test(file)) return false;
  const folders = file.slice(root.length + 1).split(sep).slice(0, -1);
  return !folders.some((folder) => folder === 'node_modules' || folder.startsWith('.'));
}

/**
 * Installs the hooks. `taskRoot` is LAMBDA_TASK_ROOT at start (not the build's folder); `globalName`
 * is where `registry` is reachable from generated modules (a global nobody else uses).
 */
export function installSnapshotModules(contents: SnapshotContents, taskRoot: string, globalName: string): void {
  const byKey = new Map<string, string>();
  const narrowed = new Set<string>();
  const packageDirs = new Map<string, string>();
  // Node resolves to real paths: a task root reached through a symbolic link must match too.
  let root = taskRoot;
  try {
    root = realpathSync(taskRoot);
  } catch {
    // A missing task root fails the handler's own load, with the runtime's message.
  }
  for (const m of contents.modules) {
    const key = registryKey(m.kind, m.specifier);
    if (!contents.registry.has(key)) continue;
    byKey.set(key, join(root, ...m.packageDir.split('/')) + sep);
    if (m.exports !== undefined) narrowed.add(key);
    packageDirs.set(m.specifier, m.packageDir);
  }
  const handlerFile = contents.handler === undefined ? undefined : join(root, ...contents.handler.file.split('/'));
  Object.defineProperty(globalThis, globalName, { value: contents.registry, enumerable: false, configurable: false, writable: false });
  let checked = false;
  // At the first import of a snapshotted package (or of the handler initialised at build): the
  // environment is then what the dependencies would see if they loaded now (the runtime has set
  // its own variables).
  const checkEnvironment = (specifier: string, isHandler = false): void => {
    if (checked) return;
    const mismatch = applySnapshotEnvironment(contents.environment, process.env, specifier, isHandler);
    if (mismatch !== undefined) throw mismatch;
    checked = true;
  };
  // Where Node's resolution of a package from one of the function's own files can only land: the
  // nearest node_modules/<package> from the file's folder up to the task root. When that is the
  // root's, the folder the build recorded, Node's answer is known without reading a package.json
  // (they are read at every start otherwise: ~5 ms of the realistic function's 80, profiled).
  const nearest = new Map<string, string | undefined>();
  const rootFolderFor = (specifier: string, parentURL: string | undefined): string | undefined => {
    if (!isOwnFile(root, parentURL)) return undefined;
    const parentDir = dirname(fileURLToPath(parentURL!));
    const name = packageName(specifier);
    const cacheKey = `${parentDir}\0${name}`;
    if (nearest.has(cacheKey)) return nearest.get(cacheKey);
    let found: string | undefined;
    for (let dir = parentDir; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', ...name.split('/'));
      if (existsSync(candidate)) {
        found = dir === root ? candidate + sep : undefined;
        break;
      }
      if (dir === root || dirname(dir) === dir) break;
    }
    nearest.set(cacheKey, found);
    return found;
  };
  const redirect = (specifier: string, key: string, kind: SnapshotModule['kind']) => {
    checkEnvironment(specifier);
    return { url: `${SCHEME}${key}`, format: kind === 'require' ? 'commonjs' : 'module', shortCircuit: true };
  };
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const kind = context.conditions.includes('require') ? 'require' : 'import';
      const key = packageDirs.has(specifier) ? registryKey(kind, specifier) : '';
      const folder = byKey.get(key);
      if (folder !== undefined && rootFolderFor(specifier, context.parentURL) === folder) return redirect(specifier, key, kind);
      const resolved = nextResolve(specifier, context);
      if (!resolved.url.startsWith('file:')) return resolved;
      if (handlerFile !== undefined && fileURLToPath(resolved.url) === handlerFile) {
        // The handler module's init ran at build: its module object is in the heap, not loaded again.
        checkEnvironment(contents.handler!.file, true);
        return { url: `${SCHEME}${HANDLER_KEY}`, format: 'module', shortCircuit: true };
      }
      if (folder === undefined || !fileURLToPath(resolved.url).startsWith(folder)) return resolved;
      if (narrowed.has(key) && !isOwnFile(root, context.parentURL)) return resolved;
      return redirect(specifier, key, kind);
    },
    load(url, context, nextLoad) {
      if (!url.startsWith(SCHEME)) return nextLoad(url, context);
      const key = url.slice(SCHEME.length);
      const value = contents.registry.get(key) as object;
      if (key === HANDLER_KEY) return { format: 'module', source: handlerSource(globalName, contents.handler!.kind, value), shortCircuit: true };
      if (key.startsWith('require:')) {
        return { format: 'commonjs', source: `module.exports = globalThis[${JSON.stringify(globalName)}].get(${JSON.stringify(key)});\n`, shortCircuit: true };
      }
      return { format: 'module', source: reexportSource(globalName, key, value), shortCircuit: true };
    },
  });
}
