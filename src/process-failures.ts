// Process-level failures: an exception or rejection nobody caught is reported to the Runtime API
// as the current invocation's error (or as the init error before the first invocation), then the
// process exits so Lambda can start a fresh sandbox. Exit codes match AWS's runtime.

import { LambdaError, UNHANDLED_PROMISE_REJECTION, toErrorBody } from './errors.ts';
import type { InFlight } from './in-flight.ts';
import { currentTarget } from './invoke-store.ts';
import type { InvokeStoreBase } from './invoke-store.ts';
import { logRuntimeError } from './logging.ts';
import { invocationXRayCause } from './report.ts';
import type { RuntimeApiClient } from './runtime-api/runtime-api.ts';

export const UNCAUGHT_EXCEPTION_EXIT_CODE = 129;
export const UNHANDLED_REJECTION_EXIT_CODE = 128;

export function handleProcessFailures(
  client: RuntimeApiClient,
  store: InvokeStoreBase,
  inFlight: InFlight,
): void {
  let exiting = false;

  // Other invocations in flight (Managed Instances) still finish and post their results.
  const reportAndExit = async (error: unknown, exitCode: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    const target = currentTarget(store);
    const body = toErrorBody(error);
    if (target === undefined) await client.initError(body);
    // A failure after the invocation reported its result (a stray timer) is only logged:
    // the service accepts one result per invocation.
    else if (inFlight.has(target.requestId)) await client.fail(target, body, invocationXRayCause(error));
    await inFlight.drain(target?.requestId);
    process.exit(exitCode);
  };

  process.on('uncaughtException', (error) => {
    logRuntimeError('Uncaught Exception', error);
    void reportAndExit(error, UNCAUGHT_EXCEPTION_EXIT_CODE);
  });
  process.on('unhandledRejection', (reason) => {
    const error = unhandledRejection(reason);
    logRuntimeError('Unhandled Promise Rejection', error);
    void reportAndExit(error, UNHANDLED_REJECTION_EXIT_CODE);
  });
}

function unhandledRejection(reason: unknown): LambdaError {
  let message: string;
  try {
    message = String(reason);
  } catch {
    message = Object.prototype.toString.call(reason);
  }
  const error = new LambdaError(UNHANDLED_PROMISE_REJECTION, message, { cause: reason });
  // The rejection's own stack says where it came from; ours would only point here.
  if (reason instanceof Error && typeof reason.stack === 'string') {
    error.stack = `${UNHANDLED_PROMISE_REJECTION}: ${message}\n${reason.stack.split('\n').slice(1).join('\n')}`;
  }
  return error;
}
