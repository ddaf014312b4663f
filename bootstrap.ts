// lambda-bootstrap: a custom AWS Lambda runtime for Node.js.
// Reads the environment, loads the handler, then runs the invoke loop until the Runtime API
// says the sandbox is done.

import { installAwsLambdaGlobal, streamingOptions } from './src/aws-lambda-global.ts';
import { EmptyEventLoop } from './src/empty-event-loop.ts';
import { EnvironmentError, readEnvironment } from './src/environment.ts';
import { loadHandler } from './src/handler-loader.ts';
import { failInit } from './src/init-error.ts';
import { concurrentScope, sequentialScope } from './src/invocation-scope.ts';
import { runInvokeLoop } from './src/invoke-loop.ts';
import { logConfigFromEnvironment, patchConsole } from './src/logging.ts';
import { handleProcessFailures } from './src/process-failures.ts';
import { RuntimeApiClient } from './src/runtime-api.ts';
import { createFetchTransport } from './src/transport-fetch.ts';
import { createHttpTransport } from './src/transport-http.ts';

async function main(): Promise<void> {
  const environment = readEnvironment(process.env, process.cwd());
  if (environment instanceof EnvironmentError) {
    process.stderr.write(`lambda-bootstrap: ${environment.message}\n`);
    process.exit(1);
  }
  const concurrent = environment.maxConcurrency > 1;
  const scope = concurrent ? concurrentScope() : sequentialScope();
  patchConsole(logConfigFromEnvironment(process.env), scope.current);

  const api = environment.runtimeApi;
  const http = createHttpTransport(api);
  // Streaming needs request trailers, which fetch cannot send: it always goes over node:http.
  const client = new RuntimeApiClient(
    environment.transport === 'fetch' ? createFetchTransport(api) : http,
    () => http,
    api,
  );
  handleProcessFailures(client, scope);
  if (environment.installGlobalAwsLambda) installAwsLambdaGlobal();

  let handler;
  try {
    handler = await loadHandler(environment.taskRoot, environment.handler);
  } catch (error) {
    return failInit(client, error);
  }

  const failure = await runInvokeLoop({
    client,
    handler,
    streaming: streamingOptions(handler),
    environment,
    scope,
    emptyLoop: concurrent ? undefined : new EmptyEventLoop(),
    setTraceEnvironment: !concurrent,
  });
  console.error(`${failure.message}. Exiting so that Lambda replaces this sandbox.`);
  process.exit(1);
}

void main();
