// Lambda Managed Instances, one worker thread: the same init phase a single process runs
// (init-phase.ts: InvokeStore, console, client, process-level failures, preloads, handler), then
// its share of the concurrency as that many copies of the classic loop (invoke-loop.ts).
//
// Process-level failures stay the process's rules, scoped to the thread: an uncaught exception or
// unhandled rejection is posted as the error of the invocation it came from, the thread's other
// invocations finish, and the thread ends (`process.exit` in a worker ends the worker) with 129 /
// 128. The other workers go on serving, as they do under AWS's client 4.x, where an uncaught error
// ends only its worker; the process ends with the last worker. A Runtime API failure the loop
// cannot survive is the sandbox's, not the function's: every worker drains and the process exits 1.

import type { MessagePort } from 'node:worker_threads';
import { afterInit } from '../pre-init/compile-cache.ts';
import { EnvironmentError, readEnvironment } from '../environment.ts';
import { toErrorBody } from '../errors.ts';
import { loadFunction, runNodeOptionsImports, startRuntime } from '../init-phase.ts';
import { runInvokeLoop } from '../invoke-loop.ts';
import { logRuntimeError } from '../logging.ts';
import { POOL_WORKER_ARGUMENT, POOL_WORKER_MARK } from './messages.ts';
import type { PoolCommand, PoolWorkerData, WorkerReport } from './messages.ts';
import { outputLock } from './output-lock.ts';

/** Whether this thread is one of the pool's workers (and not a function's own worker thread).
 * The argument first: node:worker_threads is loaded only in a thread that carries it. */
export function isPoolWorker(): boolean {
  if (!process.argv.includes(POOL_WORKER_ARGUMENT)) return false;
  const { isMainThread, workerData } = process.getBuiltinModule('node:worker_threads');
  return !isMainThread && (workerData as Partial<PoolWorkerData> | null)?.[POOL_WORKER_MARK] === true;
}

/** The worker's whole life; resolves only if the thread is to end on its own. */
export async function runPoolWorker(): Promise<void> {
  const { parentPort, threadId, workerData } = process.getBuiltinModule('node:worker_threads');
  // The function sees the argv AWS's client's workers have: node and the script.
  process.argv.splice(process.argv.indexOf(POOL_WORKER_ARGUMENT), 1);
  const data = workerData as PoolWorkerData;
  const port = parentPort as MessagePort;
  const report = (message: WorkerReport): void => port.postMessage(message);
  // The main thread read the same environment already; its copy here can only differ if a
  // preload on the main thread changed it.
  const environment = readEnvironment(process.env, process.cwd());
  if (environment instanceof EnvironmentError) {
    report({ type: 'init-error', body: toErrorBody(environment) });
    return;
  }
  // Before the console is patched, as node runs them before a worker's script; loadFunction reports a failure.
  await runNodeOptionsImports(() => data.runsImportPreloads).catch(() => undefined);
  const { client, store, inFlight } = await startRuntime(environment, true, data.logConfig, {
    exclusive: outputLock(data.outputLock, threadId),
  });
  const loaded = await loadFunction(environment, true, () => data.runsImportPreloads);
  if ('error' in loaded) {
    logRuntimeError('Init Error', loaded.error);
    report({ type: 'init-error', body: toErrorBody(loaded.error) });
    return;
  }
  afterInit(loaded.compileCache);

  const started = new Promise<void>((resolve) => {
    port.on('message', (command: PoolCommand) => {
      if (command.type === 'start') resolve();
      else if (command.type === 'signal') deliverSignal(command.signal);
      else if (command.type === 'drain') void inFlight.drain(undefined).then(() => process.exit(0));
    });
  });
  report({ type: 'ready', sigtermListeners: process.listenerCount('SIGTERM') });
  await started;
  // From now on the loops hold the thread; the port only carries signals.
  port.unref();

  const options = {
    client,
    handler: loaded.handler,
    streaming: loaded.streaming,
    environment,
    store,
    inFlight,
    emptyLoop: undefined,
    setTraceEnvironment: false,
  };
  const loops = Array.from({ length: data.loops }, () => runInvokeLoop(options));
  const failure = await Promise.race(loops);
  // No failure: a fatal error stopped the loops, and its handler ends the thread once the others are done.
  // A Runtime API failure ends the sandbox, as it ends a single process: every worker stops taking
  // work, and the invocations in flight in all of them still finish and post first.
  if (failure) {
    console.error(`${failure.message}. Exiting so that Lambda replaces this sandbox.`);
    report({ type: 'fatal' });
    await inFlight.drain(undefined);
    process.exit(1);
  }
}

/**
 * Signals reach only the main thread; it passes SIGTERM on, and the function's listeners in this
 * thread get it as they would in a process. With none, the thread ends, as a process without a
 * listener is ended by the signal (exit code 128 + 15).
 */
function deliverSignal(signal: 'SIGTERM'): void {
  if (process.listenerCount(signal) > 0) process.emit(signal, signal);
  else process.exit(128 + 15);
}
