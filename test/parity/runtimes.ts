// The two runtimes the parity suite compares, started as Lambda starts them: dist/bootstrap as a
// provided.al2023 bootstrap, and AWS's own client (aws-lambda-ric 4.0.2) the way the managed
// nodejs24.x runtime's bootstrap script starts /var/runtime/index.mjs: the same pinned Node 24 with
// --expose-gc, the heap sizes derived from the memory size and --max-http-header-size 81920
// (contract §1). Both get the same environment, NODE_PATH included: the managed script's default
// names /opt and /var paths that do not exist here, so each run passes the same explicit value.
import { join, resolve } from 'node:path';
import { bootstrapCommand, NODE24 } from '../integration/harness.ts';
import { RIC_PACKAGE_DIR } from './paths.ts';

export type RuntimeId = 'bootstrap' | 'ric';
export const RUNTIME_IDS: readonly RuntimeId[] = ['bootstrap', 'ric'];

export const MEMORY_SIZE_MB = 128;

export interface Launch {
  command: string;
  args: string[];
  /** What the launch itself needs (the wrapper flavour: the managed bootstrap stand-in's paths). */
  env?: Record<string, string>;
}

/** The managed nodejs24.x bootstrap's Node flags for a memory size (contract §1). */
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
  return { command: NODE24, args: [...managedNodeFlags(MEMORY_SIZE_MB), join(RIC_PACKAGE_DIR, 'index.mjs')] };
}

/**
 * What the Lambda service itself sets differently for the two: AWS_EXECUTION_ENV names the managed
 * runtime (`AWS_Lambda_nodejs24.x`) and "is not defined for OS-only runtimes (the provided family)"
 * (Lambda developer guide, Defined runtime environment variables), where dist/bootstrap runs.
 * Libraries read it (Powertools Tracer stays off without it), so the difference is real and stays.
 */
export function platformEnvironment(runtime: RuntimeId): Record<string, string> {
  return runtime === 'ric' ? { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' } : {};
}

/**
 * The managed runtime's default NODE_PATH (contract §1) with its roots moved under `root`, and
 * /var/task replaced by the function's own directory.
 */
export function managedNodePath(root: string, taskRoot: string): string {
  return [
    join(root, 'opt', 'nodejs', 'node24', 'node_modules'),
    join(root, 'opt', 'nodejs', 'node_modules'),
    join(root, 'var', 'runtime', 'node_modules'),
    join(root, 'var', 'runtime'),
    taskRoot,
  ].join(':');
}
