// Reporting an invocation's outcome to the Runtime API, and what to do when it is refused.

import {
  JSON_STRINGIFY_ERROR,
  LambdaError,
  RESPONSE_SIZE_TOO_LARGE,
  toErrorBody,
} from './errors.ts';
import type { Outcome } from './invocation.ts';
import { logRuntimeError } from './logging.ts';
import { RuntimeApiError } from './runtime-api.ts';
import type { PostOutcome, RuntimeApiClient } from './runtime-api.ts';
import { xrayErrorCause, xrayErrorCauseHeader } from './xray-error-cause.ts';

/** The largest buffered response the Runtime API accepts. */
export const MAX_RESPONSE_BYTES = 6_291_556;

/** Posts the outcome. Returns an error only when the Runtime API can no longer be used. */
export async function report(
  client: RuntimeApiClient,
  requestId: string,
  outcome: Outcome,
): Promise<RuntimeApiError | undefined> {
  if (outcome.ok) {
    const json = stringifyResult(outcome.result);
    if (typeof json === 'string') {
      const posted = await client.respond(requestId, json);
      if (!(posted instanceof RuntimeApiError) || posted.status !== 413) {
        return checkPost(posted, requestId, 'response');
      }
      // The service has already recorded Function.ResponseSizeTooLarge and closed the invocation
      // (lambda/rapi/handler/invocationresponse.go: ErrorResponseTooLarge → SendErrorResponse,
      // runtime.ResponseSent()); an /error now would only be refused with 403.
      console.error(tooLargeMessage(Buffer.byteLength(json)));
      return undefined;
    }
    return reportError(client, requestId, json);
  }
  return reportError(client, requestId, outcome.error);
}

export async function reportError(
  client: RuntimeApiClient,
  requestId: string,
  error: unknown,
): Promise<RuntimeApiError | undefined> {
  logRuntimeError('Invoke Error', error);
  const posted = await client.fail(requestId, toErrorBody(error), invocationXRayCause(error));
  return checkPost(posted, requestId, 'error');
}

/** The X-Ray cause header of an invocation error, if it has one. */
export function invocationXRayCause(error: unknown): string | undefined {
  return xrayErrorCauseHeader(xrayErrorCause(error, process.cwd()));
}

function stringifyResult(result: unknown): string | LambdaError {
  try {
    return JSON.stringify(result === undefined ? null : result) ?? 'null';
  } catch (error) {
    return new LambdaError(JSON_STRINGIFY_ERROR, 'Unable to stringify response body', { cause: error });
  }
}

/** The one line logged when the Runtime API refused a result as too large (413). */
export function tooLargeMessage(bytes: number): string {
  return (
    `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes): ` +
    `the Runtime API answered 413 and recorded ${RESPONSE_SIZE_TOO_LARGE} for this invocation. ` +
    'Return less data, or stream the response with awslambda.streamifyResponse (up to 200 MB).'
  );
}

// 4xx on a result post is the service refusing that one result (stale id, second result):
// the sandbox is still usable. 5xx means the container is going away, and a connection that
// fails (status 0) means the Runtime API is gone: both end the process.
export function checkPost(posted: PostOutcome, requestId: string, what: string): RuntimeApiError | undefined {
  if (!(posted instanceof RuntimeApiError)) return undefined;
  console.error(
    `The Runtime API did not accept the ${what} for request ${requestId}: ${posted.message}`,
  );
  return posted.status >= 500 || posted.status === 0 ? posted : undefined;
}
