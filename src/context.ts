// The context object handed to the handler, built from /next headers and the environment.

import { malformedHeader } from './runtime-api/client-context.ts';
import type { W3CFields } from './runtime-api/client-context.ts';
import { LambdaError } from './errors.ts';
import type { RuntimeEnvironment } from './environment.ts';
import type { Invocation } from './runtime-api/runtime-api.ts';

export interface CognitoIdentity {
  cognitoIdentityId: string | undefined;
  cognitoIdentityPoolId: string | undefined;
}

/** How the handler settles through the context's legacy methods; wired by the invocation. */
export interface ContextCompletion {
  done(error?: unknown, result?: unknown): void;
  succeed(result?: unknown): void;
  fail(error?: unknown): void;
}

export interface LambdaContext extends ContextCompletion {
  awsRequestId: string;
  invokedFunctionArn: string | undefined;
  functionName: string | undefined;
  functionVersion: string | undefined;
  memoryLimitInMB: string | undefined;
  logGroupName: string | undefined;
  logStreamName: string | undefined;
  identity: CognitoIdentity | undefined;
  /** The parsed client context without its `w3c` key, undefined when the invoke sent none. */
  clientContext: unknown;
  tenantId: string | undefined;
  xRayTraceId: string | undefined;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  /** The W3C trace context the invoke's client context carried (traceparent, tracestate, baggage):
   * frozen, string fields only, `{}` when none (AWS's v4 client, context-builder.ts). */
  w3c(): W3CFields;
}

/** Builds the context. Malformed client-context or identity headers are reported as an invocation error. */
export function createContext(
  invocation: Invocation,
  environment: RuntimeEnvironment,
  completion: ContextCompletion,
): LambdaContext | LambdaError {
  const clientContext = invocation.clientContext;
  if (clientContext instanceof LambdaError) return clientContext;
  const w3c = clientContext.w3c;
  const identity = parseHeaderJson(invocation.cognitoIdentity, 'Lambda-Runtime-Cognito-Identity');
  if (identity instanceof LambdaError) return identity;
  const deadlineMs = invocation.deadlineMs;
  return {
    awsRequestId: invocation.requestId,
    invokedFunctionArn: invocation.invokedFunctionArn,
    functionName: environment.functionName,
    functionVersion: environment.functionVersion,
    memoryLimitInMB: environment.memorySizeMb,
    logGroupName: environment.logGroupName,
    logStreamName: environment.logStreamName,
    identity: identity === undefined ? undefined : toCognitoIdentity(identity),
    clientContext: clientContext.value,
    tenantId: invocation.tenantId,
    xRayTraceId: invocation.traceId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => deadlineMs - Date.now(),
    w3c: () => w3c,
    done: completion.done,
    succeed: completion.succeed,
    fail: completion.fail,
  };
}

function parseHeaderJson(value: string | undefined, headerName: string): unknown {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    // The parser's message would quote the header, which may carry the caller's secrets.
    return malformedHeader(headerName, value);
  }
}

function toCognitoIdentity(value: unknown): CognitoIdentity {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    cognitoIdentityId: asString(record.cognitoIdentityId),
    cognitoIdentityPoolId: asString(record.cognitoIdentityPoolId),
  };
}

function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
