// One invocation: call the handler in its style (promise, plain value, callback, context.done)
// and settle exactly once. The first completion wins; later ones are ignored with a warning.

import { EventEmitter } from 'node:events';
import { createContext } from './context.ts';
import type { LambdaContext } from './context.ts';
import type { EmptyEventLoop } from './empty-event-loop.ts';
import { LambdaError, NODE_JS_EXIT, NODE_JS_EXIT_MESSAGE } from './errors.ts';
import type { RuntimeEnvironment } from './environment.ts';
import type { UserHandler } from './handler-loader.ts';
import type { Invocation } from './runtime-api/runtime-api.ts';

export type Outcome = { ok: true; result: unknown } | { ok: false; error: unknown };

const ALREADY_DONE =
  'Invocation has already been reported as done. Cannot call complete more than once per invocation.';

/**
 * Calls the handler and resolves with its outcome. `emptyLoop` is undefined when several
 * invocations share the process (Managed Instances): nothing can then wait for an empty loop.
 */
export function runInvocation(
  handler: UserHandler,
  event: unknown,
  invocation: Invocation,
  environment: RuntimeEnvironment,
  emptyLoop: EmptyEventLoop | undefined,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let completed = false;
    let returnedPromise = false;

    const complete = (outcome: Outcome, waitForEmptyLoop: boolean): void => {
      if (completed) {
        console.warn(ALREADY_DONE);
        return;
      }
      completed = true;
      if (waitForEmptyLoop && emptyLoop) {
        emptyLoop.arm(() => setImmediate(resolve, outcome));
      } else {
        emptyLoop?.arm(undefined);
        resolve(outcome);
      }
    };
    const fail = (error: unknown): void => complete({ ok: false, error }, false);
    const succeed = (result: unknown): void => complete({ ok: true, result }, false);
    const done = (error?: unknown, result?: unknown): void =>
      error === undefined || error === null ? succeed(result) : fail(error);

    const context = createContext(invocation, environment, {
      done,
      succeed,
      fail: (error?: unknown) => fail(error === undefined || error === null ? 'handled' : error),
    });
    if (context instanceof LambdaError) {
      resolve({ ok: false, error: context });
      return;
    }
    const callback = (error?: unknown, result?: unknown): void => {
      if (error !== undefined && error !== null) fail(error);
      else complete({ ok: true, result }, context.callbackWaitsForEmptyEventLoop);
    };

    // Nothing settled and nothing left to run: a forgotten promise, or a callback handler that
    // never called back (AWS posts null for those).
    emptyLoop?.arm(() => {
      if (returnedPromise) fail(new LambdaError(NODE_JS_EXIT, NODE_JS_EXIT_MESSAGE));
      else succeed(null);
    });

    let returned: unknown;
    try {
      returned = callHandler(handler, event, context, callback);
    } catch (error) {
      fail(error);
      return;
    }
    if (isThenable(returned)) {
      returnedPromise = true;
      returned.then(succeed, fail);
    } else if (handler.length < 3 && !completed) {
      // A two-parameter handler that returns no result (nothing, or an event emitter such as the
      // http.Server a legacy proxy returns) completes through context.succeed/done/fail later,
      // or with null once the event loop is empty: nodejs22.x (AWS's client 3.x) behaviour.
      // Any other plain return value is the result at once, without waiting for timers or open
      // sockets (Node 24). See docs/differences.md#legacy-completion.
      if (!(handler.length === 2 && emptyLoop && isNotAResult(returned))) succeed(returned);
    }
    // A callback handler settles through its callback or context, or when the event loop empties.
  });
}

function callHandler(
  handler: UserHandler,
  event: unknown,
  context: LambdaContext,
  callback: (error?: unknown, result?: unknown) => void,
): unknown {
  return handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
}

function isNotAResult(value: unknown): boolean {
  return value === undefined || value instanceof EventEmitter;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
