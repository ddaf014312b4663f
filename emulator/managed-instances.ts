// The result gate of Lambda Managed Instances, and the invocation id of the 2026 Runtime API.
//
// Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY): the RIE's internal/lambda-managed-instances keeps
// one running invoke per request id (invoke/invoke_router.go). A result post for a running invoke
// goes to it (202); one whose response is already in progress, or an error after its response was
// sent, is 400 InvalidRequestID (rapi/handler/invocationresponse.go, invocationerror.go); an id
// that is not running but timed out recently is 410 InvokeTimeout, once (invoke/timeout/
// timeout_cache.go: the 1,000 most recent, consumed on use); anything else is 400 InvalidRequestID.
// A timeout does not stop the sandbox there: the other invocations go on, and the late handler's
// answer gets its 410. Oversized results are 413 as on-demand (the server's own check).
//
// Invocation id (July 2026): every delivery of an event is an attempt with its own
// `Lambda-Runtime-Invocation-Id`; the runtime echoes it on that attempt's result posts. The check
// is per attempt, so a timed-out attempt's late answer can never be filed under a retry of the same
// request id: an echo naming a timed-out attempt is 410 InvokeTimeout, one naming no attempt of
// that request 400 InvalidRequestID. A post without the header is judged by its request id alone,
// as before (runtimes that predate the header send none).
import { randomUUID } from 'node:crypto';
import type { Invocation } from './invocation.ts';
import type { Answer, ResultGate } from './runtime-api/runtime-api-server.ts';
import { INVALID_REQUEST_ID, apiError } from './service-errors.ts';

/** rapi/rendering/render_error.go RenderInvokeTimeout. */
export const INVOKE_TIMEOUT: Answer = Object.freeze({ status: 410, body: apiError('InvokeTimeout', 'Invoke timeout') });
/** rapi/rendering/render_error.go RenderInvalidRequestID. */
export const INVALID_REQUEST: Answer = Object.freeze({ status: 400, body: INVALID_REQUEST_ID });

/** invoke/timeout/timeout_cache.go timeoutCacheSize. */
export const TIMED_OUT_KEPT = 1_000;

/** A fresh invocation id for one delivery of an event. */
export function newInvocationId(): string {
  return randomUUID();
}

/** Whether a post's echoed invocation id (undefined: none sent) names this delivery of `invocation`. */
export function echoMatches(invocation: Invocation, echoed: string | undefined): boolean {
  return echoed === undefined || echoed === invocation.invocationId;
}

/** The attempts that timed out recently, oldest first; each may be answered 410 once. */
export class TimedOutAttempts {
  // requestId → the invocation ids of its timed-out attempts ('' when none was issued).
  private readonly byRequest = new Map<string, string[]>();
  private readonly order: [string, string][] = [];

  register(requestId: string, invocationId: string | undefined): void {
    const attempt = invocationId ?? '';
    const attempts = this.byRequest.get(requestId) ?? [];
    attempts.push(attempt);
    this.byRequest.set(requestId, attempts);
    this.order.push([requestId, attempt]);
    if (this.order.length > TIMED_OUT_KEPT) {
      const [oldRequest, oldAttempt] = this.order.shift()!;
      this.remove(oldRequest, oldAttempt);
    }
  }

  /** True (and forgotten) if `requestId`'s attempt `echoed` timed out; without an echo, any of its attempts. */
  consume(requestId: string, echoed: string | undefined): boolean {
    const attempts = this.byRequest.get(requestId);
    if (attempts === undefined) return false;
    const attempt = echoed ?? attempts[0]!;
    if (!attempts.includes(attempt)) return false;
    this.remove(requestId, attempt);
    const at = this.order.findIndex(([r, a]) => r === requestId && a === attempt);
    if (at !== -1) this.order.splice(at, 1);
    return true;
  }

  private remove(requestId: string, attempt: string): void {
    const attempts = this.byRequest.get(requestId);
    if (attempts === undefined) return;
    const at = attempts.indexOf(attempt);
    if (at !== -1) attempts.splice(at, 1);
    if (attempts.length === 0) this.byRequest.delete(requestId);
  }
}

/**
 * The Managed Instances gate for a result post naming `requestId` (undefined: not decodable) and
 * echoing `echoed`. `running` is the invocation in flight under that request id, if any.
 */
export function managedInstancesGate(
  running: Invocation | undefined,
  requestId: string | undefined,
  echoed: string | undefined,
  timedOut: TimedOutAttempts,
): ResultGate {
  if (running !== undefined && running.state === 'in-flight' && echoMatches(running, echoed)) {
    if (running.resultInProgress) return { kind: 'answer', answer: INVALID_REQUEST };
    return { kind: 'open', invocation: running };
  }
  if (requestId !== undefined && timedOut.consume(requestId, echoed)) return { kind: 'answer', answer: INVOKE_TIMEOUT };
  return { kind: 'answer', answer: INVALID_REQUEST };
}
