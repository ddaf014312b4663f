// `context.invoke(name, functionName, input)`: the SDK checkpoints a CHAINED_INVOKE operation
// (START, ChainedInvokeOptions.FunctionName, Payload) and returns PENDING; the service invokes that
// function, and when it has ended completes the operation (SUCCEEDED with ChainedInvokeDetails.Result,
// FAILED / TIMED_OUT / STOPPED with ChainedInvokeDetails.Error) and re-invokes the caller to replay.
// A durable function invoked this way runs as a durable execution of its own, whose ARN the
// ChainedInvokeStarted event names (Lambda API reference, ChainedInvokeStartedDetails).
// Locally the server runs one durable function: a chained invoke may name that function (its
// name, its ARN or partial ARN, unqualified or $LATEST), which then runs as a new durable
// execution of the same local service; or a function registered beside it with
// `--chained-function NAME=DIR[:HANDLER]`, which runs in a runtime of its own as a plain
// (not durable) invocation, its response the result and its function error the error. Any
// other function is not there: the operation fails with ResourceNotFoundException and a
// sentence saying what to do, and the workflow sees an InvokeError.
import { createHash } from 'node:crypto';
import { resolveFunctionName } from '../invoke/lambda-invoke-api.ts';
import type { InvocationOutcome } from '../invocation.ts';
import type { ErrorObject } from './execution.ts';

/** How a chained invoke ended, as the caller's CHAINED_INVOKE operation records it. */
export interface ChainedOutcome {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';
  result?: string;
  error?: ErrorObject;
}

/** A chained invoke under way: the durable execution it started (if any), and its end. */
export interface ChainedRun {
  durableExecutionArn?: string;
  done: Promise<ChainedOutcome>;
}

/** Starts the chained invoke that operation `operationId` of execution `callerArn` asked for. */
export type ChainedInvoker = (request: { callerArn: string; operationId: string; functionName: string; payload: string | undefined }) => Promise<ChainedRun>;

/** True when `functionName` (name, ARN, partial ARN; unqualified or $LATEST) names `local`. */
export function namesLocalFunction(functionName: string, local: string): boolean {
  const target = resolveFunctionName(functionName, null);
  return target.name === local && (target.qualifier === undefined || target.qualifier === '$LATEST');
}

/** The error a chained invoke of a function the local server does not run ends with. */
export function notLocalFunction(functionName: string, local: string, chained: readonly string[] = []): ErrorObject {
  const also = chained.length === 0 ? 'no other function' : `the functions registered with --chained-function (${chained.map((n) => `"${n}"`).join(', ')})`;
  return {
    ErrorType: 'ResourceNotFoundException',
    ErrorMessage:
      `Function not found: ${functionName}. The local durable service runs "${local}": context.invoke can call it ` +
      `(by name or ARN, unqualified or $LATEST) and ${also}. ` +
      `Run the other function beside it with --chained-function ${resolveFunctionName(functionName, null).name}=<its folder>[:<module.export>] (docs/durable-functions.md#chained-invokes)`,
  };
}

/** A plain chained invoke's outcome: the function's response is the result; a function error
 * (the runtime's errorType and errorMessage) is the error, as Lambda records a failed invoke. */
export function plainOutcome(outcome: InvocationOutcome): ChainedOutcome {
  const text = outcome.body.toString('utf8');
  if (outcome.kind === 'response') return { status: 'SUCCEEDED', result: text };
  let body: { errorType?: unknown; errorMessage?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) body = parsed as typeof body;
  } catch {
    // not JSON: the text is the message
  }
  return {
    status: 'FAILED',
    error: {
      ErrorType: typeof body.errorType === 'string' ? body.errorType : (outcome.errorType ?? 'Runtime.Unknown'),
      ErrorMessage: typeof body.errorMessage === 'string' ? body.errorMessage : text.slice(0, 1024),
    },
  };
}

/** The child execution's name: stable for the caller's operation (a replayed START finds the same
 * execution), within DurableExecutionName's 64 letters, digits, hyphens and underscores. */
export function chainedExecutionName(callerArn: string, operationId: string): string {
  return `invoke-${createHash('sha256').update(`${callerArn}\n${operationId}`).digest('hex').slice(0, 40)}`;
}
