// Retrying a failed GET /next under Lambda Managed Instances, by AWS's rule: exponential backoff
// from 100 ms, doubling, capped at 90 s, 19 retries (20 attempts, the last just past the 15-minute
// mark), so that the invocations still in flight get time to finish and post before giving up.
// Source: aws-lambda-nodejs-runtime-interface-client v4, src/utils/retry.ts (DEFAULT_RETRY_OPTIONS,
// calculateBackoffDelay) and src/client/rapid-client.ts (nextInvocation → retryAfterInitialFailure).
// One invocation at a time, AWS's client retries nothing: a failed /next ends the process.

/** Backoff constants, as AWS's `RetryOptions`. */
export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetries: number;
}

/** AWS's DEFAULT_RETRY_OPTIONS: 100 ms, 90 s, 19 retries. */
export const NEXT_RETRY_POLICY: RetryPolicy = Object.freeze({ initialDelayMs: 100, maxDelayMs: 90_000, maxRetries: 19 });

/** The wait before retry number `attempt + 1` (0-based), in ms: `min(initial × 2^attempt, max)`. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.initialDelayMs * 2 ** attempt, policy.maxDelayMs);
}

/** What the retry loop needs from its surroundings; tests pass a fake `sleep`. */
export interface RetryEnvironment {
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  /** Called with AWS's wording for each retry and for giving up, and the failure's own message. */
  log: (message: string, cause: string) => void;
}

/**
 * Retries `attempt` after `initialFailure`, as AWS's `retryAfterInitialFailure` does: before retry
 * n (1-based) it logs `Failed to get next invocation (attempt n/20). Retrying in <ms>ms...` and
 * waits `backoffDelayMs(n - 1)`. `isFailure` says which results are worth retrying; any other result
 * is returned as is. After the last retry fails it logs
 * `Failed to get next invocation after 20 attempts. Giving up.` and resolves with that failure.
 */
export async function retryAfterInitialFailure<T, F extends { message: string }>(
  attempt: () => Promise<T | F>,
  initialFailure: F,
  isFailure: (result: T | F) => result is F,
  environment: RetryEnvironment,
): Promise<T | F> {
  const { policy } = environment;
  let attempts = 1;
  let lastFailure = initialFailure;
  while (attempts <= policy.maxRetries) {
    const delayMs = backoffDelayMs(attempts - 1, policy);
    environment.log(`Failed to get next invocation (attempt ${attempts}/${policy.maxRetries + 1}). Retrying in ${delayMs}ms...`, lastFailure.message);
    await environment.sleep(delayMs);
    const result = await attempt();
    if (!isFailure(result)) return result;
    lastFailure = result;
    attempts += 1;
  }
  environment.log(`Failed to get next invocation after ${attempts} attempts. Giving up.`, lastFailure.message);
  return lastFailure;
}
