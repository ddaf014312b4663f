// Issue 19 (2): under Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY set) no single failed
// Runtime API call loses the invocations in flight. A failed /next (500, 429 with Retry-After,
// refused, reset) is retried with AWS's v4 backoff (100 ms, doubling; aws-lambda-ric
// src/utils/retry.ts); a failed result post loses only that result. The runtime is the real
// dist/bootstrap against a scripted Runtime API (../shared/repros/lmi-next-failure-exits).
import { afterEach, describe, expect, test } from 'vitest';
import { fixturePath, textLines } from '../integration/harness.ts';
import { ScriptedRuntimeApi, answerEvent, startRuntime, until } from './scripted-runtime-api.ts';
import type { NextPoll, RunningRuntime } from './scripted-runtime-api.ts';

const TASK_ROOT = fixturePath('runtime-api-faults');
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:f';
const RETRY_LINE = /^Failed to get next invocation \(attempt (\d+)\/20\)\. Retrying in (\d+)ms\.\.\./;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function track(api: ScriptedRuntimeApi, runtime: RunningRuntime): void {
  cleanups.push(() => {
    runtime.child.kill('SIGKILL');
  }, () => api.close());
}

function event(poll: NextPoll, n: number, ms: number): void {
  answerEvent(poll, {
    'Lambda-Runtime-Aws-Request-Id': `req-${n}`,
    'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60_000),
    'Lambda-Runtime-Invoked-Function-Arn': ARN,
  }, JSON.stringify({ n, ms }));
}

function lines(runtime: RunningRuntime): ReturnType<typeof textLines> {
  return textLines(runtime.output());
}

function responsePosts(api: ScriptedRuntimeApi): string[] {
  return api.posts.filter((p) => p.path.endsWith('/response')).map((p) => p.path.split('/')[4]!);
}

describe.each(['net', 'http'] as const)('Managed Instances, transport %s', (transport) => {
  // The repro: three events of 1.5 s in flight, the fourth concurrent /next fails after 200 ms.
  test.each([
    ['500', 500, {}],
    ['429 with Retry-After: 1', 429, { 'Retry-After': '1' }],
  ] as const)('the 4th /next answered %s: retried after 100 ms, the 3 in flight finish and post, nothing lost', async (_name, status, headers) => {
    const api = new ScriptedRuntimeApi((poll) => {
      if (poll.n <= 3) return event(poll, poll.n, 1_500);
      if (poll.n === 4) {
        setTimeout(() => {
          poll.res.writeHead(status, { ...headers, 'Content-Type': 'application/json' });
          poll.res.end('{"errorType":"Transient"}');
        }, 200);
      }
      // Later polls: held open, as the service does while it has no work.
    });
    await api.listen();
    const runtime = startRuntime(api, TASK_ROOT, 'index.handler', { AWS_LAMBDA_MAX_CONCURRENCY: '4', LAMBDA_BOOTSTRAP_TRANSPORT: transport });
    track(api, runtime);
    await until(() => api.posts.length === 3, 10_000, 'three result posts');
    expect(responsePosts(api).sort()).toEqual(['req-1', 'req-2', 'req-3']);
    expect(runtime.child.exitCode, runtime.output()).toBeNull();
    for (const n of [1, 2, 3]) expect(lines(runtime).some((l) => l.message === `end ${n}`)).toBe(true);
    const retries = lines(runtime).filter((l) => RETRY_LINE.test(l.message));
    expect(retries.map((l) => RETRY_LINE.exec(l.message)!.slice(1, 3)), runtime.output()).toEqual([['1', '100']]);
    expect(retries[0]!.level).toBe('ERROR');
    expect(retries[0]!.message).toContain(`answered GET /2018-06-01/runtime/invocation/next with ${status}`);
    // The retry is a fresh /next, no sooner than the backoff (never a busy loop), and no exit line.
    const failedAt = api.polls[3]!.atMs + 200;
    const retry = api.polls.find((p) => p.n > 4 && p.atMs > failedAt);
    expect(retry, 'the failed /next asked again').toBeDefined();
    expect(retry!.atMs - failedAt).toBeGreaterThanOrEqual(95);
    expect(lines(runtime).some((l) => l.message.includes('Exiting'))).toBe(false);
  });

  test('/next reset mid-poll while 3 invocations run: retried, nothing lost', async () => {
    const api = new ScriptedRuntimeApi((poll) => {
      if (poll.n <= 3) return event(poll, poll.n, 1_000);
      if (poll.n === 4) setTimeout(() => poll.req.socket.destroy(), 200);
    });
    await api.listen();
    const runtime = startRuntime(api, TASK_ROOT, 'index.handler', { AWS_LAMBDA_MAX_CONCURRENCY: '4', LAMBDA_BOOTSTRAP_TRANSPORT: transport });
    track(api, runtime);
    await until(() => api.posts.length === 3, 10_000, 'three result posts');
    expect(responsePosts(api).sort()).toEqual(['req-1', 'req-2', 'req-3']);
    expect(lines(runtime).filter((l) => RETRY_LINE.test(l.message)).length, runtime.output()).toBeGreaterThanOrEqual(1);
    expect(runtime.child.exitCode).toBeNull();
  });

  test('the Runtime API refusing connections for 2 s: eight idle pollers back off, then serve again', async () => {
    let served = 0;
    const api = new ScriptedRuntimeApi((poll) => {
      // Before the outage: hold. After: hand out one event per poll.
      if (poll.n > 8) event(poll, 100 + served++, 0);
    });
    await api.listen();
    const runtime = startRuntime(api, TASK_ROOT, 'index.handler', { AWS_LAMBDA_MAX_CONCURRENCY: '8', LAMBDA_BOOTSTRAP_TRANSPORT: transport });
    track(api, runtime);
    await until(() => api.polls.length >= 8, 10_000, 'eight open polls');
    await api.goAway();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(runtime.child.exitCode, runtime.output()).toBeNull();
    await api.comeBack();
    await until(() => api.posts.length >= 8, 20_000, 'eight invocations served after the outage');
    expect(runtime.child.exitCode, runtime.output()).toBeNull();
    const retries = lines(runtime).filter((l) => RETRY_LINE.test(l.message)).map((l) => Number(RETRY_LINE.exec(l.message)![2]));
    // Each poller backs off on its own: 100, 200, 400, 800 ms... within the 2 s, never faster.
    expect(retries.filter((ms) => ms === 100).length, runtime.output()).toBe(8);
    expect(Math.max(...retries)).toBeGreaterThanOrEqual(800);
    expect(retries.length, 'no busy loop: about five retries per poller for 2 s').toBeLessThanOrEqual(8 * 6);
  }, 30_000);

  test.each([
    ['500', () => 500 as const],
    ['reset', () => 'reset' as const],
  ])('a result post answered %s: that result is lost and logged with its request id; the others post', async (_name, failure) => {
    const api = new ScriptedRuntimeApi((poll) => {
      if (poll.n <= 3) event(poll, poll.n, poll.n === 1 ? 100 : 800);
    });
    api.postStatus = (path) => (path.includes('/req-1/') ? failure() : 202);
    await api.listen();
    const runtime = startRuntime(api, TASK_ROOT, 'index.handler', { AWS_LAMBDA_MAX_CONCURRENCY: '4', LAMBDA_BOOTSTRAP_TRANSPORT: transport });
    track(api, runtime);
    await until(() => api.posts.length === 3, 10_000, 'three result posts');
    expect(responsePosts(api).sort()).toEqual(['req-1', 'req-2', 'req-3']);
    expect(api.posts.filter((p) => p.path.includes('/req-1/')), 'never posted twice').toHaveLength(1);
    await until(() => lines(runtime).some((l) => l.message.includes('for request req-1')), 2_000, 'the log line');
    const line = lines(runtime).find((l) => l.message.includes('for request req-1'))!;
    expect(line.level).toBe('ERROR');
    expect(line.requestId).toBe('req-1');
    expect(runtime.child.exitCode).toBeNull();
  });
});

describe('one invocation at a time (AWS_LAMBDA_MAX_CONCURRENCY unset)', () => {
  test('a failed /next is not retried: one line, exit 1, as AWS\'s v4 client', async () => {
    const api = new ScriptedRuntimeApi((poll) => {
      poll.res.writeHead(500, { 'Content-Type': 'application/json' });
      poll.res.end('{"errorType":"Transient"}');
    });
    await api.listen();
    const runtime = startRuntime(api, TASK_ROOT, 'index.handler');
    track(api, runtime);
    const exit = await runtime.exited;
    expect(exit.code, runtime.output()).toBe(1);
    expect(api.polls).toHaveLength(1);
    expect(lines(runtime).filter((l) => RETRY_LINE.test(l.message))).toEqual([]);
  });
});
