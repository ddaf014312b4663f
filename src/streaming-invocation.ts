// One invocation of a streaming handler (`awslambda.streamifyResponse`): it is called as
// handler(event, responseStream, context) and must return a promise.

import { finished } from 'node:stream/promises';
import { createContext } from './context.ts';
import type { ContextCompletion } from './context.ts';
import { INVALID_STREAMING_OPERATION, LambdaError } from './errors.ts';
import type { RuntimeEnvironment } from './environment.ts';
import type { UserHandler } from './handler-loader.ts';
import { isThenable } from './invocation.ts';
import { logRuntimeError } from './logging.ts';
import { checkPost, reportError } from './report.ts';
import { ResponseStream } from './response-stream.ts';
import type { Invocation, PostOutcome, RuntimeApiClient, RuntimeApiError } from './runtime-api.ts';

// A streaming handler settles through its stream; the legacy context methods have no meaning.
const NO_LEGACY_COMPLETION: ContextCompletion = {
  done: () => console.warn('context.done() is ignored by streaming handlers: end the response stream instead.'),
  succeed: () => console.warn('context.succeed() is ignored by streaming handlers: end the response stream instead.'),
  fail: () => console.warn('context.fail() is ignored by streaming handlers: throw or reject instead.'),
};

export async function runStreamingInvocation(
  handler: UserHandler,
  event: unknown,
  invocation: Invocation,
  environment: RuntimeEnvironment,
  client: RuntimeApiClient,
  options: { highWaterMark?: number },
): Promise<RuntimeApiError | undefined> {
  const { requestId } = invocation;
  const context = createContext(invocation, environment, NO_LEGACY_COMPLETION);
  if (context instanceof LambdaError) return reportError(client, invocation, context);

  let posted: Promise<PostOutcome> | undefined;
  const stream = new ResponseStream((contentType) => {
    const opened = client.streamResponse(invocation, contentType);
    posted = opened.posted;
    return opened.request;
  }, options.highWaterMark);

  const failure = await settle(handler, event, stream, context);
  if (failure !== undefined) {
    if (!stream.started) return reportError(client, invocation, failure);
    logRuntimeError('Invoke Error', failure);
    if (!stream.destroyed) stream.failWithTrailers(failure);
  }
  // Every path that gets here without a failure has ended the stream, which opened the request.
  return posted ? checkPost(await posted, requestId, 'streamed response') : undefined;
}

/** Runs the handler to the end of its response; returns what went wrong, if anything. */
async function settle(
  handler: UserHandler,
  event: unknown,
  stream: ResponseStream,
  context: unknown,
): Promise<unknown> {
  try {
    const returned = handler(event, stream, context);
    if (!isThenable(returned)) {
      return new LambdaError(INVALID_STREAMING_OPERATION, 'Streaming does not support non-async handlers.');
    }
    if ((await returned) !== undefined) console.warn('Streaming handlers ignore return values.');
    if (!stream.writableEnded) {
      return new LambdaError(INVALID_STREAMING_OPERATION, 'Response stream is not finished.');
    }
    await finished(stream);
    return undefined;
  } catch (error) {
    return error;
  }
}
