// AWS_EXECUTION_ENV. Lambda sets it for managed runtimes (`AWS_Lambda_nodejs24.x`) and leaves it
// unset on OS-only runtimes (provided.al2, provided.al2023), where this binary runs. Libraries
// take its absence to mean "not on Lambda": Powertools Tracer then switches itself off, so a
// function moved from nodejs24.x would silently stop tracing. The runtime names the managed
// runtime it stands in for, as the managed one would.

import { runningNodeMajor } from './node-path.ts';

/** The value Lambda gives nodejs24.x (AWS Lambda docs, "Defined runtime environment variables"). */
export const MANAGED_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';

/** nodejs<major>.x's value: the binary built from Node 26 names nodejs26.x (issue 21). */
export function managedExecutionEnv(major: string): string {
  return `AWS_Lambda_nodejs${major}.x`;
}

/**
 * Sets `AWS_EXECUTION_ENV` to the running Node line's managed value (MANAGED_EXECUTION_ENV on
 * Node 24) when it is unset or empty; a value already
 * there (the exec-wrapper flavour on a managed runtime, or the function's own) is kept.
 * Returns the value now in effect.
 */
export function applyExecutionEnvironment(env: NodeJS.ProcessEnv): string {
  const own = env.AWS_EXECUTION_ENV;
  if (own !== undefined && own !== '') return own;
  const value = managedExecutionEnv(runningNodeMajor());
  env.AWS_EXECUTION_ENV = value;
  return value;
}
