// Contract §10: Lambda Managed Instances. With AWS_LAMBDA_MAX_CONCURRENCY = N > 1 the runtime runs
// N /next loops in one process, shared among worker threads (managed-instances.test.ts): invocations overlap, each keeps its own request id, trace id and
// log attribution, callback handlers are refused, and a fatal error drains the others first.
// Without it the runtime stays strictly sequential, even where the service would allow more.
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import {
  TRANSPORTS,
  describeOutcome,
  errorBody,
  outputSettles,
  startFunction,
  stopAll,
  textLines,
  waitUntil,
} from './harness.ts';

afterAll(stopAll);

const FIXTURE = 'concurrency';
const CALLBACK_MESSAGE_START =
  'ERROR: AWS Lambda does not support callback-based function handlers with Lambda Managed Instances';

interface Span {
  n: number;
  requestId: string;
  xRayTraceId: string | null;
  traceEnvAtStart: string | null;
  traceEnvAtEnd: string | null;
  startedAt: number;
  endedAt: number;
  pid: number;
}

function traceIdFor(i: number): string {
  return `Root=1-67890000-${String(i).padStart(24, '0')};Parent=${String(i).padStart(16, 'a')};Sampled=1`;
}

function nextPolls(emulator: Emulator): Emulator['requests'] {
  return emulator.requests.filter((r) => r.method === 'GET' && r.path === '/2018-06-01/runtime/invocation/next');
}

function spanOf(outcome: InvocationOutcome, emulator: Emulator): Span {
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  return outcome.json() as Span;
}

describe.each(TRANSPORTS)('AWS_LAMBDA_MAX_CONCURRENCY=8 (transport %s)', (transport) => {
  test('eight invocations overlap in one process, each with its own request id, trace id and log lines', async () => {
    const emulator = await startFunction(FIXTURE, 'sleepy.handler', {}, { transport, maxConcurrency: 8, waitForInit: true });
    // N independent loops: N long polls open at once, before anything is invoked.
    await waitUntil(() => nextPolls(emulator).length >= 8, 5_000, 'eight /next polls');
    expect(nextPolls(emulator)).toHaveLength(8);

    const ids = Array.from({ length: 8 }, (_, i) => `mi-${transport}-${i}`);
    const outcomes = await Promise.all(
      ids.map((requestId, i) => emulator.invoke(JSON.stringify({ n: i, ms: 400 }), { requestId, traceId: traceIdFor(i) })),
    );
    const spans = outcomes.map((outcome) => spanOf(outcome, emulator));

    spans.forEach((span, i) => {
      expect(span.n).toBe(i);
      expect(span.requestId).toBe(ids[i]);
      expect(span.xRayTraceId).toBe(traceIdFor(i));
      // The trace id is per invocation: process-wide env would be wrong for all but one.
      expect(span.traceEnvAtStart).toBeNull();
      expect(span.traceEnvAtEnd).toBeNull();
    });
    expect(new Set(spans.map((s) => s.pid)).size).toBe(1);
    // All eight were running at one moment: the last to start began before the first to end ended.
    const lastStart = Math.max(...spans.map((s) => s.startedAt));
    const firstEnd = Math.min(...spans.map((s) => s.endedAt));
    expect(lastStart, JSON.stringify(spans)).toBeLessThan(firstEnd);
    expect(emulator.protocolViolations).toEqual([]);

    await outputSettles(emulator, (o) => textLines(o).filter((l) => l.message.startsWith('end ')).length >= 8);
    const lines = textLines(emulator.output);
    ids.forEach((requestId, i) => {
      for (const step of ['start', 'timer', 'end']) {
        const matching = lines.filter((l) => l.message === `${step} ${i}`);
        expect(matching.map((l) => l.requestId), `${step} ${i}\n${emulator.output}`).toEqual([requestId]);
      }
    });
    // The lines interleave, so a single "current request id" variable could not have produced them.
    const order = lines.filter((l) => /^(start|end) \d$/.test(l.message)).map((l) => l.message.split(' ')[0]);
    expect(order.slice(0, 8)).toEqual(Array(8).fill('start'));
  });
});

describe.concurrent('Managed Instances', () => {
  test('the thread pool stays free while the other /next polls wait (fs.promises and crypto complete promptly)', async () => {
    const emulator = await startFunction(FIXTURE, 'thread-pool.handler', {}, { maxConcurrency: 8, waitForInit: true });
    await waitUntil(() => nextPolls(emulator).length >= 8, 5_000, 'eight /next polls');
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const result = outcome.json() as { files: number; keys: number; tookMs: number };
    expect(result).toMatchObject({ files: 16, keys: 8 });
    expect(result.tookMs).toBeLessThan(3_000);
  });

  test('a callback-style handler fails init with Runtime.CallbackHandlerDeprecated', async () => {
    const emulator = await startFunction(FIXTURE, 'callback.handler', {}, { maxConcurrency: 2 });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(outcome.errorType).toBe('Runtime.CallbackHandlerDeprecated');
    const body = errorBody(outcome);
    expect(body.errorType).toBe('Runtime.CallbackHandlerDeprecated');
    expect(body.errorMessage.startsWith(CALLBACK_MESSAGE_START), body.errorMessage).toBe(true);
    expect(nextPolls(emulator)).toHaveLength(0);
    const exit = await emulator.processExit();
    expect(exit.code === 0 && exit.signal === null, JSON.stringify(exit)).toBe(false);
  });

  test('the same callback-style handler still works one invocation at a time', async () => {
    const emulator = await startFunction(FIXTURE, 'callback.handler');
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ style: 'callback' });
  });

  test('an uncaught exception: posted as its own invocation error, the others finish, no new /next, exit 129', async () => {
    // One worker thread serving all four: the process's rule, within that worker (which is then the
    // whole pool). With several workers only the crashed one ends (managed-instances.test.ts).
    const emulator = await startFunction(FIXTURE, 'fatal.handler', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '1' }, { maxConcurrency: 4, waitForInit: true });
    await waitUntil(() => nextPolls(emulator).length >= 4, 5_000, 'four /next polls');
    const slowA = emulator.invoke('{"n":"A","ms":1000}', { requestId: 'fatal-A' });
    const slowB = emulator.invoke('{"n":"B","ms":1000}', { requestId: 'fatal-B' });
    await waitUntil(() => emulator.output.includes('start A') && emulator.output.includes('start B'), 5_000, 'A and B to start');
    const crashing = await emulator.invoke('{"n":"C","crashAfterMs":100}', { requestId: 'fatal-C' });
    const [a, b] = await Promise.all([slowA, slowB]);

    expect(crashing.kind, describeOutcome(crashing, emulator)).toBe('error');
    expect(errorBody(crashing)).toMatchObject({ errorType: 'Error', errorMessage: 'crash in C' });
    for (const [outcome, n] of [[a, 'A'], [b, 'B']] as const) {
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.json()).toMatchObject({ n, requestId: `fatal-${n}` });
    }
    expect(await emulator.processExit()).toEqual({ code: 129, signal: null });

    const errorPost = emulator.requests.find((r) => r.method === 'POST' && r.path.endsWith('/fatal-C/error'));
    if (errorPost === undefined) throw new Error(`no /error post for fatal-C:\n${emulator.output}`);
    const responses = emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/response'));
    expect(responses).toHaveLength(2);
    // The survivors posted after the crash had been reported: they were let finish.
    for (const response of responses) expect(response.atMs).toBeGreaterThan(errorPost.atMs);
    // After the crash the runtime asked for no more work.
    expect(nextPolls(emulator).filter((r) => r.atMs > errorPost.atMs)).toEqual([]);
    expect(nextPolls(emulator)).toHaveLength(4);

    await outputSettles(emulator, (o) => o.includes('Uncaught Exception'));
    const logged = textLines(emulator.output).find((l) => l.message.startsWith('Uncaught Exception'));
    expect(logged, emulator.output).toMatchObject({ level: 'ERROR', requestId: 'fatal-C' });
  });
});

describe.each([
  ['unset', undefined],
  ['1', '1'],
])('AWS_LAMBDA_MAX_CONCURRENCY %s: strictly sequential', (_label, value) => {
  test('one /next at a time even though the service would hand out four; the trace id is in process.env', async () => {
    // The emulator would serve four at once: only the runtime keeps it to one.
    const emulator = await startFunction(FIXTURE, 'sleepy.handler', { AWS_LAMBDA_MAX_CONCURRENCY: value }, { maxConcurrency: 4 });
    const outcomes = await Promise.all(
      [0, 1, 2, 3].map((i) => emulator.invoke(JSON.stringify({ n: i, ms: 150 }), { requestId: `seq-${value ?? 'unset'}-${i}`, traceId: traceIdFor(i) })),
    );
    const spans = outcomes.map((outcome) => spanOf(outcome, emulator)).sort((x, y) => x.startedAt - y.startedAt);
    for (let i = 1; i < spans.length; i++) {
      const previous = spans[i - 1];
      const current = spans[i];
      if (previous === undefined || current === undefined) throw new Error('missing span');
      expect(current.startedAt, JSON.stringify(spans)).toBeGreaterThanOrEqual(previous.endedAt);
    }
    for (const span of spans) {
      expect(span.traceEnvAtStart).toBe(traceIdFor(span.n));
      expect(span.traceEnvAtEnd).toBe(traceIdFor(span.n));
      expect(span.xRayTraceId).toBe(traceIdFor(span.n));
    }
    expect(emulator.protocolViolations).toEqual([]);
  });
});
