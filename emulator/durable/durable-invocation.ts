// One invocation of a durable function as the function sees it, apart from the execution's driving
// (execution.ts): the payload the service sends ({DurableExecutionArn, CheckpointToken,
// InitialExecutionState}) and how the answer reads — the SDK's {Status, Result | Error}, or the
// runtime's error document after a function error.
import type { InvocationStart } from './checkpoint-worker.ts';
import type { ErrorObject, InvocationAnswer } from './execution.ts';

/** The invocation's payload (UTF-8 JSON): the execution's ARN, the invocation's first checkpoint
 * token, and every operation the checkpoint server holds for the replay. */
export function invocationPayload(arn: string, start: InvocationStart): Buffer {
  return Buffer.from(
    JSON.stringify({
      DurableExecutionArn: arn,
      CheckpointToken: start.checkpointToken,
      InitialExecutionState: { Operations: start.operationEvents.map((entry) => entry.operation) },
    }),
  );
}

/** How an invocation ended: the SDK's answer, or ERROR (a function error, or no durable answer). */
export interface Outcome {
  status: 'SUCCEEDED' | 'FAILED' | 'PENDING' | 'ERROR';
  result?: string;
  error?: ErrorObject;
}

/** Reads the SDK's invocation answer ({Status, Result?, Error?}); a function error or anything else is ERROR. */
export function parseOutcome(answer: InvocationAnswer): Outcome {
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  const object = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (answer.functionError) {
    return {
      status: 'ERROR',
      error: {
        ErrorType: typeof object.errorType === 'string' ? object.errorType : 'Runtime.Unknown',
        ErrorMessage: typeof object.errorMessage === 'string' ? object.errorMessage : answer.body.toString('utf8').slice(0, 256),
      },
    };
  }
  const status = object.Status;
  if (status === 'SUCCEEDED') return { status, result: typeof object.Result === 'string' ? object.Result : undefined };
  if (status === 'FAILED') return { status, error: (object.Error as ErrorObject | undefined) ?? { ErrorMessage: 'the execution failed' } };
  if (status === 'PENDING') return { status };
  return {
    status: 'ERROR',
    error: {
      ErrorType: 'Runtime.InvalidDurableResponse',
      ErrorMessage: 'the function did not answer as a durable function ({"Status": "SUCCEEDED" | "FAILED" | "PENDING"}): is its handler wrapped with withDurableExecution?',
    },
  };
}
