// Issue 19 (5): the /next answer's headers read as AWS's v4 client reads them
// (../shared/repros/runtime-next-headers-unchecked). UTF-8 values; the first of a repeated header
// (aws-lambda-cpp response::get_header); a missing or unparsable deadline or request id is AWS's
// Runtime.PlatformError with its exact message (context-builder.ts), and the process ends without
// posting anything, as AWS's client does. The runtime is the real dist/bootstrap.
import { afterEach, describe, expect, test } from 'vitest';
import { fixturePath, textLines } from '../integration/harness.ts';
import { ScriptedRuntimeApi, answerEvent, startRuntime, until } from './scripted-runtime-api.ts';
import type { RunningRuntime } from './scripted-runtime-api.ts';

const TASK_ROOT = fixturePath('runtime-api-faults');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function firstAnswer(headers: Record<string, string | string[]>, env: Record<string, string> = {}): Promise<{ api: ScriptedRuntimeApi; runtime: RunningRuntime }> {
  const api = new ScriptedRuntimeApi((poll) => {
    if (poll.n === 1) answerEvent(poll, headers, '{"n":1}');
  });
  await api.listen();
  const runtime = startRuntime(api, TASK_ROOT, 'index.handler', env);
  cleanups.push(() => {
    runtime.child.kill('SIGKILL');
  }, () => api.close());
  return { api, runtime };
}

const deadline = (): string => String(Date.now() + 30_000);

describe.each(['net', 'http'] as const)('/next headers (transport %s)', (transport) => {
  const env = { LAMBDA_BOOTSTRAP_TRANSPORT: transport };

  test('a request id sent as UTF-8 ("réq-1", "✓日本"): the handler sees it, the result goes to its encoding', async () => {
    for (const id of ['réq-1', '✓日本']) {
      const { api, runtime } = await firstAnswer({ 'Lambda-Runtime-Aws-Request-Id': id, 'Lambda-Runtime-Deadline-Ms': deadline() }, env);
      await until(() => api.posts.length === 1, 10_000, 'the result post');
      expect(api.posts[0]!.path, runtime.output()).toBe(`/2018-06-01/runtime/invocation/${encodeURIComponent(id)}/response`);
      expect(JSON.parse(api.posts[0]!.body).awsRequestId).toBe(id);
    }
  });

  test('two Lambda-Runtime-Aws-Request-Id headers: the first counts, never the two joined', async () => {
    const { api, runtime } = await firstAnswer(
      { 'Lambda-Runtime-Aws-Request-Id': ['first-id', 'second-id'], 'Lambda-Runtime-Deadline-Ms': deadline() },
      env,
    );
    await until(() => api.posts.length === 1, 10_000, 'the result post');
    expect(api.posts[0]!.path, runtime.output()).toBe('/2018-06-01/runtime/invocation/first-id/response');
    expect(JSON.parse(api.posts[0]!.body).awsRequestId).toBe('first-id');
  });

  test.each([
    ['soon', { 'Lambda-Runtime-Aws-Request-Id': 'dl-nan', 'Lambda-Runtime-Deadline-Ms': 'soon' }, 'Invalid deadline timestamp'],
    ['(empty)', { 'Lambda-Runtime-Aws-Request-Id': 'dl-empty', 'Lambda-Runtime-Deadline-Ms': '' }, 'Invalid deadline timestamp'],
    ['(missing)', { 'Lambda-Runtime-Aws-Request-Id': 'dl-missing' }, 'Missing required headers: lambda-runtime-deadline-ms'],
    ['(missing, and no request id)', {}, 'Missing required headers: lambda-runtime-aws-request-id, lambda-runtime-deadline-ms'],
  ])('Lambda-Runtime-Deadline-Ms %s: Runtime.PlatformError "%s", exit 1, nothing posted, handler not called', async (_name, headers, message) => {
    const { api, runtime } = await firstAnswer(headers, env);
    const exit = await runtime.exited;
    expect(exit.code, runtime.output()).toBe(1);
    expect(api.posts).toEqual([]);
    const line = textLines(runtime.output()).find((l) => l.message.includes('Runtime.PlatformError'));
    expect(line?.level, runtime.output()).toBe('ERROR');
    expect(line?.message).toContain(`Runtime.PlatformError: ${message}`);
    expect(line?.message).toContain(api.address);
    expect(runtime.output()).not.toContain('start 1');
  });
});

test('Managed Instances: a malformed answer ends the process only after the invocations in flight have posted', async () => {
  const api = new ScriptedRuntimeApi((poll) => {
    if (poll.n === 1) {
      answerEvent(poll, { 'Lambda-Runtime-Aws-Request-Id': 'long', 'Lambda-Runtime-Deadline-Ms': deadline() }, '{"n":1,"ms":800}');
    } else if (poll.n === 2) {
      setTimeout(() => answerEvent(poll, { 'Lambda-Runtime-Aws-Request-Id': 'bad', 'Lambda-Runtime-Deadline-Ms': 'soon' }), 100);
    }
  });
  await api.listen();
  const runtime = startRuntime(api, TASK_ROOT, 'index.handler', { AWS_LAMBDA_MAX_CONCURRENCY: '2' });
  cleanups.push(() => {
    runtime.child.kill('SIGKILL');
  }, () => api.close());
  const exit = await runtime.exited;
  expect(exit.code, runtime.output()).toBe(1);
  expect(api.posts.map((p) => p.path)).toEqual(['/2018-06-01/runtime/invocation/long/response']);
  expect(exit.atMs).toBeGreaterThan(api.posts[0]!.atMs);
  expect(runtime.output()).toContain('Runtime.PlatformError: Invalid deadline timestamp');
});
