// The 2026 invocation id and the Managed Instances result gate, as served: the test plays the
// runtime (over fetch) while an idle stand-in holds the sandbox. Sources: the RIE's
// internal/lambda-managed-instances (invoke_router.go, timeout_cache.go, render_error.go).
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator } from './emulator.ts';
import { TIMED_OUT_KEPT, TimedOutAttempts } from './managed-instances.ts';
import { RUNTIME, startStandIn, stopAll } from './test-helpers.ts';

afterAll(stopAll);

const INVALID = '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}';
const TIMEOUT = '{"errorMessage":"Invoke timeout","errorType":"InvokeTimeout"}';

const idle = (options: Parameters<typeof startStandIn>[0] = {}): Promise<Emulator> =>
  startStandIn({ ...options, env: { STANDIN_MODE: 'idle', ...options.env } });

const next = (emulator: Emulator): Promise<Response> => fetch(`http://${emulator.runtimeApi}${RUNTIME}/invocation/next`);

async function post(emulator: Emulator, id: string, route: 'response' | 'error', invocationId?: string): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (invocationId !== undefined) headers['lambda-runtime-invocation-id'] = invocationId;
  const res = await fetch(`http://${emulator.runtimeApi}${RUNTIME}/invocation/${encodeURIComponent(id)}/${route}`, {
    method: 'POST',
    body: route === 'error' ? '{"errorType":"Function.X","errorMessage":"x"}' : '1',
    headers,
  });
  return { status: res.status, body: (await res.text()).trim() };
}

describe('Lambda-Runtime-Invocation-Id', () => {
  test('every delivery carries a fresh one; a post echoing it, or none, is accepted; another is 400', async () => {
    const emulator = await idle();
    void emulator.invoke('{}', { requestId: 'a' });
    const first = (await next(emulator)).headers.get('lambda-runtime-invocation-id');
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post(emulator, 'a', 'response', 'not-this-attempt')).toEqual({ status: 400, body: INVALID });
    expect((await post(emulator, 'a', 'response', first!)).status).toBe(202);

    void emulator.invoke('{}', { requestId: 'b' });
    const second = (await next(emulator)).headers.get('lambda-runtime-invocation-id');
    expect(second).not.toBe(first);
    // A runtime that predates the header sends none: judged by the request id, as before.
    expect((await post(emulator, 'b', 'response')).status).toBe(202);
  });

  test('invocationIds: false stands for the service before July 2026: no header', async () => {
    const emulator = await idle({ invocationIds: false });
    void emulator.invoke('{}', { requestId: 'old' });
    expect((await next(emulator)).headers.has('lambda-runtime-invocation-id')).toBe(false);
    expect((await post(emulator, 'old', 'response')).status).toBe(202);
  });
});

describe('Managed Instances (maxConcurrency 2)', () => {
  test('a timed-out attempt: the invoke fails, the sandbox serves on, its late answer is 410 InvokeTimeout once, then 400', async () => {
    const emulator = await idle({ maxConcurrency: 2, timeoutMs: 300 });
    const late = emulator.invoke('{}', { requestId: 'slow', tenantId: 'tenant-9' });
    const delivered = await next(emulator);
    expect(delivered.headers.get('lambda-runtime-aws-tenant-id'), 'the tenant id is passed').toBe('tenant-9');
    const attempt = delivered.headers.get('lambda-runtime-invocation-id')!;
    const pid = emulator.pid;
    const outcome = await late;
    expect(outcome.kind).toBe('timeout');
    expect(emulator.pid, 'no sandbox reset under Managed Instances').toBe(pid);
    expect(await post(emulator, 'slow', 'response', attempt)).toEqual({ status: 410, body: TIMEOUT });
    expect(await post(emulator, 'slow', 'error', attempt)).toEqual({ status: 400, body: INVALID });
  });

  test('a retry of the same request id: the old attempt\'s late answer is 410, never filed under the new one', async () => {
    const emulator = await idle({ maxConcurrency: 2, timeoutMs: 300 });
    const first = emulator.invoke('{"try":1}', { requestId: 'same' });
    const oldAttempt = (await next(emulator)).headers.get('lambda-runtime-invocation-id')!;
    expect((await first).kind).toBe('timeout');
    const retried = emulator.invoke('{"try":2}', { requestId: 'same' });
    const newAttempt = (await next(emulator)).headers.get('lambda-runtime-invocation-id')!;
    expect(newAttempt).not.toBe(oldAttempt);
    expect(await post(emulator, 'same', 'response', oldAttempt)).toEqual({ status: 410, body: TIMEOUT });
    expect((await post(emulator, 'same', 'response', newAttempt)).status).toBe(202);
    expect((await retried).kind).toBe('response');
  });

  test('a second result, or an unknown id, is 400 InvalidRequestID (not 403: the invoke is gone)', async () => {
    const emulator = await idle({ maxConcurrency: 2 });
    void emulator.invoke('{}', { requestId: 'done' });
    const attempt = (await next(emulator)).headers.get('lambda-runtime-invocation-id')!;
    expect((await post(emulator, 'done', 'response', attempt)).status).toBe(202);
    expect(await post(emulator, 'done', 'error', attempt)).toEqual({ status: 400, body: INVALID });
    expect(await post(emulator, 'done', 'response')).toEqual({ status: 400, body: INVALID });
    expect(await post(emulator, 'never-issued', 'response')).toEqual({ status: 400, body: INVALID });
  });

  test('a result over 6,291,556 bytes is 413 RequestEntityTooLarge', async () => {
    const emulator = await idle({ maxConcurrency: 2 });
    const outcome = emulator.invoke('{}', { requestId: 'big' });
    const attempt = (await next(emulator)).headers.get('lambda-runtime-invocation-id')!;
    const res = await fetch(`http://${emulator.runtimeApi}${RUNTIME}/invocation/big/response`, {
      method: 'POST',
      body: JSON.stringify('x'.repeat(6_291_556)),
      headers: { 'content-type': 'application/json', 'lambda-runtime-invocation-id': attempt },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { errorType: string }).errorType).toBe('RequestEntityTooLarge');
    expect((await outcome).errorType).toBe('Function.ResponseSizeTooLarge');
  });
});

describe('TimedOutAttempts', () => {
  test('keeps the 1,000 most recent, each consumed once; without an echo any attempt of the id', () => {
    const cache = new TimedOutAttempts();
    for (let i = 0; i <= TIMED_OUT_KEPT; i++) cache.register(`r${i}`, `a${i}`);
    expect(cache.consume('r0', 'a0'), 'the oldest was evicted').toBe(false);
    expect(cache.consume('r1', 'other')).toBe(false);
    expect(cache.consume('r1', 'a1')).toBe(true);
    expect(cache.consume('r1', 'a1')).toBe(false);
    expect(cache.consume('r2', undefined)).toBe(true);
  });
});
