// What the main thread and a Managed Instances worker thread tell each other, and what a worker is
// started with. Structured-cloned over the worker's message port: plain data only.

import type { ErrorBody } from '../errors.ts';
import type { LogConfig } from '../logging.ts';

/** Marks a worker started by this runtime's pool (a function's own workers never carry it). */
export const POOL_WORKER_MARK = 'lambdaBootstrapManagedInstancesWorker';

/**
 * The same mark as the worker's one argument, readable without loading node:worker_threads: every
 * start of the runtime looks for it, and a plain start must not pay for that module
 * (test/integration/startup.test.ts). Removed from process.argv before function code runs.
 */
export const POOL_WORKER_ARGUMENT = '--lambda-bootstrap-managed-instances-worker';

export interface PoolWorkerData {
  readonly [POOL_WORKER_MARK]: true;
  /** 0-based position in the pool, for log lines. */
  readonly index: number;
  /** Invoke loops this worker runs: its share of AWS_LAMBDA_MAX_CONCURRENCY. */
  readonly loops: number;
  /** The main thread read (and removed) the telemetry fd variable; the workers write to the same fd. */
  readonly logConfig: LogConfig;
  /** The cross-thread lock around every log record's write (output-lock.ts). */
  readonly outputLock: SharedArrayBuffer;
  /** True when node skips NODE_OPTIONS --import preloads in this worker (started from code). */
  readonly runsImportPreloads: boolean;
}

/** Worker → main. */
export type WorkerReport =
  /** Init succeeded; the worker waits for `start`. */
  | { readonly type: 'ready'; readonly sigtermListeners: number }
  /** Init failed; the worker has logged it, the main thread reports it once for the sandbox. */
  | { readonly type: 'init-error'; readonly body: ErrorBody }
  /** The Runtime API failed in a way a loop cannot survive: the sandbox is to be replaced. */
  | { readonly type: 'fatal' };

/** Main → worker. */
export type PoolCommand =
  /** Every worker is initialised (and the shutdown extension registered): take invocations. */
  | { readonly type: 'start' }
  /** The process got this signal: the worker's own listeners run (signals reach only the main thread). */
  | { readonly type: 'signal'; readonly signal: 'SIGTERM' }
  /** Another worker hit a fatal Runtime API failure: take no new work, finish what runs, end. */
  | { readonly type: 'drain' };
