// Lambda Managed Instances, the main thread: starts the worker threads, waits until every one has
// initialised the function, registers for SIGTERM when any of them listens for it, lets them take
// invocations, passes SIGTERM on to them, and ends the process once none is left. It never loads
// the function and never calls the handler: each worker runs the init phase and the invoke loops
// itself (worker-main.ts), as AWS's client 4.x does (dist/worker/ignition.js, worker-manager.js).
//
// Where this differs from AWS's client (docs/differences.md#managed-instances-workers): one init
// error is reported for the sandbox (not one per worker), the workers start taking invocations
// together once all are initialised (so that the shutdown extension can still register), no more
// workers than AWS_LAMBDA_MAX_CONCURRENCY, each with its share of the heap, and a worker's exit is
// logged (AWS's client logs it through a console it never set up on the main thread: nothing).

import type { Worker } from 'node:worker_threads';
import type { RuntimeEnvironment } from '../environment.ts';
import { EnvironmentError } from '../environment.ts';
import { toErrorBody } from '../errors.ts';
import type { ErrorBody } from '../errors.ts';
import { isSea, runNodeOptionsImports } from '../init-phase.ts';
import { logConfigFromEnvironment, logRuntimeError, patchConsole } from '../logging.ts';
import { UNCAUGHT_EXCEPTION_EXIT_CODE } from '../process-failures.ts';
import { createRuntimeApiClient } from '../runtime-api/runtime-api-client.ts';
import type { RuntimeApiClient } from '../runtime-api/runtime-api.ts';
import { RuntimeApiError } from '../runtime-api/runtime-api.ts';
import { enableGracefulShutdown } from '../shutdown.ts';
import { POOL_WORKER_ARGUMENT, POOL_WORKER_MARK } from './messages.ts';
import type { PoolCommand, PoolWorkerData, WorkerReport } from './messages.ts';
import { createOutputLock, outputLock, releaseOutputLockOf } from './output-lock.ts';
import { concurrencyShares, requestedWorkerCount } from './worker-count.ts';
import { limitFutureIsolates, workerExecArgv, workerHeapLimitMb } from './worker-resources.ts';
import type { WorkerScript } from './worker-script.ts';

/** A worker without a SIGTERM listener ends with this on SIGTERM (worker-main.ts deliverSignal). */
const SIGTERM_EXIT_CODE = 128 + 15;

/** The main thread's log lines carry no invocation. */
const NO_SCOPE = { requestId: undefined, tenantId: undefined } as const;

interface PoolMember {
  readonly index: number;
  readonly worker: Worker;
  readonly threadId: number;
  /** Resolves with the worker's first report, or with its end if it ends before reporting. */
  readonly init: Promise<WorkerReport | { type: 'ended'; code: number; error: unknown }>;
  /** Resolves with the exit code once the thread has ended. */
  readonly exited: Promise<number>;
  /** The error the worker stopped with ('error' event: uncaught, out of heap), if any. */
  error: unknown;
}

/**
 * Runs the sandbox as Managed Instances: AWS_LAMBDA_MAX_CONCURRENCY (> 1) invocations at once,
 * shared among worker threads (worker-count.ts). Never returns: the process exits when the last
 * worker has ended (with the first non-zero exit code among them, else 0), on an init error
 * (129, after POST /init/error), or on a bad AWS_LAMBDA_NODEJS_WORKER_COUNT (1, a line on stderr).
 */
export async function runWorkerPool(environment: RuntimeEnvironment, script: WorkerScript): Promise<never> {
  const requested = requestedWorkerCount(process.env);
  if (requested instanceof EnvironmentError) {
    process.stderr.write(`lambda-bootstrap: ${requested.message}\n`);
    process.exit(1);
  }
  const shares = concurrencyShares(environment.maxConcurrency, requested);
  // Read (and removed from the environment) before any worker copies it.
  const logConfig = logConfigFromEnvironment(process.env);
  const lock = createOutputLock();
  // Node runs NODE_OPTIONS preloads on the main thread too (and in every worker started from a
  // file), before the entry point: what they print is not formatted (as on nodejs24.x). In a single
  // executable it leaves the --import ones to the runtime.
  const preloaded = await runNodeOptionsImports(isSea).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  patchConsole(logConfig, () => NO_SCOPE, { exclusive: outputLock(lock, 0) });
  const client = createRuntimeApiClient(environment.runtimeApi, environment.transport, { retryNext: true });
  if (preloaded) {
    logRuntimeError('Init Error', preloaded.error);
    return reportInitErrorAndExit(client, toErrorBody(preloaded.error));
  }

  // Loaded here, not at start: a plain (one-invocation-at-a-time) start never needs node:v8.
  limitFutureIsolates(workerHeapLimitMb(process.getBuiltinModule('node:v8').getHeapStatistics().heap_size_limit, shares.length));
  const execArgv = workerExecArgv(process.execArgv);
  const members = shares.map((loops, index) =>
    startMember(script, {
      index,
      loops,
      execArgv,
      data: { [POOL_WORKER_MARK]: true, index, loops, logConfig, outputLock: lock, runsImportPreloads: script.kind === 'code' },
    }),
  );
  for (const member of members) {
    // A worker that dies holding the log lock must not stall the others' logging.
    void member.exited.then(() => releaseOutputLockOf(lock, member.threadId));
  }

  let sigtermListeners = 0;
  for (const report of await Promise.all(members.map((member) => member.init))) {
    if (report.type === 'init-error') return reportInitErrorAndExit(client, report.body);
    if (report.type === 'ended') return initEndedAndExit(client, report.code, report.error);
    if (report.type === 'ready') sigtermListeners += report.sigtermListeners;
  }

  // As for one process (shutdown.ts): registered when any worker listens for SIGTERM at the end
  // of init, before any worker has asked for an invocation, which ends the init phase.
  // Set once the workers are told to end (SIGTERM, a fatal failure): their exits are then expected.
  const ending = { now: false };
  if (environment.forceGracefulShutdown || sigtermListeners > 0) {
    await enableGracefulShutdown(client, environment.runtimeApi, true);
    process.on('SIGTERM', () => {
      ending.now = true;
      for (const member of members) send(member.worker, { type: 'signal', signal: 'SIGTERM' });
    });
  }
  // A fatal Runtime API failure in one worker ends the sandbox: the others finish and end too.
  for (const member of members) {
    member.worker.on('message', (report: WorkerReport) => {
      if (report.type !== 'fatal' || ending.now) return;
      ending.now = true;
      for (const other of members) if (other !== member) send(other.worker, { type: 'drain' });
    });
  }
  for (const member of members) send(member.worker, { type: 'start' });
  return watch(members, ending);
}

function startMember(
  script: WorkerScript,
  options: { index: number; loops: number; execArgv: string[]; data: PoolWorkerData },
): PoolMember {
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const worker = new Worker(script.kind === 'file' ? script.path : script.source, {
    eval: script.kind === 'code',
    argv: [POOL_WORKER_ARGUMENT],
    workerData: options.data,
    execArgv: options.execArgv,
    // The environment is copied into each worker, as AWS's client passes it (env: process.env).
    env: process.env,
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const member: PoolMember = {
    index: options.index,
    worker,
    threadId: worker.threadId,
    exited,
    error: undefined,
    init: new Promise((resolve) => {
      worker.once('message', (report: WorkerReport) => resolve(report));
      void exited.then((code) => resolve({ type: 'ended', code, error: member.error }));
    }),
  };
  worker.on('error', (error) => {
    member.error = error;
  });
  return member;
}

function send(worker: Worker, command: PoolCommand): void {
  worker.postMessage(command);
}

async function watch(members: PoolMember[], ending: { readonly now: boolean }): Promise<never> {
  let running = members.length;
  let exitCode = 0;
  await new Promise<void>((resolve) => {
    for (const member of members) {
      void member.exited.then((code) => {
        running -= 1;
        if (code !== 0 && exitCode === 0) exitCode = code;
        if (member.error !== undefined) {
          console.error(`Worker thread ${member.index} stopped: ${describe(member.error)}`);
        }
        // A worker that ends on its own (process.exit in the function) is news even with code 0;
        // once the workers were told to end, only a failure is (143: ended by SIGTERM, no listener).
        if (!ending.now || (code !== 0 && code !== SIGTERM_EXIT_CODE)) {
          console.error(
            `Worker thread ${member.index} exited with code ${code}; ${running} of ${members.length} worker threads still take invocations.`,
          );
        }
        if (running === 0) resolve();
      });
    }
  });
  process.exit(exitCode);
}

/** A worker ended during init without reporting: an uncaught error there (its own failure
 * handler has then posted the init error) or one before the runtime's handlers were in place. */
async function initEndedAndExit(client: RuntimeApiClient, code: number, error: unknown): Promise<never> {
  if (error === undefined) process.exit(code === 0 ? UNCAUGHT_EXCEPTION_EXIT_CODE : code);
  logRuntimeError('Init Error', error);
  return reportInitErrorAndExit(client, toErrorBody(error));
}

async function reportInitErrorAndExit(client: RuntimeApiClient, body: ErrorBody): Promise<never> {
  const posted = await client.initError(body);
  if (posted instanceof RuntimeApiError) {
    console.error(`The Runtime API did not accept the init error: ${posted.message}`);
  }
  process.exit(UNCAUGHT_EXCEPTION_EXIT_CODE);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${code === undefined ? error.name : code}: ${error.message}`;
  }
  return String(error);
}
