// AWS's v4 retry rule for a failed /next under Managed Instances (aws-lambda-ric 4.0.2,
// src/utils/retry.ts and rapid-client.ts retryAfterInitialFailure): the delays, the wording, and
// giving up after 20 attempts (just past 15 minutes of waiting), on a fake clock.
import { describe, expect, it } from 'vitest';
import { NEXT_RETRY_POLICY, backoffDelayMs, retryAfterInitialFailure } from '../../src/runtime-api/runtime-api-retry.ts';

class Failure {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}
const isFailure = (result: string | Failure): result is Failure => result instanceof Failure;

function fakeEnvironment() {
  const slept: number[] = [];
  const logged: string[] = [];
  return {
    slept,
    logged,
    environment: {
      policy: NEXT_RETRY_POLICY,
      sleep: async (ms: number) => void slept.push(ms),
      log: (message: string, cause: string) => void logged.push(`${message} | ${cause}`),
    },
  };
}

describe('backoffDelayMs', () => {
  it('100 ms doubling, capped at 90 s: AWS DEFAULT_RETRY_OPTIONS', () => {
    expect(NEXT_RETRY_POLICY).toEqual({ initialDelayMs: 100, maxDelayMs: 90_000, maxRetries: 19 });
    expect(Array.from({ length: 19 }, (_, i) => backoffDelayMs(i, NEXT_RETRY_POLICY))).toEqual([
      100, 200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 51_200, 90_000, 90_000, 90_000, 90_000, 90_000, 90_000, 90_000, 90_000, 90_000,
    ]);
  });
});

describe('retryAfterInitialFailure', () => {
  it('returns the first success, having waited the backoff before each retry', async () => {
    const { slept, logged, environment } = fakeEnvironment();
    const answers: (string | Failure)[] = [new Failure('second'), 'event'];
    const result = await retryAfterInitialFailure(async () => answers.shift()!, new Failure('first'), isFailure, environment);
    expect(result).toBe('event');
    expect(slept).toEqual([100, 200]);
    expect(logged).toEqual([
      'Failed to get next invocation (attempt 1/20). Retrying in 100ms... | first',
      'Failed to get next invocation (attempt 2/20). Retrying in 200ms... | second',
    ]);
  });

  it('gives up after 20 attempts (19 retries, 912.3 s of waiting) with the last failure', async () => {
    const { slept, logged, environment } = fakeEnvironment();
    let n = 1;
    const result = await retryAfterInitialFailure(async () => new Failure(`failure ${++n}`), new Failure('failure 1'), isFailure, environment);
    expect(result).toEqual(new Failure('failure 20'));
    expect(slept).toHaveLength(19);
    expect(slept.reduce((a, b) => a + b, 0)).toBe(912_300);
    expect(logged.at(-2)).toBe('Failed to get next invocation (attempt 19/20). Retrying in 90000ms... | failure 19');
    expect(logged.at(-1)).toBe('Failed to get next invocation after 20 attempts. Giving up. | failure 20');
  });
});
