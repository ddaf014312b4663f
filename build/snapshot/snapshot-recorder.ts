// Build step of a snapshot executable (build/snapshot/snapshot.ts): evaluates the function's dependency
// bundle once, in a child node, exactly as the snapshot builder will, and records everything whose
// value would be frozen into the snapshot and so be the same in every sandbox, or stale: reads of
// the environment, the clock, randomness, the host's identity and files, and timers or sockets
// still open afterwards. Hand-written: no library records load-time side effects of a bundle.
//
//   node build/snapshot/snapshot-recorder.ts <dependency bundle> <report.json>
//
// The report is a list of Finding (below); build/snapshot/snapshot.ts decides which refuse the build.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { compileFunction } from 'node:vm';
import type { Finding } from './snapshot-findings.ts';
import type { InitRecord } from './snapshot-init.ts';
import { watchInit, placeMapper, bundleFrame } from './snapshot-init-watch.ts';
import type { InitWatch } from './snapshot-init-watch.ts';
import { installBuildHooks, runBeforeSnapshotHooks } from '../../src/pre-init/init-at-build.ts';
import type { BuildHooks } from '../../src/pre-init/init-at-build.ts';

const [bundleArgument, reportArgument] = process.argv.slice(2);
if (bundleArgument === undefined || reportArgument === undefined) {
  console.error('usage: node build/snapshot/snapshot-recorder.ts <dependency bundle> <report.json>');
  process.exit(2);
}
const bundlePath: string = bundleArgument;
const reportPath: string = reportArgument;
const source = readFileSync(bundlePath, 'utf8');
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
const realWriteFileSync = writeFileSync;
const findings: Finding[] = [];
let recording = false;
// Init at build: while the handler's init runs (and until its before-snapshot hooks are done),
// what it reads goes to `init.findings` (noted), not to `findings` (refused).
let initPhase = false;
const init: InitRecord = { failure: undefined, beforeSnapshotFailure: undefined, beforeSnapshotHooks: 0, afterRestoreHooks: 0, resources: [], findings: [] };
let initRan = false;

const placeOf = placeMapper(bundlePath);

// The bundle line that asked: the first stack frame in the bundle.
function where(): number | undefined {
  const stack = new Error().stack ?? '';
  for (const line of stack.split('\n')) {
    const at = line.indexOf(`${bundlePath}:`);
    if (at === -1) continue;
    const n = Number(line.slice(at + bundlePath.length + 1).split(':')[0]);
    if (Number.isInteger(n)) return n;
  }
  return undefined;
}

function record(kind: Finding['kind'], detail: string): void {
  if (!recording) return;
  const line = where();
  // Only what the dependencies do themselves; Node's internals reading the clock while, say,
  // a stream is created are not frozen values of the bundle's.
  if (line === undefined) return;
  if (initPhase) {
    const frame = bundleFrame(new Error().stack ?? '', bundlePath);
    init.findings.push({ kind, detail, line, where: frame === undefined ? undefined : placeOf(frame[0], frame[1]) });
    return;
  }
  findings.push({ kind, detail, line });
}

function wrap<T extends object>(owner: T, name: keyof T & string, kind: Finding['kind'], detail: (args: unknown[]) => string = () => name): void {
  const original = owner[name] as unknown as (...args: unknown[]) => unknown;
  // node:crypto's getRandomValues is fixed; it calls the webcrypto method, which is wrapped.
  if (Object.getOwnPropertyDescriptor(owner, name)?.configurable === false) return;
  Object.defineProperty(owner, name, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      record(kind, detail(args));
      return original.apply(this, args);
    },
  });
}

// process.env: reads become the snapshot's environment guard (checked at start), writes are
// replayed at start; enumerating the whole environment cannot be guarded and is a finding.
const env = process.env;
const envRead = new Set<string>();
const envWritten: Record<string, string | null> = {};
process.env = new Proxy(env, {
  get(target, key) {
    if (typeof key === 'string' && recording && where() !== undefined && !(key in envWritten)) envRead.add(key);
    return Reflect.get(target, key);
  },
  has(target, key) {
    if (typeof key === 'string' && recording && where() !== undefined && !(key in envWritten)) envRead.add(key);
    return Reflect.has(target, key);
  },
  set(target, key, value) {
    if (typeof key === 'string' && recording) envWritten[key] = String(value);
    return Reflect.set(target, key, value);
  },
  deleteProperty(target, key) {
    if (typeof key === 'string' && recording) envWritten[key] = null;
    return Reflect.deleteProperty(target, key);
  },
  ownKeys(target) {
    record('env', '(all variables, enumerated)');
    return Reflect.ownKeys(target);
  },
});

// The clock.
const RealDate = Date;
wrap(Date, 'now', 'clock', () => 'Date.now()');
globalThis.Date = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    if (args.length === 0) record('clock', 'new Date()');
    return Reflect.construct(target, args, newTarget === globalThis.Date ? target : newTarget);
  },
  apply(target, self, args) {
    record('clock', 'Date()');
    return Reflect.apply(target, self, args);
  },
});
wrap(performance, 'now', 'clock', () => 'performance.now()');
wrap(process, 'hrtime', 'clock', () => 'process.hrtime()');
wrap(process.hrtime, 'bigint', 'clock', () => 'process.hrtime.bigint()');
wrap(process, 'uptime', 'clock', () => 'process.uptime()');

// Randomness.
wrap(Math, 'random', 'random', () => 'Math.random()');
const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
for (const name of ['randomBytes', 'randomUUID', 'randomInt', 'randomFillSync', 'randomFill', 'getRandomValues', 'generateKeySync', 'generateKeyPairSync'] as const) {
  wrap(crypto, name, 'random', () => `crypto.${name}()`);
}
wrap(Object.getPrototypeOf(globalThis.crypto) as typeof globalThis.crypto, 'getRandomValues', 'random', () => 'crypto.getRandomValues()');
wrap(Object.getPrototypeOf(globalThis.crypto) as typeof globalThis.crypto, 'randomUUID', 'random', () => 'crypto.randomUUID()');

// The host.
const os = createRequire(import.meta.url)('node:os') as typeof import('node:os');
for (const name of ['hostname', 'networkInterfaces', 'userInfo', 'cpus', 'totalmem', 'freemem', 'uptime', 'loadavg', 'homedir', 'tmpdir'] as const) {
  wrap(os, name, 'host', () => `os.${name}()`);
}
wrap(process, 'cwd', 'host', () => 'process.cwd()');
wrap(process, 'memoryUsage', 'host', () => 'process.memoryUsage()');

// Files: the dependencies are one bundle, so any file read at load is something outside it.
const path = (args: unknown[]): string => String(args[0]);
for (const name of ['readFileSync', 'readFile', 'existsSync', 'statSync', 'lstatSync', 'readdirSync', 'openSync', 'accessSync', 'realpathSync', 'readlinkSync'] as const) {
  wrap(fs, name, 'file', (args) => `fs.${name}(${path(args)})`);
}
for (const name of ['readFile', 'stat', 'readdir', 'open', 'access'] as const) wrap(fs.promises, name, 'file', (args) => `fs.promises.${name}(${path(args)})`);

const registry = new Map<string, unknown>();
const before = new Set(process.getActiveResourcesInfo());
const globalsBefore = new Set(Reflect.ownKeys(globalThis));
const evaluate = compileFunction(source, ['require', '__lambdaBootstrapRegistry', '__lambdaBootstrapInit'], { filename: bundlePath }) as (
  require: NodeJS.Require,
  registry: Map<string, unknown>,
  init: (run: () => unknown) => unknown,
) => void;
let failure: string | undefined;
let hooks: BuildHooks | undefined;
let watch: InitWatch | undefined;
let leftByDependencies: string[] | undefined;
// Globals init creates are its own (SnapStart keeps them too); the dependencies' are refused.
let globalsAtInit: Set<string | symbol> | undefined;
// The handler's init (init at build): after every dependency is evaluated, as in the snapshot builder.
const runInit = (run: () => unknown): unknown => {
  initRan = true;
  leftByDependencies = process.getActiveResourcesInfo().filter((r) => !before.has(r) && r !== 'Immediate');
  globalsAtInit = new Set(Reflect.ownKeys(globalThis));
  hooks = installBuildHooks(process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA === undefined);
  initPhase = true;
  watch = watchInit(bundlePath, fs);
  try {
    return run();
  } catch (error) {
    init.failure = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return undefined;
  }
};
recording = true;
try {
  evaluate(createRequire(bundlePath), registry, runInit);
} catch (error) {
  failure = error instanceof Error ? (error.stack ?? error.message) : String(error);
}
if (hooks !== undefined && init.failure === undefined) {
  // Promise jobs init queued run first, then its before-snapshot hooks, as in the snapshot builder.
  await new Promise((resolve) => setImmediate(resolve));
  const hookFailure = await runBeforeSnapshotHooks(hooks);
  if (hookFailure !== undefined) init.beforeSnapshotFailure = hookFailure.stack ?? `${hookFailure.name}: ${hookFailure.message}`;
  init.beforeSnapshotHooks = hooks.beforeSnapshot.length;
  init.afterRestoreHooks = hooks.afterRestore.length;
}
recording = false;
// What the bundle left running. Promise jobs it queued run first, as they would at build.
await new Promise((resolve) => setImmediate(resolve));
if (watch !== undefined) init.resources = watch.stop();
initPhase = false;
const left = leftByDependencies ?? process.getActiveResourcesInfo().filter((r) => !before.has(r) && r !== 'Immediate');
for (const resource of left) findings.push({ kind: 'handle', detail: resource, line: undefined });
// Globals the dependencies created (their values are in the snapshot, made with the build's environment).
const globals = [...(globalsAtInit ?? Reflect.ownKeys(globalThis))].filter((k) => !globalsBefore.has(k) && typeof k === 'string') as string[];
for (const name of globals) findings.push({ kind: 'global', detail: name, line: undefined });
process.env = env;
realWriteFileSync(reportPath, `${JSON.stringify({ findings, failure, modules: [...registry.keys()], envRead: [...envRead].sort(), envWritten, init: initRan ? init : undefined }, null, 2)}\n`);
process.exit(0);
