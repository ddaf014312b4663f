// The two runtimes the parity suite compares, started as Lambda starts them: dist/bootstrap as a
// provided.al2023 bootstrap, and AWS's own client (aws-lambda-ric 4.0.2) the way the managed
// nodejs24.x runtime's bootstrap script starts /var/runtime/index.mjs: the same pinned Node 24 with
// --expose-gc, the heap sizes derived from the memory size and --max-http-header-size 81920
// (contract §1). Both get the same environment, NODE_PATH included: the managed script's default
// names /opt and /var paths that do not exist here, so each run passes the same explicit value.
//
// Node lines (issue 21): with BOOTSTRAP_NODE=26 the suite runs dist/node26/bootstrap, and AWS's
// client runs on the same pinned Node 26 as the managed nodejs26.x starts it (its native client is
// a Node-API addon, so the one build loads on both lines): like for like. PARITY_RIC_NODE=24 keeps
// AWS's client on Node 24 instead (the cross-line comparison, `make test`), where the facts of the
// Node line itself differ and allow-list.ts's NODE_LINE normalisation maps exactly those.
import { join, resolve } from 'node:path';
import { parseNodeLine, pinnedVersion, lockDir } from '../../build/node-lines.ts';
import type { NodeLine } from '../../build/node-lines.ts';
import { bootstrapCommand, NODE24, NODE26, SUITE_NODE_LINE } from '../integration/harness.ts';
import { RIC_PACKAGE_DIR } from './paths.ts';

/** The Node line AWS's client runs on: PARITY_RIC_NODE (24 or 26), by default the suite's own line (BOOTSTRAP_NODE). */
export const RIC_NODE_LINE: NodeLine = (() => {
  const line = parseNodeLine(process.env.PARITY_RIC_NODE || SUITE_NODE_LINE);
  if (line instanceof Error) throw new Error(`PARITY_RIC_NODE: ${line.message}`);
  return line;
})();
/** The node binary AWS's client runs on (Lambda's /var/lang/bin/node of nodejs<line>.x). */
export const RIC_NODE = RIC_NODE_LINE === '26' ? NODE26 : NODE24;

/** One side's Node line: its major and the exact version the line pins (`26`, `26.12.1`). */
export interface NodeLineFacts {
  line: NodeLine;
  version: string;
}
export const NODE_LINES_COMPARED: { bootstrap: NodeLineFacts; ric: NodeLineFacts } = {
  bootstrap: { line: SUITE_NODE_LINE, version: pinnedVersion(lockDir('x86_64', SUITE_NODE_LINE)) },
  ric: { line: RIC_NODE_LINE, version: pinnedVersion(lockDir('x86_64', RIC_NODE_LINE)) },
};
/** True when the two runtimes run on different Node lines (dist/node26/bootstrap against AWS's client on Node 24). */
export const CROSS_LINE = SUITE_NODE_LINE !== RIC_NODE_LINE;

export type RuntimeId = 'bootstrap' | 'ric';
export const RUNTIME_IDS: readonly RuntimeId[] = ['bootstrap', 'ric'];

export const MEMORY_SIZE_MB = 128;

export interface Launch {
  command: string;
  args: string[];
  /** What the launch itself needs (the wrapper flavour: the managed bootstrap stand-in's paths). */
  env?: Record<string, string>;
}

/**
 * The managed nodejs24.x bootstrap's Node flags for a memory size (contract §1); nodejs26.x's
 * stand-in keeps the same formula (build/managed-runtime/bootstrap-nodejs26.x says why).
 */
export function managedNodeFlags(memorySizeMb: number): string[] {
  const semiSpace = Math.floor(memorySizeMb / 50);
  const oldSpace = memorySizeMb - Math.floor(memorySizeMb / 25);
  return ['--expose-gc', `--max-semi-space-size=${semiSpace}`, `--max-old-space-size=${oldSpace}`, '--max-http-header-size', '81920'];
}

/**
 * `PARITY_BOOTSTRAP=/path/to/bootstrap` compares another build of the binary (an older one, or a
 * branch's) with AWS's client; by default the suite runs the checkout's dist/bootstrap.
 */
export function launch(runtime: RuntimeId): Launch {
  const other = process.env.PARITY_BOOTSTRAP;
  if (runtime === 'bootstrap' && other !== undefined && other !== '') return { command: resolve(other), args: [] };
  if (runtime === 'bootstrap') return bootstrapCommand();
  return { command: RIC_NODE, args: [...managedNodeFlags(MEMORY_SIZE_MB), join(RIC_PACKAGE_DIR, 'index.mjs')] };
}

/**
 * What the Lambda service itself sets differently for the two: AWS_EXECUTION_ENV names the managed
 * runtime (`AWS_Lambda_nodejs24.x`, or nodejs26.x when AWS's client runs on Node 26) and "is not defined for OS-only runtimes (the provided family)"
 * (Lambda developer guide, Defined runtime environment variables), where dist/bootstrap runs.
 * Libraries read it (Powertools Tracer stays off without it), so the difference is real and stays.
 */
export function platformEnvironment(runtime: RuntimeId): Record<string, string> {
  return runtime === 'ric' ? { AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${RIC_NODE_LINE}.x` } : {};
}

/**
 * The managed runtime's default NODE_PATH (contract §1; nodejs26.x's first entry names node26)
 * with its roots moved under `root`, and /var/task replaced by the function's own directory. Both
 * runtimes get this one value; it names the line dist/bootstrap stands in for.
 */
export function managedNodePath(root: string, taskRoot: string): string {
  return [
    join(root, 'opt', 'nodejs', `node${SUITE_NODE_LINE}`, 'node_modules'),
    join(root, 'opt', 'nodejs', 'node_modules'),
    join(root, 'var', 'runtime', 'node_modules'),
    join(root, 'var', 'runtime'),
    taskRoot,
  ].join(':');
}
