// One invocation of a streaming handler (`awslambda.streamifyResponse`): it is called as
// handler(event, responseStream, context) and must return a promise.
//
// The invocation lasts until the response stream ends, not until the handler returns. AWS's
// client 4.0.2 (StreamingInvokeProcessor.waitForStreamClosure; 3.3.0 Runtime.handleOnceStreaming
// the same) awaits the handler's promise, then the Runtime API's answer to the streamed POST, which
// comes only once the request body has ended; only then does it look at `writableFinished`. So a
// handler that returns before `end()` (an un-awaited `pipe()`, `end()` from a timer or a callback)
// delivers its whole body, and a stream that is never ended runs into the function timeout.

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
import type { Invocation, PostOutcome, RuntimeApiClient, RuntimeApiError } from './runtime-api/runtime-api.ts';

// A streaming handler settles through its stream; the legacy context methods have no meaning.
const NO_LEGACY_COMPLETION: ContextCompletion = {
  done: () => console.warn('context.done() is ignored by streaming handlers: end the response stream instead.'),
  succeed: () => console.warn('context.succeed() is ignored by streaming handlers: end the response stream instead.'),
  fail: () => console.warn('context.fail() is ignored by streaming handlers: throw or reject instead.'),
};

/** What the stream reports when it is destroyed without an error before it ended. */
const NOT_FINISHED = 'Response stream is not finished.';

/**
 * Runs one streaming invocation to the end of its response stream and reports it. Resolves with
 * a RuntimeApiError only when the Runtime API can no longer be used (see checkPost).
 */
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
    // Once the body has ended (the handler rejected after end()) the POST is complete and the
    // error can only be logged, as in AWS's client (its fail() finds the request ended).
    stream.failWithTrailers(failure);
  }
  // Every path that gets here has opened the request: end() opens it, and a failure with the
  // stream unopened was reported on /error above.
  return posted ? checkPost(await posted, requestId, 'streamed response') : undefined;
}

/**
 * Runs the handler, then waits for its response stream to end; returns what went wrong, if
 * anything. Never times out by itself: an unended stream lasts until the function timeout.
 */
async function settle(
  handler: UserHandler,
  event: unknown,
  stream: ResponseStream,
  context: unknown,
): Promise<unknown> {
  // Listening from the start means an error the stream gets before the handler returns (a
  // pipeline's source failing) is this invocation's failure, never an uncaught exception; AWS's
  // stream is the request itself, which always has an error listener.
  const closed = whenClosed(stream);
  try {
    const returned = handler(event, stream, context);
    if (!isThenable(returned)) {
      return new LambdaError(INVALID_STREAMING_OPERATION, 'Streaming does not support non-async handlers.');
    }
    if ((await returned) !== undefined) console.warn('Streaming handlers ignore return values.');
  } catch (error) {
    return error;
  }
  return keepingProcessAlive(closed);
}

/** Resolves with undefined once the stream has finished, or with why it never will. */
async function whenClosed(stream: ResponseStream): Promise<unknown> {
  try {
    await finished(stream);
    return undefined;
  } catch (error) {
    // destroy() without an error: Node's ERR_STREAM_PREMATURE_CLOSE.
    if ((error as { code?: unknown } | null)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      return new LambdaError(INVALID_STREAMING_OPERATION, NOT_FINISHED, { cause: error });
    }
    return error;
  }
}

// A handler that returned with nothing written and nothing pending leaves no handle open: node
// would exit. AWS's client holds the POST's socket from the start, so such an invocation waits
// for the function timeout; a referenced timer stands in for that socket while we wait.
async function keepingProcessAlive<T>(pending: Promise<T>): Promise<T> {
  const holder = setInterval(() => {}, 1 << 30);
  try {
    return await pending;
  } finally {
    clearInterval(holder);
  }
}
