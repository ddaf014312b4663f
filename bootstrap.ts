// lambda-bootstrap: a custom AWS Lambda runtime for Node.js.
// Reads the environment, loads the handler, then runs the invoke loop (one, or one per allowed
// concurrent invocation on Lambda Managed Instances) until the Runtime API says the sandbox is done.
// Started by a function as `process.execPath` (fork, execFile), the same binary runs as node.

import { EmptyEventLoop } from './src/empty-event-loop.ts';
import { EnvironmentError, readEnvironment } from './src/environment.ts';
import { applyExecutionEnvironment } from './src/execution-environment.ts';
import { failInit } from './src/init-error.ts';
import { isSea, loadFunction, runNodeOptionsImports, startRuntime } from './src/init-phase.ts';
import { runInvokeLoop } from './src/invoke-loop.ts';
import { logConfigFromEnvironment } from './src/logging.ts';
import { isPoolWorker, runPoolWorker } from './src/managed-instances/worker-main.ts';
import { runWorkerPool } from './src/managed-instances/worker-pool.ts';
import { workerScript } from './src/managed-instances/worker-script.ts';
import { RUNTIME_PID_VARIABLE, runAsNode, startMode } from './src/node-command-line.ts';
import { applyManagedNodePath } from './src/node-path.ts';
import { afterInit } from './src/pre-init/compile-cache.ts';
import { SNAP_START, snapshotAndRestore } from './src/pre-init/snapstart.ts';
import { runImportPreloads } from './src/preloads.ts';
import { enableGracefulShutdown } from './src/shutdown.ts';

async function main(): Promise<void> {
  const environment = readEnvironment(process.env, process.cwd());
  if (environment instanceof EnvironmentError) {
    process.stderr.write(`lambda-bootstrap: ${environment.message}\n`);
    process.exit(1);
  }
  // Every process this runtime starts inherits the mark, and so can never become a runtime.
  process.env[RUNTIME_PID_VARIABLE] = String(process.pid);
  applyManagedNodePath(process.env);
  applyExecutionEnvironment(process.env);
  const concurrent = environment.maxConcurrency > 1;
  if (concurrent) {
    // Lambda Managed Instances: worker threads serve the invocations (src/managed-instances/).
    const script = workerScript();
    if (script !== undefined) return runWorkerPool(environment, script);
  }
  // Before the console is patched, as node runs them before the entry point; loadFunction reports a failure.
  await runNodeOptionsImports(isSea).catch(() => undefined);
  const { client, store, inFlight } = await startRuntime(environment, concurrent, logConfigFromEnvironment(process.env));
  const loaded = await loadFunction(environment, concurrent, isSea);
  if ('error' in loaded) return failInit(client, loaded.error);
  const { handler, streaming } = loaded;
  await enableGracefulShutdown(client, environment.runtimeApi, environment.forceGracefulShutdown);
  afterInit(loaded.compileCache);
  if (process.env.AWS_LAMBDA_INITIALIZATION_TYPE === SNAP_START) {
    const restored = await snapshotAndRestore(environment.runtimeApi);
    if (restored.kind === 'init-error') return failInit(client, restored.error);
    if (restored.kind === 'fatal') {
      console.error(`${restored.message}. Exiting so that Lambda replaces this sandbox.`);
      process.exit(1);
    }
  }

  const loopOptions = {
    client,
    handler,
    streaming,
    environment,
    store,
    inFlight,
    emptyLoop: concurrent ? undefined : new EmptyEventLoop(),
    setTraceEnvironment: !concurrent,
  };
  const loops = Array.from({ length: environment.maxConcurrency }, () => runInvokeLoop(loopOptions));
  const failure = await Promise.race(loops);
  // No failure: a fatal error stopped the loops, and its handler exits once in-flight work is done.
  if (failure) {
    console.error(`${failure.message}. Exiting so that Lambda replaces this sandbox.`);
    // Other invocations in flight (Managed Instances) still finish and post first.
    await inFlight.drain(undefined);
    process.exit(1);
  }
}

async function asNode(command: Parameters<typeof runAsNode>[0]): Promise<void> {
  await runNodeOptionsImports(isSea);
  await runAsNode(command, process.cwd(), (imports) => runImportPreloads(imports, process.cwd()));
}

// One of the Managed Instances pool's worker threads: the same bundle, started by runWorkerPool.
if (isPoolWorker()) void runPoolWorker();
else {
  // A single executable's argv is [binary, binary, ...arguments].
  const mode = startMode(process.argv.slice(2), process.env, process.pid, process.execPath);
  if (mode.kind === 'runtime') void main();
  else if (mode.kind === 'node') void asNode(mode.command);
  else {
    process.stderr.write(`${mode.message}\n`);
    // At once: a cluster worker's IPC channel would otherwise keep it alive.
    process.exit(1);
  }
}
