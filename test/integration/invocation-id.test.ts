// Issue 19 (3): the Runtime API's invocation id (July 2026). The emulator gives every delivery a
// Lambda-Runtime-Invocation-Id and refuses a post echoing another (400) or a timed-out attempt's
// (410 InvokeTimeout); the runtime echoes the id of its own attempt on /response, /error and the
// streamed response, concurrent invocations included, and only when one was given. A late answer
// refused with 410 is logged with its request id and the loop goes on.
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator, RecordedRequest } from '../../emulator/index.ts';
import { TRANSPORTS, describeOutcome, outputSettles, startFunction, stopAll, textLines, waitUntil } from './harness.ts';

afterAll(stopAll);

const HEADER = 'lambda-runtime-invocation-id';

function resultPosts(emulator: Emulator, requestId: string): RecordedRequest[] {
  const prefix = `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/`;
  return emulator.requests.filter((r) => r.method === 'POST' && r.path.startsWith(prefix));
}

describe.each(TRANSPORTS)('the echo (transport %s)', (transport) => {
  test('/response and /error echo their attempt\'s id (the emulator checks it: 202)', async () => {
    const emulator = await startFunction('faults', 'handlers.handler', {}, { transport, waitForInit: true });
    const ok = await emulator.invoke('{"kind":"observe"}', { requestId: 'echo-ok' });
    const failed = await emulator.invoke('{"kind":"error"}', { requestId: 'echo-error' });
    expect(ok.kind, describeOutcome(ok, emulator)).toBe('response');
    expect(failed.kind, describeOutcome(failed, emulator)).toBe('error');
    const posts = [...resultPosts(emulator, 'echo-ok'), ...resultPosts(emulator, 'echo-error')];
    expect(posts.map((p) => p.status)).toEqual([202, 202]);
    const ids = posts.map((p) => p.headers[HEADER]);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(2);
  });

  test('the streamed response echoes it too', async () => {
    const emulator = await startFunction('streaming', 'index.defaults', {}, { transport, waitForInit: true });
    const outcome = await emulator.invoke('{}', { requestId: 'echo-stream' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const [posted] = resultPosts(emulator, 'echo-stream');
    expect(posted?.headers['lambda-runtime-function-response-mode']).toBe('streaming');
    expect(posted?.headers[HEADER]).toMatch(/^[0-9a-f-]{36}$/);
    expect(posted?.status).toBe(202);
  });

  test('Managed Instances: eight concurrent invocations each echo their own attempt', async () => {
    const emulator = await startFunction('concurrency', 'sleepy.handler', {}, { transport, maxConcurrency: 8, waitForInit: true });
    const ids = Array.from({ length: 8 }, (_, i) => `echo-mi-${i}`);
    const outcomes = await Promise.all(ids.map((requestId, n) => emulator.invoke(JSON.stringify({ n, ms: 200 }), { requestId })));
    for (const outcome of outcomes) expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const echoed = ids.map((id) => resultPosts(emulator, id).map((p) => [p.status, p.headers[HEADER]]));
    for (const posts of echoed) {
      expect(posts).toHaveLength(1);
      expect(posts[0]![0]).toBe(202);
    }
    expect(new Set(echoed.map((posts) => posts[0]![1])).size).toBe(8);
  });

  test('no header from the service, none sent back', async () => {
    const emulator = await startFunction('faults', 'handlers.handler', {}, { transport, waitForInit: true, invocationIds: false });
    await emulator.invoke('{"kind":"observe"}', { requestId: 'no-echo' });
    await emulator.invoke('{"kind":"error"}', { requestId: 'no-echo-error' });
    const posts = [...resultPosts(emulator, 'no-echo'), ...resultPosts(emulator, 'no-echo-error')];
    expect(posts.map((p) => [p.status, HEADER in p.headers])).toEqual([
      [202, false],
      [202, false],
    ]);
  });
});

test('Managed Instances: a late answer gets 410 InvokeTimeout, logged with its request id; the loop goes on', async () => {
  const emulator = await startFunction('runtime-api-faults', 'index.handler', {}, { maxConcurrency: 2, timeoutMs: 400, waitForInit: true });
  const pid = emulator.pid;
  const late = await emulator.invoke('{"n":1,"ms":900}', { requestId: 'too-slow' });
  expect(late.kind, describeOutcome(late, emulator)).toBe('timeout');
  await waitUntil(() => resultPosts(emulator, 'too-slow').length === 1, 5_000, 'the late post');
  const [post] = resultPosts(emulator, 'too-slow');
  expect(post?.status).toBe(410);
  expect(post?.responseBody).toBe('{"errorMessage":"Invoke timeout","errorType":"InvokeTimeout"}');
  await outputSettles(emulator, (o) => o.includes('InvokeTimeout'));
  const line = textLines(emulator.output).find((l) => l.message.includes('InvokeTimeout'));
  expect(line?.level).toBe('ERROR');
  expect(line?.requestId).toBe('too-slow');
  expect(line?.message).toContain('for request too-slow');
  const after = await emulator.invoke('{"n":2}', { requestId: 'after' });
  expect(after.kind, describeOutcome(after, emulator)).toBe('response');
  expect(emulator.pid).toBe(pid);
});
