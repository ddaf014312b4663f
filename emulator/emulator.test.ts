// The Emulator driving a real process: environment, REPORT line, init errors, exits, timeouts,
// respawns, concurrency, streaming and shutdown, with a small stand-in runtime (test-helpers.ts).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { Emulator } from './emulator.ts';
import { startStandIn, stopAll, tempDir, waitUntil, writeStandIn } from './test-helpers.ts';

afterAll(stopAll);

interface Echo {
  event: unknown;
  headers: Record<string, string>;
  env: Record<string, string>;
  pid: number;
  cwd: string;
}

const REPORT =
  /^REPORT RequestId: (\S+)\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(\tInit Duration: (\d+\.\d\d) ms)?$/;

describe('the spawned process', () => {
  test('gets a minimal Lambda environment, with options.env on top (undefined removes)', async () => {
    process.env.EMULATOR_TEST_LEAK = 'should not leak';
    const emulator = await startStandIn({
      functionName: 'env-check',
      memorySizeMb: 256,
      env: { CUSTOM: 'yes', TZ: undefined, AWS_REGION: 'eu-west-1' },
    });
    const outcome = await emulator.invoke('{"action":"echo"}');
    const { env, cwd } = outcome.json() as Echo;
    expect(env.EMULATOR_TEST_LEAK).toBeUndefined();
    expect(env).toMatchObject({
      AWS_LAMBDA_RUNTIME_API: emulator.runtimeApi,
      _HANDLER: 'index.handler',
      AWS_LAMBDA_FUNCTION_NAME: 'env-check',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/env-check',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      CUSTOM: 'yes',
    });
    expect(env.LAMBDA_TASK_ROOT).toBe(cwd);
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(env.TZ).toBeUndefined();
    expect(env.AWS_EXECUTION_ENV).toBeUndefined();
    expect(env.AWS_LAMBDA_MAX_CONCURRENCY).toBeUndefined();
  });

  test('stdout and stderr are captured, separately and interleaved', async () => {
    const emulator = await startStandIn();
    await emulator.invoke('{"action":"log","text":"hello"}');
    await waitUntil(() => emulator.output.length >= 'hello\nhello (stderr)\n'.length, 'both lines of output');
    expect(emulator.stdout).toBe('hello\n');
    expect(emulator.stderr).toBe('hello (stderr)\n');
    // Two pipes: arrival order between them is up to the kernel.
    expect(emulator.output.split('\n').sort()).toEqual(['', 'hello', 'hello (stderr)']);
  });

  test('a missing command fails spawn with a message naming it', async () => {
    const { dir } = writeStandIn();
    const emulator = await Emulator.start({ command: join(dir, 'no-such-bootstrap'), handler: 'x.y', taskRoot: dir });
    await expect(emulator.invoke('{}')).rejects.toThrow(/no-such-bootstrap.*ENOENT/);
    await emulator.stop();
    await expect(Emulator.start({ command: 'relative', handler: 'x.y', taskRoot: dir })).rejects.toThrow(/absolute path/);
  });
});

describe('REPORT line', () => {
  test('AWS format, Init Duration only after a spawn, and Max Memory Used is the real VmHWM', async () => {
    const emulator = await startStandIn({ memorySizeMb: 512 });
    const cold = await emulator.invoke('{"action":"echo"}');
    const match = REPORT.exec(cold.report);
    expect(match, cold.report).not.toBeNull();
    expect(match?.[1]).toBe(cold.requestId);
    expect(match?.[4]).toBe('512');
    expect(cold.initDurationMs).toBeGreaterThan(0);
    expect(Number(match?.[7])).toBeCloseTo(cold.initDurationMs ?? 0, 1);
    expect(Number(match?.[3])).toBe(Math.ceil(cold.durationMs + (cold.initDurationMs ?? 0)));
    // A Node process's resident set is tens of MB; a made-up figure would not track the allocation below.
    const baseline = cold.maxMemoryUsedMb ?? 0;
    expect(baseline).toBeGreaterThan(10);

    const warm = await emulator.invoke('{"action":"allocate","mb":120}');
    expect(warm.kind).toBe('response');
    expect(warm.initDurationMs).toBeUndefined();
    expect(warm.report).not.toContain('Init Duration');
    expect(REPORT.test(warm.report), warm.report).toBe(true);
    expect(warm.maxMemoryUsedMb ?? 0).toBeGreaterThanOrEqual(baseline + 100);
    expect(warm.report).toContain(`\tMax Memory Used: ${warm.maxMemoryUsedMb} MB`);
  });
});

describe('init, exits, timeouts and respawns', () => {
  test('init error: the first invoke gets it with the exit status; the next invoke respawns', async () => {
    const marker = join(tempDir('marker'), 'failed-once');
    const emulator = await startStandIn({ env: { STANDIN_INIT_ERROR_ONCE: marker } });
    const first = await emulator.invoke('{"action":"echo"}');
    expect(first.kind).toBe('init-error');
    expect(first.errorType).toBe('Runtime.ImportModuleError');
    expect(first.json()).toEqual({ errorType: 'Runtime.ImportModuleError', errorMessage: 'no module', trace: [] });
    expect(first.exit).toEqual({ code: 1, signal: null });
    expect(emulator.stderr).toContain('init error posted: 202');
    const second = await emulator.invoke('{"action":"echo"}');
    expect(second.kind).toBe('response');
    expect(second.initDurationMs).toBeGreaterThan(0);
  });

  test('init error posted while nobody invoked: the next invoke gets it, waitForNext rejects', async () => {
    const emulator = await startStandIn({ env: { STANDIN_MODE: 'init-error' } });
    await emulator.spawn();
    await expect(emulator.waitForNext()).rejects.toThrow(/init error/);
    expect(await emulator.processExit()).toEqual({ code: 1, signal: null });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind).toBe('init-error');
    expect(outcome.exit).toEqual({ code: 1, signal: null });
  });

  test('a crash during init settles the pending invoke as exited', async () => {
    const emulator = await startStandIn({ env: { STANDIN_MODE: 'init-crash' } });
    const outcome = await emulator.invoke('{}', { requestId: 'crashed' });
    expect(outcome.kind).toBe('exited');
    expect(outcome.json()).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: crashed Error: Runtime exited with error: exit status 3',
    });
  });

  test('process exit and signal death settle as exited; the next invoke respawns', async () => {
    const emulator = await startStandIn();
    await emulator.spawn();
    await emulator.waitForNext();
    const firstPid = emulator.pid;
    const exited = await emulator.invoke('{"action":"exit","code":129}', { requestId: 'e1' });
    expect(exited.kind).toBe('exited');
    expect(exited.exit).toEqual({ code: 129, signal: null });
    expect(exited.errorType).toBe('Runtime.ExitError');
    expect(exited.json()).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: e1 Error: Runtime exited with error: exit status 129',
    });
    expect(exited.report).toContain('\tStatus: error\tError Type: Runtime.ExitError');

    const killed = await emulator.invoke('{"action":"kill","signal":"SIGKILL"}', { requestId: 'e2' });
    expect(killed.kind).toBe('exited');
    expect(killed.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect((killed.json() as { errorMessage: string }).errorMessage).toBe(
      'RequestId: e2 Error: Runtime exited with error: signal: killed',
    );
    const fine = await emulator.invoke('{"action":"echo"}');
    expect(fine.kind).toBe('response');
    expect((fine.json() as Echo).pid).not.toBe(firstPid);
    expect(fine.initDurationMs).toBeGreaterThan(0);
  });

  test('timeout kills the process and reports Task timed out', async () => {
    const emulator = await startStandIn({ timeoutMs: 300 });
    const started = performance.now();
    const outcome = await emulator.invoke('{"action":"hang"}', { requestId: 'slow' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(outcome.kind).toBe('timeout');
    expect(outcome.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect((outcome.json() as { errorMessage: string }).errorMessage).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z slow Task timed out after 0\.30 seconds$/,
    );
    expect(outcome.report).toContain('\tStatus: timeout');
    expect((await emulator.invoke('{"action":"echo"}')).kind).toBe('response');
  });
});

describe('concurrency', () => {
  const overlaps = (a: { startedAt: number; endedAt: number }, b: { startedAt: number; endedAt: number }): boolean =>
    a.startedAt < b.endedAt && b.startedAt < a.endedAt;

  test('maxConcurrency 3: three invocations in flight at once in one process', async () => {
    const emulator = await startStandIn({ maxConcurrency: 3 });
    await emulator.spawn();
    await emulator.waitForNext();
    const outcomes = await Promise.all([1, 2, 3].map(() => emulator.invoke('{"action":"sleep","ms":300}')));
    const spans = outcomes.map((o) => o.json() as { startedAt: number; endedAt: number; pid: number });
    expect(new Set(spans.map((s) => s.pid)).size).toBe(1);
    const [a, b, c] = spans;
    if (a === undefined || b === undefined || c === undefined) throw new Error('three outcomes expected');
    expect(overlaps(a, b) && overlaps(b, c) && overlaps(a, c)).toBe(true);
    const echo = (await emulator.invoke('{"action":"echo"}')).json() as Echo;
    expect(echo.env.AWS_LAMBDA_MAX_CONCURRENCY).toBe('3');
  });

  test('sequential by default: one at a time, even when invoked together', async () => {
    const emulator = await startStandIn();
    const outcomes = await Promise.all([1, 2, 3].map(() => emulator.invoke('{"action":"sleep","ms":100}')));
    const spans = outcomes.map((o) => o.json() as { startedAt: number; endedAt: number });
    for (let i = 1; i < spans.length; i++) {
      const previous = spans[i - 1];
      const current = spans[i];
      if (previous === undefined || current === undefined) throw new Error('missing span');
      expect(overlaps(previous, current)).toBe(false);
    }
    expect(emulator.protocolViolations).toEqual([]);
  });
});

describe('streaming responses', () => {
  test('chunks are recorded as they arrive, with their arrival times', async () => {
    const emulator = await startStandIn();
    const seen: { atMs: number; text: string }[] = [];
    const outcome = await emulator.invoke('{"action":"stream","chunks":["one ","two ","three"],"gapMs":150,"contentType":"text/plain"}', {
      onChunk: (data, atMs) => seen.push({ atMs, text: data.toString() }),
    });
    expect(outcome.kind).toBe('response');
    expect(outcome.streaming).toBe(true);
    expect(outcome.body.toString()).toBe('one two three');
    expect(outcome.headers['content-type']).toBe('text/plain');
    expect(outcome.chunks.map((c) => c.data.toString())).toEqual(['one ', 'two ', 'three']);
    expect(seen.map((s) => s.text)).toEqual(['one ', 'two ', 'three']);
    const [first, second, third] = outcome.chunks;
    expect((second?.atMs ?? 0) - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(120);
    expect((third?.atMs ?? 0) - (second?.atMs ?? 0)).toBeGreaterThanOrEqual(120);
    const post = emulator.requests.find((r) => r.headers['lambda-runtime-function-response-mode'] === 'streaming');
    expect(post?.status).toBe(202);
    expect(post?.body.toString()).toBe('one two three');
  });

  test('error trailers make the outcome an error with the decoded body', async () => {
    const emulator = await startStandIn();
    const outcome = await emulator.invoke(
      '{"action":"stream","chunks":["partial"],"errorType":"Function.StreamBroke","errorMessage":"mid-stream"}',
    );
    expect(outcome.kind).toBe('error');
    expect(outcome.streaming).toBe(true);
    expect(outcome.errorType).toBe('Function.StreamBroke');
    expect(outcome.recordedErrorType).toBe('Function.StreamBroke');
    expect(outcome.json()).toEqual({ errorType: 'Function.StreamBroke', errorMessage: 'mid-stream' });
    expect(outcome.trailers['lambda-runtime-function-error-type']).toBe('Function.StreamBroke');
    expect(outcome.chunks.map((c) => c.data.toString()).join('')).toBe('partial');
  });

  test('onChunk returning a promise holds the runtime back until it settles (back-pressure)', async () => {
    const emulator = await startStandIn();
    const piece = 'y'.repeat(1024 * 1024);
    let holdEndMs = Number.POSITIVE_INFINITY;
    let calls = 0;
    const outcome = await emulator.invoke(JSON.stringify({ action: 'stream', chunks: Array(8).fill(piece) }), {
      onChunk: () => {
        calls += 1;
        if (calls > 1) return undefined;
        return sleep(600).then(() => {
          holdEndMs = performance.now();
        });
      },
    });
    expect(outcome.kind).toBe('response');
    expect(outcome.body.length).toBe(8 * 1024 * 1024);
    const [first, ...rest] = outcome.chunks;
    expect(rest.length).toBeGreaterThan(0);
    // Nothing more was read from the runtime while the first piece was held.
    for (const chunk of rest) expect(chunk.atMs).toBeGreaterThanOrEqual(holdEndMs);
    expect(holdEndMs - (first?.atMs ?? 0)).toBeGreaterThanOrEqual(590);
  });

  test('a large streamed body (20 MB) arrives whole', async () => {
    const emulator = await startStandIn();
    const piece = 'x'.repeat(1024 * 1024);
    const outcome = await emulator.invoke(JSON.stringify({ action: 'stream', chunks: Array(20).fill(piece) }));
    expect(outcome.kind).toBe('response');
    expect(outcome.body.length).toBe(20 * 1024 * 1024);
  });
});

describe('extensions and shutdown', () => {
  test('register answers 200 with an identifier; SIGTERM, then a prompt exit', async () => {
    const emulator = await startStandIn({ functionName: 'graceful', env: { STANDIN_REGISTER: 'internal-shutdown', STANDIN_SIGTERM: 'exit' } });
    await emulator.spawn();
    await emulator.waitForNext();
    expect(emulator.registeredExtensions).toEqual(['internal-shutdown']);
    const register = emulator.requests.find((r) => r.path === '/2020-01-01/extension/register');
    expect(register?.status).toBe(200);
    expect(JSON.parse(register?.responseBody ?? '')).toEqual({ functionName: 'graceful', functionVersion: '$LATEST', handler: 'index.handler' });
    await waitUntil(() => emulator.stdout.includes('registered'), 'the stand-in to log its registration');
    expect(emulator.stdout).toMatch(/^registered 200 [0-9a-f-]{36}$/m);
    const result = await emulator.shutdown();
    expect(result.sigterm).toBe(true);
    expect(result.killed).toBe(false);
    expect(result.exitedWithinMs).toBeLessThan(500);
    expect(await emulator.processExit()).toEqual({ code: 0, signal: null });
  });

  test('a runtime ignoring SIGTERM is killed after 500 ms', async () => {
    const emulator = await startStandIn({ env: { STANDIN_REGISTER: 'internal', STANDIN_SIGTERM: 'ignore' } });
    await emulator.spawn();
    await emulator.waitForNext();
    const started = performance.now();
    const result = await emulator.shutdown();
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
    expect(result).toEqual({ sigterm: true, exitedWithinMs: undefined, killed: true });
    expect(await emulator.processExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(emulator.stdout).toContain('ignoring SIGTERM');
  });

  test('without an extension Lambda sends no SIGTERM: straight SIGKILL', async () => {
    const emulator = await startStandIn({ env: { STANDIN_SIGTERM: 'exit' } });
    await emulator.spawn();
    await emulator.waitForNext();
    expect(emulator.registeredExtensions).toEqual([]);
    expect(await emulator.shutdown()).toEqual({ sigterm: false, exitedWithinMs: undefined, killed: true });
    expect(await emulator.processExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(emulator.pid).toBeUndefined();
    // stop() after shutdown is fine, and idempotent.
    await emulator.stop();
    await emulator.stop();
  });
});

describe('memory and ARN', () => {
  test('enforceMemory: a runtime over its memory size is killed and reported as Lambda reports it (Runtime.OutOfMemory)', async () => {
    const emulator = await startStandIn({ memorySizeMb: 128, enforceMemory: true });
    const fine = await emulator.invoke('{"action":"allocate","mb":8}');
    expect(fine.kind).toBe('response');
    const outcome = await emulator.invoke('{"action":"allocate","mb":400}', { requestId: 'oom' });
    expect(outcome.kind).toBe('exited');
    expect(outcome.errorType).toBe('Runtime.OutOfMemory');
    expect(outcome.json()).toEqual({
      errorType: 'Runtime.OutOfMemory',
      errorMessage: 'RequestId: oom Error: Runtime exited with error: signal: killed',
    });
    expect(outcome.maxMemoryUsedMb).toBe(128);
    expect(outcome.report).toMatch(/\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory$/);
    // A fresh sandbox follows.
    expect((await emulator.invoke('{"action":"echo"}')).kind).toBe('response');
  });

  test("the invoked function's ARN uses the function's AWS_REGION", async () => {
    const emulator = await startStandIn({ functionName: 'regional', env: { AWS_REGION: 'eu-central-1' } });
    const outcome = await emulator.invoke('{"action":"echo"}');
    const { headers } = outcome.json() as Echo;
    expect(headers['lambda-runtime-invoked-function-arn']).toBe('arn:aws:lambda:eu-central-1:123456789012:function:regional');
  });
});
