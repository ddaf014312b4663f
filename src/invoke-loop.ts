// The loop: GET /next → call the handler → POST /response or /error, forever.

import type { EmptyEventLoop } from './empty-event-loop.ts';
import { LambdaError, MALFORMED_EVENT } from './errors.ts';
import type { RuntimeEnvironment } from './environment.ts';
import type { UserHandler } from './handler-loader.ts';
import { runInvocation } from './invocation.ts';
import type { InFlight } from './in-flight.ts';
import { runInInvocation } from './invoke-store.ts';
import type { InvokeStoreBase } from './invoke-store.ts';
import { report, reportError } from './report.ts';
import { RuntimeApiError } from './runtime-api/runtime-api.ts';
import type { Invocation, RuntimeApiClient } from './runtime-api/runtime-api.ts';
import { runStreamingInvocation } from './streaming-invocation.ts';

export interface InvokeLoopOptions {
  client: RuntimeApiClient;
  handler: UserHandler;
  /** Set when the handler was marked by streamifyResponse. */
  streaming: { highWaterMark?: number } | undefined;
  environment: RuntimeEnvironment;
  /** AWS's InvokeStore: every invocation runs inside its `run`. */
  store: InvokeStoreBase;
  inFlight: InFlight;
  /** Undefined when invocations run concurrently. */
  emptyLoop: EmptyEventLoop | undefined;
  /** `_X_AMZN_TRACE_ID` is process-wide, so it is only kept when one invocation runs at a time. */
  setTraceEnvironment: boolean;
}

/**
 * Runs until the Runtime API fails in a way the loop cannot survive (resolves with that error) or
 * until the process stops taking work after a fatal error (resolves with undefined).
 */
export async function runInvokeLoop(options: InvokeLoopOptions): Promise<RuntimeApiError | undefined> {
  const { client, store, inFlight } = options;
  while (inFlight.accepting) {
    const invocation = await client.next();
    if (invocation instanceof RuntimeApiError) return invocation;
    inFlight.begin(invocation.requestId);
    const failure = await runInInvocation(store, invocation, () => handleInvocation(invocation, options));
    inFlight.end(invocation.requestId);
    if (failure) return failure;
  }
  return undefined;
}

async function handleInvocation(
  invocation: Invocation,
  options: InvokeLoopOptions,
): Promise<RuntimeApiError | undefined> {
  const { client, handler, environment } = options;
  if (options.setTraceEnvironment) {
    // Read back from the store, the one record of the current invocation.
    const traceId = options.store.getXRayTraceId();
    if (traceId === undefined) delete process.env._X_AMZN_TRACE_ID;
    else process.env._X_AMZN_TRACE_ID = traceId;
  }
  let event: unknown;
  try {
    event = JSON.parse(invocation.body.toString('utf8'));
  } catch {
    // The parser's message quotes the payload, and the runtime never logs event content.
    return reportError(
      client,
      invocation,
      new LambdaError(
        MALFORMED_EVENT,
        `The event of request ${invocation.requestId} is not valid JSON (${invocation.body.length} bytes); ` +
          'the handler was not called. Invoke the function with a JSON payload.',
      ),
    );
  }
  if (options.streaming) {
    return runStreamingInvocation(handler, event, invocation, environment, client, options.streaming);
  }
  const outcome = await runInvocation(handler, event, invocation, environment, options.emptyLoop);
  return report(client, invocation, outcome);
}
