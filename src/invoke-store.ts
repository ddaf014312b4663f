// Which invocation the code running right now belongs to: AWS's InvokeStore (npm
// @aws/lambda-invoke-store), the same object that AWS SDK v3, Powertools and tracers read from
// `globalThis.awslambda.InvokeStore`. It is the runtime's only record of "the current invocation":
// logging, `_X_AMZN_TRACE_ID` and process-level failure reporting all read it from here.

import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import { LambdaError } from './errors.ts';
import type { Invocation, ResultTarget } from './runtime-api/runtime-api.ts';

export type { InvokeStoreBase };

const { REQUEST_ID, X_RAY_TRACE_ID, TENANT_ID, TRACEPARENT, TRACESTATE, BAGGAGE } = InvokeStoreBase.PROTECTED_KEYS;
// The runtime's own key: the attempt's invocation id, for a failure report made from a process
// event (no invocation object at hand there). Not Symbol.for: no library can reach it by name.
const INVOCATION_ID = Symbol('lambda-bootstrap.invocation-id');

/** What a log record and a failure report need from the invocation in progress. */
export interface InvocationScope {
  readonly requestId: string | undefined;
  readonly tenantId: string | undefined;
}

/**
 * Creates the store once at start-up, as AWS's runtime interface client v4 does
 * (`InvokeStore.getInstanceAsync()` in its runtime set-up): the "single" kind (a plain field) for
 * one invocation at a time, the AsyncLocalStorage "multi" kind when `concurrent` (Lambda Managed
 * Instances) or whenever `AWS_LAMBDA_MAX_CONCURRENCY` is set, which is the package's own rule.
 * Unless `AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA` is set, the package assigns it to
 * `globalThis.awslambda.InvokeStore` (or returns the instance a preload already put there), so
 * every copy of the package a function bundles finds this one.
 */
export function createInvokeStore(concurrent: boolean): Promise<InvokeStoreBase> {
  return InvokeStore.getInstanceAsync(concurrent);
}

/**
 * Runs `work` as `invocation` under the package's protected keys: request id, X-Ray trace header
 * (`Lambda-Runtime-Trace-Id`), tenant id, and the W3C trace context of the invoke's client context
 * (traceparent, tracestate, baggage; undefined when it has none), which `@aws-sdk/core`'s
 * recursion-detection middleware copies onto every request the SDK sends. One object per
 * invocation, whatever the keys hold: the store's "multi" kind keeps it per async context, so
 * concurrent invocations each see their own.
 */
export function runInInvocation<T>(store: InvokeStoreBase, invocation: Invocation, work: () => T): T {
  const clientContext = invocation.clientContext;
  const w3c = clientContext instanceof LambdaError ? undefined : clientContext.w3c;
  return store.run(
    {
      [REQUEST_ID]: invocation.requestId,
      [X_RAY_TRACE_ID]: invocation.traceId,
      [TENANT_ID]: invocation.tenantId,
      [TRACEPARENT]: w3c?.traceparent,
      [TRACESTATE]: w3c?.tracestate,
      [BAGGAGE]: w3c?.baggage,
      [INVOCATION_ID]: invocation.invocationId,
    },
    work,
  );
}

/** The invocation attempt running now, as a result post names it; undefined before the first one. */
export function currentTarget(store: InvokeStoreBase): ResultTarget | undefined {
  const context = store.getContext();
  const requestId = context?.[REQUEST_ID] as string | undefined;
  if (requestId === undefined) return undefined;
  return { requestId, invocationId: context?.[INVOCATION_ID] as string | undefined };
}

/** The request id of the invocation running now; undefined before the first one (init). */
export function currentRequestId(store: InvokeStoreBase): string | undefined {
  return store.getContext()?.[REQUEST_ID] as string | undefined;
}

/** A reader of the current scope for the logger: one store lookup per log record. */
export function scopeReader(store: InvokeStoreBase): () => InvocationScope {
  return () => {
    const context = store.getContext();
    return {
      requestId: context?.[REQUEST_ID] as string | undefined,
      tenantId: context?.[TENANT_ID] as string | undefined,
    };
  };
}
