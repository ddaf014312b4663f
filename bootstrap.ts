// lambda-bootstrap: a custom AWS Lambda runtime for Node.js.
// Reads the environment, loads the handler, then runs the invoke loop (one, or one per allowed
// concurrent invocation on Lambda Managed Instances) until the Runtime API says the sandbox is done.

import { installAwsLambdaGlobal, streamingOptions } from './src/aws-lambda-global.ts';
import { EmptyEventLoop } from './src/empty-event-loop.ts';
import { EnvironmentError, readEnvironment } from './src/environment.ts';
import { CALLBACK_HANDLER_DEPRECATED, LambdaError } from './src/errors.ts';
import { loadHandler } from './src/handler-loader.ts';
import { InFlight } from './src/in-flight.ts';
import { failInit } from './src/init-error.ts';
import { concurrentScope, sequentialScope } from './src/invocation-scope.ts';
import { runInvokeLoop } from './src/invoke-loop.ts';
import { logConfigFromEnvironment, patchConsole } from './src/logging.ts';
import { handleProcessFailures } from './src/process-failures.ts';
import { createRuntimeApiClient } from './src/runtime-api-client.ts';
import { enableGracefulShutdown } from './src/shutdown.ts';

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
  const concurrent = environment.maxConcurrency > 1;
  const scope = concurrent ? concurrentScope() : sequentialScope();
  patchConsole(logConfigFromEnvironment(process.env), scope.current);

  const client = createRuntimeApiClient(environment.runtimeApi, environment.transport);
  const inFlight = new InFlight();
  handleProcessFailures(client, scope, inFlight);
  if (environment.installGlobalAwsLambda) installAwsLambdaGlobal();

  let handler;
  try {
    handler = await loadHandler(environment.taskRoot, environment.handler);
  } catch (error) {
    return failInit(client, error);
  }
  const streaming = streamingOptions(handler);
  if (concurrent && !streaming && handler.length >= 3) {
    return failInit(client, new LambdaError(CALLBACK_HANDLER_DEPRECATED, CALLBACK_WITH_CONCURRENCY));
  }
  await enableGracefulShutdown(client, environment.runtimeApi, environment.forceGracefulShutdown);

  const loopOptions = {
    client,
    handler,
    streaming,
    environment,
    scope,
    inFlight,
    emptyLoop: concurrent ? undefined : new EmptyEventLoop(),
    setTraceEnvironment: !concurrent,
  };
  const loops = Array.from({ length: environment.maxConcurrency }, () => runInvokeLoop(loopOptions));
  const failure = await Promise.race(loops);
  // No failure: a fatal error stopped the loops, and its handler exits once in-flight work is done.
  if (failure) {
    console.error(`${failure.message}. Exiting so that Lambda replaces this sandbox.`);
    process.exit(1);
  }
}

void main();
