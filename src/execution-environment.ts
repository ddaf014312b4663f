// AWS_EXECUTION_ENV. Lambda sets it for managed runtimes (`AWS_Lambda_nodejs24.x`) and leaves it
// unset on OS-only runtimes (provided.al2, provided.al2023), where this binary runs. Libraries
// take its absence to mean "not on Lambda": Powertools Tracer then switches itself off, so a
// function moved from nodejs24.x would silently stop tracing. The runtime names the managed
// runtime it stands in for, as the managed one would.

/** The value Lambda gives nodejs24.x (AWS Lambda docs, "Defined runtime environment variables"). */
export const MANAGED_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';

/**
 * Sets `AWS_EXECUTION_ENV` to MANAGED_EXECUTION_ENV when it is unset or empty; a value already
 * there (the exec-wrapper flavour on a managed runtime, or the function's own) is kept.
 * Returns the value now in effect.
 */
export function applyExecutionEnvironment(env: NodeJS.ProcessEnv): string {
  const own = env.AWS_EXECUTION_ENV;
  if (own !== undefined && own !== '') return own;
  env.AWS_EXECUTION_ENV = MANAGED_EXECUTION_ENV;
  return MANAGED_EXECUTION_ENV;
}
