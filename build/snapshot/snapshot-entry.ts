// The main script of a per-function snapshot executable (build/snapshot/snapshot.ts bundles it into the one
// CommonJS script Node's snapshot builder runs; it reads the function's dependency bundle and the
// runtime's bundle from the build machine's files while the snapshot is built). At BUILD time it
// evaluates the dependencies and compiles the runtime without running it; at START
// (setDeserializeMainFunction) it renews random state, points the handler's imports at the
// snapshotted modules and runs the runtime's main, which reads the environment then, as
// dist/bootstrap does.
//
// Both scripts are compiled through node:vm with the main context's default loader: a function
// compiled by the snapshot builder itself has no dynamic-import callback after deserialisation
// (`import()` throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), and the runtime loads ES module
// handlers with import().
import { readFileSync, writeFileSync } from 'node:fs';
import { startupSnapshot } from 'node:v8';
import { Script, constants as vmConstants } from 'node:vm';
import { restoreUniqueness } from '../../src/pre-init/restore-uniqueness.ts';
import { AFTER_RESTORE_KEY, installSnapshotModules } from '../../src/pre-init/snapshot-modules.ts';
import type { SnapshotEnvironment, SnapshotHandler, SnapshotModule } from '../../src/pre-init/snapshot-modules.ts';
import { afterRestoreRunner, installBuildHooks, runBeforeSnapshotHooks } from '../../src/pre-init/init-at-build.ts';
import type { BuildHooks } from '../../src/pre-init/init-at-build.ts';
import { withoutLoaderWarning } from '../../src/preloads.ts';
import { trainDependencies } from './snapshot-training.ts';
// A string constant only: esbuild inlines it, so the entry does not bundle build/snapshot/snapshot.ts.
const DEFERRED_AGENTS = 'lambda-bootstrap.deferred-agents';

// Files on the build machine, read while the snapshot is built: as string literals in this script
// they would sit in the heap twice more (the script's source and the literal), and every start
// deserialises the heap.
declare const __LAMBDA_BOOTSTRAP_DEPENDENCIES_FILE: string;
declare const __LAMBDA_BOOTSTRAP_RUNTIME_FILE: string;
declare const __LAMBDA_BOOTSTRAP_MODULES: SnapshotModule[];
declare const __LAMBDA_BOOTSTRAP_ENVIRONMENT: SnapshotEnvironment;
declare const __LAMBDA_BOOTSTRAP_RUNTIME_NAME: string;
/** Where the training run's report goes on the build machine, or null when the build has no training. */
declare const __LAMBDA_BOOTSTRAP_TRAINING_REPORT: string | null;
/** Init at build: the handler whose init the bundle runs (build/snapshot/snapshot.ts), or null. */
declare const __LAMBDA_BOOTSTRAP_HANDLER: SnapshotHandler | null;
/** Whether the build's environment lets the runtime create globalThis.awslambda (AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA unset). */
declare const __LAMBDA_BOOTSTRAP_INSTALL_AWSLAMBDA: boolean;
declare const require: NodeJS.Require;

const REGISTRY_GLOBAL = '__lambdaBootstrapSnapshotModules';
const options = { importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER };

// Built-in modules the dependencies loaded, with their function-valued exports as they were at
// build: a deserialised Node 24.21 has some of them reset to undefined (console.Console, which
// Powertools' logger constructs), and the captured functions still work, so they are put back.
const loadedBuiltins = new Map<string, Map<string, unknown>>();
const recordingRequire = ((id: string) => {
  const exported = require(id) as Record<string, unknown>;
  if (!loadedBuiltins.has(id) && typeof exported === 'object' && exported !== null) {
    // JavaScript functions held as data only: reading a getter would load more of Node, and a
    // reference to a native function the snapshot does not know aborts the build ("Unknown
    // external reference": the V8 console's profile, timeStamp, ...).
    const functions = new Map<string, unknown>();
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(exported))) {
      if (d.enumerable !== true || !('value' in d) || typeof d.value !== 'function') continue;
      if (!Function.prototype.toString.call(d.value).includes('[native code]')) functions.set(key, d.value);
    }
    loadedBuiltins.set(id, functions);
  }
  return exported;
}) as NodeJS.Require;

function reattachBuiltinExports(): void {
  for (const [id, exports] of loadedBuiltins) {
    const current = require(id) as Record<string, unknown>;
    for (const [key, value] of exports) {
      if (current[key] === undefined) Object.defineProperty(current, key, { value, writable: true, enumerable: true, configurable: true });
    }
  }
}

/**
 * What the runtime's import() would give for the module object the bundle's require() returned:
 * an ES module's namespace (esbuild marks it __esModule) as it is, a CommonJS module's exports
 * as `default` beside their own enumerable keys (Node's named exports of a CommonJS module).
 */
function namespaceOf(exported: unknown, kind: SnapshotHandler['kind']): unknown {
  if (kind === 'require' || (exported as { __esModule?: unknown } | null)?.__esModule === true) return exported;
  const namespace: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (typeof exported === 'object' && exported !== null) Object.assign(namespace, exported);
  namespace.default = exported;
  return namespace;
}

// Init at build: the handler's init runs inside the bundle's evaluation, after every dependency,
// with the build's hook lists as awslambda.registerBeforeSnapshot/registerAfterRestore.
let hooks: BuildHooks | undefined;
const runInit = (run: () => unknown): unknown => {
  hooks = installBuildHooks(__LAMBDA_BOOTSTRAP_INSTALL_AWSLAMBDA);
  return namespaceOf(run(), __LAMBDA_BOOTSTRAP_HANDLER!.kind);
};

const registry = new Map<string, unknown>();
const evaluateDependencies = new Script(`(function (require, __lambdaBootstrapRegistry, __lambdaBootstrapInit) {${readFileSync(__LAMBDA_BOOTSTRAP_DEPENDENCIES_FILE, 'utf8')}\n})`, {
  ...options,
  filename: 'lambda-bootstrap/snapshot-dependencies.js',
}).runInThisContext() as (require: NodeJS.Require, registry: Map<string, unknown>, init: (run: () => unknown) => unknown) => void;
evaluateDependencies(recordingRequire, registry, runInit);
if (hooks !== undefined) registry.set(AFTER_RESTORE_KEY, afterRestoreRunner(hooks));
// The training run (build/snapshot/snapshot-training.ts): the snapshot builder runs the event loop until it
// is empty before it serialises the heap, so its requests settle at build; what it made is garbage
// by then, and only the bytecode V8 compiled for it stays with the functions.
let trained: Promise<void> = Promise.resolve();
if (__LAMBDA_BOOTSTRAP_TRAINING_REPORT !== null) {
  const reportFile = __LAMBDA_BOOTSTRAP_TRAINING_REPORT;
  // The deferred built-ins' stand-ins are registered too (builtin:http, ...): reading them would
  // load the real module; the handler and its hooks are not dependencies to train.
  const dependencyModules = [...registry].filter(([key]) => key.startsWith('import:') || key.startsWith('require:')).map(([, module]) => module);
  trained = trainDependencies(dependencyModules).then(
    (report) => writeFileSync(reportFile, `${JSON.stringify(report)}\n`),
    (error: unknown) => writeFileSync(reportFile, `${JSON.stringify({ trained: [], skipped: [`training: ${String(error)}`] })}\n`),
  );
}
// Init at build: the before-snapshot hooks are the last thing before V8 serialises the heap (the
// builder waits for the event loop to empty). The recorder ran them first and refused a failing
// one, so a failure here is the hook behaving differently the second time: the build fails.
if (hooks !== undefined) {
  const built = hooks;
  void trained
    .then(() => runBeforeSnapshotHooks(built))
    .then((failure) => {
      if (failure !== undefined) throw failure;
    });
}

type CommonJsWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;
const runtime = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(__LAMBDA_BOOTSTRAP_RUNTIME_FILE, 'utf8')}\n})`, {
  ...options,
  filename: __LAMBDA_BOOTSTRAP_RUNTIME_NAME,
}).runInThisContext() as CommonJsWrapper;
// The first import() through the main context's loader prints an ExperimentalWarning once per
// process; this probe takes it, so the function's own imports print nothing dist/bootstrap would not.
const probe = new Script('(specifier) => import(specifier)', { ...options, filename: 'lambda-bootstrap/snapshot-probe.js' }).runInThisContext() as (
  specifier: string,
) => Promise<unknown>;

startupSnapshot.setDeserializeMainFunction(() => {
  reattachBuiltinExports();
  // Agents made while the snapshot was built (an SDK client constructed by init at build) become
  // real ones before any code can use them: this loads node:http/https only when there are some.
  for (const [key, standIn] of registry) {
    if (key.startsWith('builtin:')) (standIn as Record<symbol, (() => number) | undefined>)[Symbol.for(DEFERRED_AGENTS)]?.();
  }
  // Node refills crypto.randomUUID's entropy cache only when it runs out: one filled at build
  // would hand every sandbox the same UUIDs (measured with the pinned node), so it is replaced as
  // after a SnapStart restore. V8 reseeds Math.random on deserialisation (measured too): kept.
  restoreUniqueness({ mathRandom: false });
  void withoutLoaderWarning(() => probe('node:module'));
  installSnapshotModules(
    { modules: __LAMBDA_BOOTSTRAP_MODULES, registry, environment: __LAMBDA_BOOTSTRAP_ENVIRONMENT, handler: __LAMBDA_BOOTSTRAP_HANDLER ?? undefined },
    process.env.LAMBDA_TASK_ROOT || process.cwd(),
    REGISTRY_GLOBAL,
  );
  const module = { exports: {} };
  runtime.call(module.exports, module.exports, require, module, __LAMBDA_BOOTSTRAP_RUNTIME_NAME, 'lambda-bootstrap');
});
