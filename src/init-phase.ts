// The init phase, as one process runs it (the classic runtime) and as every worker thread of
// Lambda Managed Instances runs it again for itself: globalThis.awslambda, the InvokeStore, the
// patched console, the Runtime API client, process-level failures, then the function's preloads
// and handler. Split out of bootstrap.ts so that both run the very same steps.

import { installAwsLambdaGlobal, streamingOptions } from './aws-lambda-global.ts';
import { enableFunctionCompileCache } from './pre-init/compile-cache.ts';
import type { CompileCacheState } from './pre-init/compile-cache.ts';
import type { RuntimeEnvironment } from './environment.ts';
import { CALLBACK_HANDLER_DEPRECATED, LambdaError } from './errors.ts';
import { loadHandler } from './handler-loader.ts';
import type { UserHandler } from './handler-loader.ts';
import { InFlight } from './in-flight.ts';
import { createInvokeStore, scopeReader } from './invoke-store.ts';
import type { InvokeStoreBase } from './invoke-store.ts';
import { patchConsole } from './logging.ts';
import type { LogConfig, PatchOptions } from './logging.ts';
import { importPreloads, runImportPreloads } from './preloads.ts';
import { handleProcessFailures } from './process-failures.ts';
import { createRuntimeApiClient } from './runtime-api/runtime-api-client.ts';
import type { RuntimeApiClient } from './runtime-api/runtime-api.ts';

const CALLBACK_WITH_CONCURRENCY =
  'ERROR: AWS Lambda does not support callback-based function handlers with Lambda Managed Instances ' +
  '(AWS_LAMBDA_MAX_CONCURRENCY above 1), because several invocations share one event loop. ' +
  'Make the handler async (or return a promise) and drop the callback parameter. ' +
  'For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.';

/** What the invoke loops of one thread share. */
export interface RuntimeCore {
  client: RuntimeApiClient;
  store: InvokeStoreBase;
  inFlight: InFlight;
}

export interface LoadedFunction {
  handler: UserHandler;
  /** Set when the handler was marked by streamifyResponse. */
  streaming: { highWaterMark?: number } | undefined;
  compileCache: CompileCacheState;
}

/**
 * The runtime's own set-up, before any function code of this thread runs (preloads aside).
 * `concurrent`: invocations overlap (Managed Instances), so the store is the AsyncLocalStorage kind.
 */
export async function startRuntime(
  environment: RuntimeEnvironment,
  concurrent: boolean,
  logConfig: LogConfig,
  patchOptions: PatchOptions = {},
): Promise<RuntimeCore> {
  if (environment.installGlobalAwsLambda) installAwsLambdaGlobal();
  const store = await createInvokeStore(concurrent);
  patchConsole(logConfig, scopeReader(store), patchOptions);
  // AWS's client retries a failed /next whenever AWS_LAMBDA_MAX_CONCURRENCY is set (isMultiConcurrentMode).
  const client = createRuntimeApiClient(environment.runtimeApi, environment.transport, {
    retryNext: process.env.AWS_LAMBDA_MAX_CONCURRENCY !== undefined,
  });
  const inFlight = new InFlight();
  handleProcessFailures(client, store, inFlight);
  return { client, store, inFlight };
}

/**
 * The function's init: its `--import` preloads where node leaves them to us, then its handler
 * module. Resolves with the failure (for failInit) instead of throwing. With `concurrent`, a
 * callback-style handler is refused as AWS's client 4.x refuses it on Managed Instances.
 */
export async function loadFunction(
  environment: RuntimeEnvironment,
  concurrent: boolean,
  nodeLeftImports: () => boolean,
): Promise<LoadedFunction | { error: unknown }> {
  const compileCache = enableFunctionCompileCache(environment.taskRoot, process.env);
  let handler: UserHandler;
  try {
    await runNodeOptionsImports(nodeLeftImports);
    // Read after the preloads, as AWS's client reads it (createRuntime, after node ran them): an
    // agent may redirect the handler to its own shim (Sentry's awslambda-auto sets _HANDLER to
    // @sentry/aws-serverless/run-lambda-handler and keeps the original in SENTRY_ORIGINAL_HANDLER).
    handler = await loadHandler(environment.taskRoot, process.env._HANDLER || environment.handler);
  } catch (error) {
    return { error };
  }
  const streaming = streamingOptions(handler);
  if (concurrent && !streaming && handler.length >= 3) {
    return { error: new LambdaError(CALLBACK_HANDLER_DEPRECATED, CALLBACK_WITH_CONCURRENCY) };
  }
  return { handler, streaming, compileCache };
}

/**
 * NODE_OPTIONS --import preloads, which node leaves to the script in a single executable and in a
 * worker thread started from code rather than from a file (`nodeLeftImports` says whether this
 * thread is such a one). Run by node itself (the exec-wrapper layer, `node dist/bootstrap.js`),
 * node has run them already.
 */
export function runNodeOptionsImports(nodeLeftImports: () => boolean): Promise<void> {
  // Once per thread: bootstrap.ts runs them before the console is patched (node runs --import
  // preloads before the entry point, so on nodejs24.x what they print is not formatted), and
  // loadFunction awaits the same run, to report its failure as the init error.
  importsRun ??= importNodeOptionsPreloads(nodeLeftImports);
  return importsRun;
}

let importsRun: Promise<void> | undefined;

async function importNodeOptionsPreloads(nodeLeftImports: () => boolean): Promise<void> {
  const specifiers = importPreloads(process.env.NODE_OPTIONS);
  // Asked second: most starts have no --import, and then node:sea need not be loaded at all.
  if (!(specifiers instanceof Error) && specifiers.length === 0) return;
  if (!nodeLeftImports()) return;
  if (specifiers instanceof Error) throw specifiers;
  await runImportPreloads(specifiers, process.cwd());
}

/** Whether this is a single executable. Asked lazily: the benchmark also compiles the runtime with
 * Bun, which has no node:sea. */
export function isSea(): boolean {
  try {
    return (process.getBuiltinModule('node:sea') as typeof import('node:sea') | undefined)?.isSea() ?? false;
  } catch {
    return false;
  }
}
