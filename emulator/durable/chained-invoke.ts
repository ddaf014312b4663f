// `context.invoke(name, functionName, input)`: the SDK checkpoints a CHAINED_INVOKE operation
// (START, ChainedInvokeOptions.FunctionName, Payload) and returns PENDING; the service invokes that
// function, and when it has ended completes the operation (SUCCEEDED with ChainedInvokeDetails.Result,
// FAILED / TIMED_OUT / STOPPED with ChainedInvokeDetails.Error) and re-invokes the caller to replay.
// A durable function invoked this way runs as a durable execution of its own, whose ARN the
// ChainedInvokeStarted event names (Lambda API reference, ChainedInvokeStartedDetails).
// Locally the server runs one function: a chained invoke may name that function (its name, its
// ARN or partial ARN, unqualified or $LATEST), which then runs as a new durable execution of the
// same local service. Any other function is not there: the operation fails with
// ResourceNotFoundException and a sentence saying so, and the workflow sees an InvokeError.
import { createHash } from 'node:crypto';
import { resolveFunctionName } from '../invoke/lambda-invoke-api.ts';
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
export function notLocalFunction(functionName: string, local: string): ErrorObject {
  return {
    ErrorType: 'ResourceNotFoundException',
    ErrorMessage:
      `Function not found: ${functionName}. The local durable service runs one function, "${local}": ` +
      `context.invoke can call it (by name or ARN, unqualified or $LATEST), and no other function. ` +
      `Invoke the other function from a step instead, or give it its own local server to try it alone (docs/durable-functions.md#chained-invokes)`,
  };
}

/** The child execution's name: stable for the caller's operation (a replayed START finds the same
 * execution), within DurableExecutionName's 64 letters, digits, hyphens and underscores. */
export function chainedExecutionName(callerArn: string, operationId: string): string {
  return `invoke-${createHash('sha256').update(`${callerArn}\n${operationId}`).digest('hex').slice(0, 40)}`;
}
