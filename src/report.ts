// Reporting an invocation's outcome to the Runtime API, and what to do when it is refused.

import {
  JSON_STRINGIFY_ERROR,
  LambdaError,
  RESPONSE_SIZE_TOO_LARGE,
  toErrorBody,
} from './errors.ts';
import type { Outcome } from './invocation.ts';
import { logRuntimeError } from './logging.ts';
import { RuntimeApiError } from './runtime-api/runtime-api.ts';
import type { PostOutcome, ResultTarget, RuntimeApiClient } from './runtime-api/runtime-api.ts';
import { xrayErrorCause, xrayErrorCauseHeader } from './xray-error-cause.ts';

/** The largest buffered response the Runtime API accepts. */
export const MAX_RESPONSE_BYTES = 6_291_556;

/**
 * Posts the outcome for the invocation attempt `target`. A post the Runtime API refuses or never
 * answers loses that one result, logged with the request id; it never ends the process (see
 * checkPost), so the result is always undefined: the type stays for the loop's sake.
 */
export async function report(
  client: RuntimeApiClient,
  target: ResultTarget,
  outcome: Outcome,
): Promise<RuntimeApiError | undefined> {
  if (outcome.ok) {
    const json = stringifyResult(outcome.result);
    if (typeof json === 'string') {
      const posted = await client.respond(target, json);
      if (!(posted instanceof RuntimeApiError) || posted.status !== 413) {
        return checkPost(posted, target.requestId, 'response');
      }
      // The service has already recorded Function.ResponseSizeTooLarge and closed the invocation
      // (lambda/rapi/handler/invocationresponse.go: ErrorResponseTooLarge → SendErrorResponse,
      // runtime.ResponseSent()); an /error now would only be refused with 403.
      console.error(tooLargeMessage(Buffer.byteLength(json)));
      return undefined;
    }
    return reportError(client, target, json);
  }
  return reportError(client, target, outcome.error);
}

/** Logs `error` as the invocation's error and posts it; the result is always undefined (see report). */
export async function reportError(
  client: RuntimeApiClient,
  target: ResultTarget,
  error: unknown,
): Promise<RuntimeApiError | undefined> {
  logRuntimeError('Invoke Error', error);
  const posted = await client.fail(target, toErrorBody(error), invocationXRayCause(error));
  return checkPost(posted, target.requestId, 'error');
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

/**
 * Logs a result post the Runtime API did not accept, naming the request id; always returns
 * undefined. Whatever the answer (400 stale id, 403 second result, 410 `InvokeTimeout` for a late
 * answer, 5xx, a refused or reset connection), only that one result is lost and the loop goes on
 * to its next /next, as in AWS's v4 client: its native `done()`/`error()` ignore the HTTP outcome,
 * and under Managed Instances a thrown post is only logged (rapid-client.ts postInvocationResponse).
 * If the Runtime API is really gone, the next /next says so, and that is where the process ends.
 */
export function checkPost(posted: PostOutcome, requestId: string, what: string): RuntimeApiError | undefined {
  if (!(posted instanceof RuntimeApiError)) return undefined;
  console.error(`The Runtime API did not accept the ${what} for request ${requestId}: ${posted.message}`);
  return undefined;
}
