// The Runtime API as served: the test plays the runtime itself (over fetch) while an idle
// stand-in process holds the sandbox, so every status code and header can be checked exactly.
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../emulator.ts';
import { RUNTIME, startStandIn, stopAll } from '../test-helpers.ts';

afterAll(stopAll);

const idle = (options: Parameters<typeof startStandIn>[0] = {}): Promise<Emulator> =>
  startStandIn({ ...options, env: { STANDIN_MODE: 'idle', ...options.env } });

function api(emulator: Emulator, path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://${emulator.runtimeApi}${path}`, init);
}

const post = (emulator: Emulator, path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Response> =>
  api(emulator, path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('/next', () => {
  test('delivers the payload bytes with every invocation header', async () => {
    const emulator = await idle({ functionName: 'orders', timeoutMs: 5_000 });
    const before = Date.now();
    const outcome = emulator.invoke('{"n": 1}', {
      requestId: 'req-1',
      traceId: 'Root=1-abc;Parent=def;Sampled=1',
      clientContext: '{"custom":{"k":"v"}}',
      cognitoIdentity: '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}',
      tenantId: 'tenant-7',
    });
    const next = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(next.status).toBe(200);
    expect(await next.text()).toBe('{"n": 1}');
    const h = next.headers;
    expect(h.get('content-type')).toBe('application/json');
    expect(h.get('lambda-runtime-aws-request-id')).toBe('req-1');
    expect(h.get('lambda-runtime-invoked-function-arn')).toBe('arn:aws:lambda:us-east-1:123456789012:function:orders');
    expect(h.get('lambda-runtime-trace-id')).toBe('Root=1-abc;Parent=def;Sampled=1');
    expect(h.get('lambda-runtime-client-context')).toBe('{"custom":{"k":"v"}}');
    expect(h.get('lambda-runtime-cognito-identity')).toBe('{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}');
    expect(h.get('lambda-runtime-aws-tenant-id')).toBe('tenant-7');
    const deadline = Number(h.get('lambda-runtime-deadline-ms'));
    expect(deadline).toBeGreaterThanOrEqual(before + 5_000);
    expect(deadline).toBeLessThan(Date.now() + 5_000 + 50);

    const res = await post(emulator, `${RUNTIME}/invocation/req-1/response`, '{"ok":true}');
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('{"status":"OK"}\n');
    const result = await outcome;
    expect(result.kind).toBe('response');
    expect(result.json()).toEqual({ ok: true });
    expect(result.headers['content-type']).toBe('application/json');
  });

  test('a generated trace id by default; none with omitTraceId; absent optional headers stay absent', async () => {
    const emulator = await idle();
    void emulator.invoke('{}', { requestId: 'gen' });
    const first = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(first.headers.get('lambda-runtime-trace-id')).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    expect(first.headers.get('lambda-runtime-client-context')).toBeNull();
    expect(first.headers.get('lambda-runtime-cognito-identity')).toBeNull();
    expect(first.headers.get('lambda-runtime-aws-tenant-id')).toBeNull();
    expect(first.headers.get('lambda-runtime-aws-request-id')).toBe('gen');
    await post(emulator, `${RUNTIME}/invocation/gen/response`, 'null');

    void emulator.invoke('{}', { requestId: 'bare', omitTraceId: true, deadlineMs: 1234 });
    const second = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(second.headers.get('lambda-runtime-trace-id')).toBeNull();
    expect(second.headers.get('lambda-runtime-deadline-ms')).toBe('1234');
  });

  test('a /next while the one invocation is unsettled gets the same event again (and is recorded as a protocol violation)', async () => {
    const emulator = await idle();
    const abandoned = emulator.invoke('{"first":true}', { requestId: 'abandoned' });
    await api(emulator, `${RUNTIME}/invocation/next`);
    const again = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(again.status).toBe(200);
    expect(again.headers.get('lambda-runtime-aws-request-id')).toBe('abandoned');
    expect(await again.text()).toBe('{"first":true}');
    expect(emulator.protocolViolations[0]).toContain('RequestId: abandoned');
    expect((await post(emulator, `${RUNTIME}/invocation/abandoned/response`, '1')).status).toBe(202);
    expect((await abandoned).json()).toBe(1);
  });
});

describe('results', () => {
  test('202, then 403 for a second result, 400 for an unknown id; ids are URL-decoded', async () => {
    const emulator = await idle();
    const id = 'a/b c?d';
    const outcome = emulator.invoke('{}', { requestId: id });
    await api(emulator, `${RUNTIME}/invocation/next`);
    const path = `${RUNTIME}/invocation/${encodeURIComponent(id)}`;
    expect((await post(emulator, `${path}/response`, '"first"')).status).toBe(202);
    expect((await outcome).json()).toBe('first');

    const again = await post(emulator, `${path}/error`, '{}');
    expect(again.status).toBe(403);
    expect((await again.json()) as unknown).toMatchObject({ errorType: 'InvalidStateTransition' });

    const unknown = await post(emulator, `${RUNTIME}/invocation/nobody/response`, '{}');
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toBe('{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}\n');

    const recorded = emulator.requests.find((r) => r.path === `${path}/response`);
    expect(recorded).toMatchObject({ method: 'POST', status: 202, responseBody: '{"status":"OK"}\n' });
    expect(recorded?.body.toString()).toBe('"first"');
    expect(recorded?.headers['content-type']).toBe('application/json');
  });

  test('413 over 6,291,556 bytes: the service records Function.ResponseSizeTooLarge and closes the invocation; a later /error is 403', async () => {
    const emulator = await idle();
    const outcome = emulator.invoke('{}', { requestId: 'big' });
    await api(emulator, `${RUNTIME}/invocation/next`);
    const limit = await post(emulator, `${RUNTIME}/invocation/big/response`, `"${'x'.repeat(6_291_554)}"`);
    expect(limit.status).toBe(202); // exactly at the limit is accepted
    const exact = await outcome;
    expect(exact.body.length).toBe(6_291_556);

    const over = emulator.invoke('{}', { requestId: 'bigger' });
    await api(emulator, `${RUNTIME}/invocation/next`);
    const tooLarge = await post(emulator, `${RUNTIME}/invocation/bigger/response`, `"${'x'.repeat(6_291_555)}"`);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toBe(
      '{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}\n',
    );
    const result = await over;
    expect(result.kind).toBe('error');
    expect(result.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(result.body.toString()).toBe(
      '{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes)."}',
    );
    const error = await post(
      emulator,
      `${RUNTIME}/invocation/bigger/error`,
      '{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"too big"}',
      { 'lambda-runtime-function-error-type': 'Function.ResponseSizeTooLarge' },
    );
    expect(error.status).toBe(403);
    expect(await error.text()).toBe(
      '{"errorMessage":"State transition from RuntimeResponseSentState to InvocationErrorResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}\n',
    );
  });

  test('a response mode other than streaming is 400 InvalidFunctionResponseMode; the invocation fails and the runtime is stuck in InvocationResponse', async () => {
    const emulator = await idle();
    const outcome = emulator.invoke('{}', { requestId: 'mode' });
    await api(emulator, `${RUNTIME}/invocation/next`);
    const res = await post(emulator, `${RUNTIME}/invocation/mode/response`, '{}', {
      'lambda-runtime-function-response-mode': 'buffered',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('{"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}\n');
    expect((await outcome).errorType).toBe('Runtime.InvalidResponseModeHeader');
    const again = await post(emulator, `${RUNTIME}/invocation/mode/response`, '1');
    expect(again.status).toBe(403);
    expect(emulator.runtimeState).toBe('InvocationResponse');
  });

  test('error types: kept as sent, and recorded as the service would', async () => {
    const emulator = await idle();
    const cases: [string | undefined, string, string | undefined, string][] = [
      ['Function.MyError', '{}', 'Function.MyError', 'Function.MyError'],
      ['Runtime.bad_type', '{}', 'Runtime.bad_type', 'Runtime.Unknown'],
      ['Function.x', '{}', 'Function.x', 'Function.Unknown'],
      ['TypeError', '{}', 'TypeError', 'Runtime.Unknown'],
      [undefined, '{"errorType":"FromBody","errorMessage":"m"}', 'FromBody', 'Runtime.Unknown'],
    ];
    for (const [header, body, errorType, recorded] of cases) {
      const outcome = emulator.invoke('{}');
      const next = await api(emulator, `${RUNTIME}/invocation/next`);
      const id = next.headers.get('lambda-runtime-aws-request-id') ?? '';
      const headers: Record<string, string> = header === undefined ? {} : { 'lambda-runtime-function-error-type': header };
      expect((await post(emulator, `${RUNTIME}/invocation/${id}/error`, body, headers)).status).toBe(202);
      const result = await outcome;
      expect(result.kind).toBe('error');
      expect(result.errorType).toBe(errorType);
      expect(result.recordedErrorType).toBe(recorded);
    }
  });

  test("unknown paths answer 404 as the service's router does", async () => {
    const emulator = await idle();
    const res = await api(emulator, '/2018-06-01/runtime/nope');
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('404 page not found\n');
    expect(emulator.requests.at(-1)).toMatchObject({ method: 'GET', path: '/2018-06-01/runtime/nope', status: 404 });
  });
});

describe('init/error', () => {
  test('403 InvalidStateTransition once the process asked for /next', async () => {
    const emulator = await idle();
    void emulator.invoke('{}', { requestId: 'x' });
    await api(emulator, `${RUNTIME}/invocation/next`);
    const res = await post(emulator, `${RUNTIME}/init/error`, '{"errorType":"Runtime.X","errorMessage":"late"}');
    expect(res.status).toBe(403);
    expect((await res.json()) as unknown).toMatchObject({ errorType: 'InvalidStateTransition' });
  });

  test('202 before /next: the pending invoke settles as init-error, the process is reset, the next invoke respawns', async () => {
    const emulator = await idle();
    await emulator.spawn();
    const firstPid = emulator.pid;
    const outcome = emulator.invoke('{}', { requestId: 'first' });
    const res = await post(emulator, `${RUNTIME}/init/error`, '{"errorType":"Runtime.ImportModuleError","errorMessage":"nope"}', {
      'lambda-runtime-function-error-type': 'Runtime.ImportModuleError',
    });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('{"status":"OK"}\n');
    const result = await outcome;
    expect(result.kind).toBe('init-error');
    expect(result.errorType).toBe('Runtime.ImportModuleError');
    expect(result.json()).toEqual({ errorType: 'Runtime.ImportModuleError', errorMessage: 'nope' });
    // The idle process did not exit by itself: Lambda resets the sandbox.
    expect(result.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.initDurationMs).toBeGreaterThan(0);
    expect(result.report).toMatch(/\tInit Duration: \d+\.\d\d ms$/);

    void emulator.invoke('{}', { requestId: 'second' });
    const next = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(next.headers.get('lambda-runtime-aws-request-id')).toBe('second');
    expect(emulator.pid).toBeDefined();
    expect(emulator.pid).not.toBe(firstPid);
  });
});

describe('faults', () => {
  test("status and close on 'next', counted by times", async () => {
    const emulator = await idle();
    emulator.injectFault('next', { kind: 'status', status: 500, body: '{"errorType":"Sandbox.Crash"}' }, 2);
    emulator.injectFault('next', { kind: 'close' });
    void emulator.invoke('{"n":1}', { requestId: 'faulty' });
    for (let i = 0; i < 2; i++) {
      const res = await api(emulator, `${RUNTIME}/invocation/next`);
      expect(res.status).toBe(500);
      expect(await res.text()).toBe('{"errorType":"Sandbox.Crash"}');
    }
    await expect(api(emulator, `${RUNTIME}/invocation/next`)).rejects.toThrow();
    const ok = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(ok.headers.get('lambda-runtime-aws-request-id')).toBe('faulty');
    expect(emulator.requests.filter((r) => r.path.endsWith('/next')).map((r) => r.status)).toEqual([500, 500, 0, 200]);
  });

  test("delay, omit-header and truncate on 'next'", async () => {
    const emulator = await idle();
    void emulator.invoke('{"payload":"0123456789"}', { requestId: 'shaped' });
    emulator.injectFault('next', { kind: 'delay', ms: 200 });
    const t0 = performance.now();
    const delayed = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    expect(delayed.status).toBe(200);
    expect((await post(emulator, `${RUNTIME}/invocation/shaped/response`, '1')).status).toBe(202);

    emulator.injectFault('next', { kind: 'omit-header', header: 'Lambda-Runtime-Deadline-Ms' });
    void emulator.invoke('{}', { requestId: 'no-deadline' });
    const omitted = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(omitted.headers.get('lambda-runtime-deadline-ms')).toBeNull();
    expect(omitted.headers.get('lambda-runtime-aws-request-id')).toBe('no-deadline');
    expect((await post(emulator, `${RUNTIME}/invocation/no-deadline/response`, '1')).status).toBe(202);

    emulator.injectFault('next', { kind: 'truncate' });
    const truncatedOutcome = emulator.invoke('{"payload":"0123456789"}', { requestId: 'cut' });
    const cut = await api(emulator, `${RUNTIME}/invocation/next`);
    await expect(cut.text()).rejects.toThrow();
    // The delivery failed on the wire, so the same invocation is offered again, whole.
    const retry = await api(emulator, `${RUNTIME}/invocation/next`);
    expect(retry.headers.get('lambda-runtime-aws-request-id')).toBe('cut');
    expect(await retry.text()).toBe('{"payload":"0123456789"}');
    expect((await post(emulator, `${RUNTIME}/invocation/cut/response`, '2')).status).toBe(202);
    expect((await truncatedOutcome).json()).toBe(2);
  });

  test("faults on 'response', 'error' and 'init-error' leave the invocation open", async () => {
    const emulator = await idle();
    const outcome = emulator.invoke('{}', { requestId: 'r' });
    await api(emulator, `${RUNTIME}/invocation/next`);
    emulator.injectFault('response', { kind: 'status', status: 503 });
    emulator.injectFault('response', { kind: 'close' });
    emulator.injectFault('error', { kind: 'delay', ms: 150 });
    const failed = await post(emulator, `${RUNTIME}/invocation/r/response`, '1');
    expect(failed.status).toBe(503);
    expect((await failed.json()) as unknown).toMatchObject({ errorType: 'InjectedFault' });
    await expect(post(emulator, `${RUNTIME}/invocation/r/response`, '1')).rejects.toThrow();
    const t0 = performance.now();
    const error = await post(emulator, `${RUNTIME}/invocation/r/error`, '{"errorType":"Function.Late"}', {
      'lambda-runtime-function-error-type': 'Function.Late',
    });
    expect(error.status).toBe(202);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect((await outcome).errorType).toBe('Function.Late');

    emulator.injectFault('init-error', { kind: 'status', status: 500 });
    expect((await post(emulator, `${RUNTIME}/init/error`, '{}')).status).toBe(500);
  });

  test('bad fault plans are refused with a clear error', async () => {
    const emulator = await idle();
    expect(() => emulator.injectFault('response', { kind: 'truncate' })).toThrow(/'next' route only/);
    expect(() => emulator.injectFault('next', { kind: 'close' }, 0)).toThrow(/positive integer/);
  });
});
