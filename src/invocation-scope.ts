// Which invocation the code running right now belongs to: logging and process-level failure
// handling read it from here, and nothing else keeps per-invocation state.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Invocation } from './runtime-api.ts';

export interface Scope {
  readonly requestId: string | undefined;
  readonly tenantId: string | undefined;
}

export interface InvocationScope {
  current(): Scope;
  /** Runs `work` as part of `invocation`; everything it schedules stays attributed to it. */
  run<T>(invocation: Invocation, work: () => T): T;
}

const OUTSIDE: Scope = Object.freeze({ requestId: undefined, tenantId: undefined });

/** One invocation at a time: a plain variable, the cheapest possible lookup on every log line. */
export function sequentialScope(): InvocationScope {
  let current: Scope = OUTSIDE;
  return {
    current: () => current,
    run(invocation, work) {
      current = invocation;
      return work();
    },
  };
}

/** Many invocations at once (Managed Instances): the scope follows async context. */
export function concurrentScope(): InvocationScope {
  const storage = new AsyncLocalStorage<Scope>();
  return {
    current: () => storage.getStore() ?? OUTSIDE,
    run: (invocation, work) => storage.run(invocation, work),
  };
}
