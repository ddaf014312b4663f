// lambda-bootstrap: a custom AWS Lambda runtime for Node.js.
// Reads the environment, loads the handler, then runs the invoke loop (one, or one per allowed
// concurrent invocation on Lambda Managed Instances) until the Runtime API says the sandbox is done.
// Started by a function as `process.execPath` (fork, execFile), the same binary runs as node.

import { installAwsLambdaGlobal, streamingOptions } from './src/aws-lambda-global.ts';
import { afterInit, enableFunctionCompileCache } from './src/compile-cache.ts';
import { EmptyEventLoop } from './src/empty-event-loop.ts';
import { EnvironmentError, readEnvironment } from './src/environment.ts';
import { applyExecutionEnvironment } from './src/execution-environment.ts';
import { CALLBACK_HANDLER_DEPRECATED, LambdaError } from './src/errors.ts';
import { loadHandler } from './src/handler-loader.ts';
import { InFlight } from './src/in-flight.ts';
import { failInit } from './src/init-error.ts';
import { createInvokeStore, scopeReader } from './src/invoke-store.ts';
import { runInvokeLoop } from './src/invoke-loop.ts';
import { logConfigFromEnvironment, patchConsole } from './src/logging.ts';
import { RUNTIME_PID_VARIABLE, runAsNode, startMode } from './src/node-command-line.ts';
import { applyManagedNodePath } from './src/node-path.ts';
import { importPreloads, runImportPreloads } from './src/preloads.ts';
import { handleProcessFailures } from './src/process-failures.ts';
import { createRuntimeApiClient } from './src/runtime-api-client.ts';
import { enableGracefulShutdown } from './src/shutdown.ts';
import { SNAP_START, snapshotAndRestore } from './src/snapstart.ts';

const CALLBACK_WITH_CONCURRENCY =
  'ERROR: AWS Lambda does not support callback-based function handlers with Lambda Managed Instances ' +
  '(AWS_LAMBDA_MAX_CONCURRENCY above 1), because several invocations share one event loop. ' +
  'Make the handler async (or return a promise) and drop the callback parameter. ' +
  'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

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
  if (environment.installGlobalAwsLambda) installAwsLambdaGlobal();
  const store = await createInvokeStore(concurrent);
  patchConsole(logConfigFromEnvironment(process.env), scopeReader(store));

  // AWS's client retries a failed /next whenever AWS_LAMBDA_MAX_CONCURRENCY is set (isMultiConcurrentMode).
  const client = createRuntimeApiClient(environment.runtimeApi, environment.transport, {
    retryNext: process.env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined,
  });
  const inFlight = new InFlight();
  handleProcessFailures(client, store, inFlight);

  const compileCache = enableFunctionCompileCache(environment.taskRoot, process.env);
  let handler;
  try {
    await runNodeOptionsImports();
    handler = await loadHandler(environment.taskRoot, environment.handler);
  } catch (error) {
    return failInit(client, error);
  }
  const streaming = streamingOptions(handler);
  if (concurrent && !streaming && handler.length >= 3) {
    return failInit(client, new LambdaError(CALLBACK_HANDLER_DEPRECATED, CALLBACK_WITH_CONCURRENCY));
  }
  await enableGracefulShutdown(client, environment.runtimeApi, environment.forceGracefulShutdown);
  afterInit(compileCache);
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

// NODE_OPTIONS --import preloads, which node leaves to the script in a single executable. Run by
// node itself (the exec-wrapper layer, `node dist/bootstrap.js`), node has run them already.
async function runNodeOptionsImports(): Promise<void> {
  const specifiers = importPreloads(process.env.NODE_OPTIONS);
  // isSea() second: most starts have no --import, and then node:sea need not be loaded at all.
  if (!(specifiers instanceof Error) && specifiers.length === 0) return;
  if (!isSea()) return;
  if (specifiers instanceof Error) throw specifiers;
  await runImportPreloads(specifiers, process.cwd());
}

// Asked lazily: the benchmark also compiles this file with Bun, which has no node:sea.
function isSea(): boolean {
  try {
    return (process.getBuiltinModule('node:sea') as typeof import('node:sea') | undefined)?.isSea() ?? false;
  } catch {
    return false;
  }
}

async function asNode(command: Parameters<typeof runAsNode>[0]): Promise<void> {
  await runNodeOptionsImports();
  await runAsNode(command, process.cwd(), (imports) => runImportPreloads(imports, process.cwd()));
}

// A single executable's argv is [binary, binary, ...arguments].
const mode = startMode(process.argv.slice(2), process.env, process.pid, process.execPath);
if (mode.kind === 'runtime') void main();
else if (mode.kind === 'node') void asNode(mode.command);
else {
  process.stderr.write(`${mode.message}\n`);
  // At once: a cluster worker's IPC channel would otherwise keep it alive.
  process.exit(1);
}
