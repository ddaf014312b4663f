// Lambda Managed Instances as AWS's Node runtime runs it (issue 19, part 1): worker threads, init
// once per worker, each worker serving its share of AWS_LAMBDA_MAX_CONCURRENCY with the classic
// loop, the main thread only starting, watching and stopping them. Expected values from AWS's
// client 4.0.2 on the same emulator (RIC=1 in ../shared/repros/lmi-worker-threads) and its source.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import { describeOutcome, errorBody, jsonLines, outputSettles, startFunction, stopAll, tempDir, textLines, waitUntil } from './harness.ts';
import { stagedFixture } from './staged-fixture.ts';

afterAll(stopAll);

const FIXTURE = 'managed-instances';

function nextPolls(emulator: Emulator): Emulator['requests'] {
  return emulator.requests.filter((r) => r.method === 'GET' && r.path === '/2018-06-01/runtime/invocation/next');
}

function responseOf<T>(outcome: InvocationOutcome, emulator: Emulator): T {
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  return outcome.json() as T;
}

interface Seen {
  n: string;
  requestId: string;
  threadId: number;
  isMainThread: boolean;
  heapSizeLimit: number;
  telemetryFdVisible: boolean;
  pid: number;
}

describe('the repro case lmi-worker-threads (--max-concurrency 4, AWS_LAMBDA_NODEJS_WORKER_COUNT=2)', () => {
  test('two workers initialise once each, the four invocations run two per worker thread, never on the main thread', async () => {
    const emulator = await startFunction(
      FIXTURE,
      'repro.handler',
      { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2', AWS_LAMBDA_LOG_FORMAT: 'JSON' },
      { maxConcurrency: 4, waitForInit: true },
    );
    await waitUntil(() => nextPolls(emulator).length >= 4, 10_000, 'four /next polls');
    const traceId = (i: number): string => `Root=1-00000000-00000000000000000000000${i};Sampled=1`;
    const outcomes = await Promise.all([1, 2, 3, 4].map((i) => emulator.invoke('{}', { traceId: traceId(i) })));
    const results = outcomes.map((outcome) =>
      responseOf<{ threadId: number; isMainThread: boolean; maxSeenInThisThread: number; envTrace: unknown; ctxTrace: string; storeTrace: string; initType: string }>(
        outcome,
        emulator,
      ),
    );
    results.forEach((result, i) => {
      expect(result).toMatchObject({
        isMainThread: false,
        maxSeenInThisThread: 2,
        envTrace: null,
        ctxTrace: traceId(i + 1),
        storeTrace: traceId(i + 1),
        initType: 'lambda-managed-instances',
      });
    });
    expect(results.map((r) => r.threadId).sort()).toEqual([1, 1, 2, 2]);

    const inits = jsonLines(emulator.output)
      .map((line) => line.message)
      .filter((message): message is string => typeof message === 'string' && message.startsWith('init in thread'));
    expect(inits.sort()).toEqual([
      'init in thread 1 (main=false) INITIALIZATION_TYPE=lambda-managed-instances',
      'init in thread 2 (main=false) INITIALIZATION_TYPE=lambda-managed-instances',
    ]);
    expect(emulator.protocolViolations).toEqual([]);
  });
});

describe('the worker count', () => {
  test('unset: 8 per vCPU (AWS\'s rule), but never more workers than AWS_LAMBDA_MAX_CONCURRENCY', async () => {
    const emulator = await startFunction(FIXTURE, 'workers.handler', {}, { maxConcurrency: 3, waitForInit: true });
    await waitUntil(() => nextPolls(emulator).length >= 3, 10_000, 'three /next polls');
    const results = (await Promise.all([0, 1, 2].map((n) => emulator.invoke(JSON.stringify({ n: `c${n}`, ms: 300 }))))).map((o) =>
      responseOf<Seen>(o, emulator),
    );
    // One invocation per worker: three threads, in one process.
    expect(new Set(results.map((r) => r.threadId)).size).toBe(3);
    expect(new Set(results.map((r) => r.pid)).size).toBe(1);
    await outputSettles(emulator, (o) => textLines(o).filter((l) => l.message.startsWith('init in thread')).length >= 3);
    const inits = textLines(emulator.output).filter((l) => l.message.startsWith('init in thread'));
    expect(inits.map((l) => l.message).sort()).toEqual(['init in thread 1', 'init in thread 2', 'init in thread 3']);
  });

  test.each(['0', 'two', '-1'])('AWS_LAMBDA_NODEJS_WORKER_COUNT=%s: the runtime says what the variable must hold and exits 1', async (value) => {
    const emulator = await startFunction(FIXTURE, 'workers.handler', { AWS_LAMBDA_NODEJS_WORKER_COUNT: value }, { maxConcurrency: 2 });
    const outcome = await emulator.invoke('{"n":"x"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).not.toBe('response');
    expect(await emulator.processExit()).toEqual({ code: 1, signal: null });
    expect(emulator.stderr).toContain(
      `lambda-bootstrap: AWS_LAMBDA_NODEJS_WORKER_COUNT is '${value}', but it must be a whole number of at least 1`,
    );
    expect(nextPolls(emulator)).toEqual([]);
  });
});

describe('failures in one worker', () => {
  test('an uncaught exception ends its own worker only: its invocation gets the error, its sibling finishes, the other worker goes on serving', async () => {
    const emulator = await startFunction(
      FIXTURE,
      'workers.handler',
      { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2' },
      { maxConcurrency: 4, waitForInit: true },
    );
    await waitUntil(() => nextPolls(emulator).length >= 4, 10_000, 'four /next polls');
    const slow = ['A', 'B', 'E'].map((n) => emulator.invoke(JSON.stringify({ n, ms: 1_500 }), { requestId: `slow-${n}` }));
    await waitUntil(() => ['A', 'B', 'E'].every((n) => emulator.output.includes(`start ${n} `)), 10_000, 'A, B and E to start');
    const crashing = await emulator.invoke('{"n":"C","crashAfterMs":100}', { requestId: 'crash-C' });
    expect(crashing.kind, describeOutcome(crashing, emulator)).toBe('error');
    expect(errorBody(crashing)).toMatchObject({ errorType: 'Error', errorMessage: 'crash in C' });
    const crashedThread = Number(/start C in thread (\d+)/.exec(emulator.output)?.[1]);

    // Everything else in flight finishes, in the crashed worker too.
    const survivors = (await Promise.all(slow)).map((o) => responseOf<Seen>(o, emulator));
    expect(survivors.map((s) => s.n)).toEqual(['A', 'B', 'E']);
    expect(survivors.filter((s) => s.threadId === crashedThread)).toHaveLength(1);

    // The process lives on; the other worker takes the next invocations.
    await outputSettles(emulator, (o) => o.includes('exited with code 129'), 5_000);
    const later = (await Promise.all(['F', 'G'].map((n) => emulator.invoke(JSON.stringify({ n }))))).map((o) => responseOf<Seen>(o, emulator));
    for (const seen of later) expect(seen.threadId).not.toBe(crashedThread);

    const lines = textLines(emulator.output);
    expect(lines.find((l) => l.message.startsWith('Uncaught Exception')), emulator.output).toMatchObject({ level: 'ERROR', requestId: 'crash-C' });
    expect(lines.find((l) => l.message.startsWith('Worker thread ')), emulator.output).toMatchObject({
      level: 'ERROR',
      requestId: 'undefined',
      message: expect.stringMatching(/^Worker thread \d exited with code 129; 1 of 2 worker threads still take invocations\.$/),
    });

    // When the last worker ends the process ends, with the code it ended with.
    const lastCrash = await emulator.invoke('{"n":"H","crashAfterMs":10}', { requestId: 'crash-H' });
    expect(lastCrash.kind, describeOutcome(lastCrash, emulator)).toBe('error');
    expect(await emulator.processExit()).toEqual({ code: 129, signal: null });
    expect(emulator.protocolViolations).toEqual([]);
  });

  test('process.exit(0) in a handler ends its worker only; the main thread says so and the other worker serves', async () => {
    const emulator = await startFunction(FIXTURE, 'workers.handler', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2' }, { maxConcurrency: 2, waitForInit: true, timeoutMs: 2_000 });
    await waitUntil(() => nextPolls(emulator).length >= 2, 10_000, 'two /next polls');
    const exiting = await emulator.invoke('{"n":"X","exit":0}', { requestId: 'exit-X' });
    // Its invocation gets no result: the thread is gone (AWS's client: the same).
    expect(exiting.kind, describeOutcome(exiting, emulator)).toBe('timeout');
    const exitedThread = Number(/start X in thread (\d+)/.exec(emulator.output)?.[1]);
    await outputSettles(emulator, (o) => o.includes('exited with code 0'), 5_000);
    expect(textLines(emulator.output).find((l) => l.message.startsWith('Worker thread '))?.message, emulator.output).toMatch(
      /^Worker thread \d exited with code 0; 1 of 2 worker threads still take invocations\.$/,
    );
    const later = responseOf<Seen>(await emulator.invoke('{"n":"Y"}'), emulator);
    expect(later.threadId).not.toBe(exitedThread);
  });

  test('an init error is logged by the workers but reported to the Runtime API once', async () => {
    const emulator = await startFunction(FIXTURE, 'init-throws.handler', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2' }, { maxConcurrency: 4 });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'TypeError', errorMessage: expect.stringMatching(/^cannot start in thread [12]$/) });
    expect(await emulator.processExit()).toEqual({ code: 129, signal: null });
    expect(emulator.requests.filter((r) => r.path === '/2018-06-01/runtime/init/error')).toHaveLength(1);
    expect(nextPolls(emulator)).toEqual([]);
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM reaches the listener of every worker thread; the process ends when they have', async () => {
    const emulator = await startFunction(FIXTURE, 'sigterm.handler', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2' }, { maxConcurrency: 2, waitForInit: true });
    // Registered before any worker asked for an invocation: Lambda ends init on the first /next.
    const registered = emulator.requests.findIndex((r) => r.path === '/2020-01-01/extension/register');
    const firstNext = emulator.requests.findIndex((r) => r.path === '/2018-06-01/runtime/invocation/next');
    expect(registered).toBeGreaterThanOrEqual(0);
    expect(registered).toBeLessThan(firstNext);
    expect(emulator.registeredExtensions).toEqual(['lambda-bootstrap']);

    const seen = responseOf<{ threadId: number; sigtermListeners: number }>(await emulator.invoke('{}'), emulator);
    expect(seen.sigtermListeners).toBe(1);
    const result = await emulator.shutdown();
    expect(result, emulator.output).toMatchObject({ sigterm: true, killed: false });
    expect(await emulator.processExit()).toEqual({ code: 0, signal: null });
    const heard = textLines(emulator.output).filter((l) => l.message.startsWith('SIGTERM in thread'));
    expect(heard.map((l) => l.message).sort()).toEqual(['SIGTERM in thread 1', 'SIGTERM in thread 2']);
  });
});

describe('NODE_OPTIONS preloads', () => {
  test('run in every worker before its handler loads, --require first then each --import, as node does for a worker', async () => {
    const nodeOptions = '--import fake-apm/auto --require fake-apm/auto-cjs --import ./preload-local.cjs';
    const emulator = await startFunction(stagedFixture('preloads'), 'app.handler', { NODE_OPTIONS: nodeOptions, AWS_LAMBDA_NODEJS_WORKER_COUNT: '2' }, {
      maxConcurrency: 2,
      waitForInit: true,
    });
    await waitUntil(() => nextPolls(emulator).length >= 2, 10_000, 'two /next polls');
    const bodies = (await Promise.all([0, 1].map(() => emulator.invoke('{}')))).map((o) => responseOf<{ apm: string[] | null }>(o, emulator));
    for (const body of bodies) {
      expect(body.apm?.map((entry) => entry.replace(/pid=\d+/, 'pid=<pid>'))).toEqual(['cjs-preload pid=<pid>', 'esm-preload pid=<pid>', 'relative-preload']);
    }
    expect(emulator.output).not.toContain('ExperimentalWarning');
    expect(emulator.output).not.toContain('(node:');
  });
});

describe('streaming', () => {
  test('response streams from two workers each carry only their own pieces', async () => {
    const emulator = await startFunction('streaming', 'index.tagged', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2' }, { maxConcurrency: 4, waitForInit: true });
    await waitUntil(() => nextPolls(emulator).length >= 4, 10_000, 'four /next polls');
    const tags = ['north', 'south', 'east', 'west'];
    const outcomes = await Promise.all(tags.map((tag) => emulator.invoke(JSON.stringify({ tag }), { requestId: `lmi-stream-${tag}` })));
    tags.forEach((tag, i) => {
      const outcome = outcomes[i] as InvocationOutcome;
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.toString('utf8')).toBe(`${Array.from({ length: 40 }, (_, k) => `${tag}:${k};`).join('')}lmi-stream-${tag}`);
    });
    expect(emulator.protocolViolations).toEqual([]);
  });
});

describe('the sandbox as a whole', () => {
  test('each worker gets an even share of the heap one runtime process would have', async () => {
    const single = await startFunction(FIXTURE, 'workers.handler');
    const whole = responseOf<Seen>(await single.invoke('{"n":"one"}'), single).heapSizeLimit;
    const emulator = await startFunction(FIXTURE, 'workers.handler', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2' }, { maxConcurrency: 2, waitForInit: true });
    await waitUntil(() => nextPolls(emulator).length >= 2, 10_000, 'two /next polls');
    const shares = (await Promise.all(['p', 'q'].map((n) => emulator.invoke(JSON.stringify({ n, ms: 300 }))))).map((o) => responseOf<Seen>(o, emulator));
    expect(new Set(shares.map((s) => s.threadId)).size).toBe(2);
    const MiB = 1024 * 1024;
    for (const share of shares) {
      // Old space is half the process's limit; V8 adds its young generation on top (a few MiB in a
      // 128 MB sandbox, up to ~200 MiB on a large machine's heap).
      expect(share.heapSizeLimit, `${share.heapSizeLimit} vs ${whole}`).toBeGreaterThanOrEqual(whole / 2 - MiB);
      expect(share.heapSizeLimit, `${share.heapSizeLimit} vs ${whole}`).toBeLessThan(whole * 0.6);
    }
  });

  test('log records from several workers never splice into each other on stdout', async () => {
    const emulator = await startFunction(FIXTURE, 'workers.handler', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '4' }, { maxConcurrency: 4, waitForInit: true });
    await waitUntil(() => nextPolls(emulator).length >= 4, 10_000, 'four /next polls');
    const names = ['a', 'b', 'c', 'd'];
    const outcomes = await Promise.all(names.map((n) => emulator.invoke(JSON.stringify({ n, lines: 20, logBytes: 200_000 }), { requestId: `big-${n}` })));
    const threads = new Set(outcomes.map((o) => responseOf<Seen>(o, emulator).threadId));
    expect(threads.size).toBe(4);
    await outputSettles(emulator, (o) => names.every((n) => o.includes(`end ${n}`)), 10_000);
    const records = textLines(emulator.stdout).filter((l) => /^[a-d]:\d+:/.test(l.message));
    expect(records).toHaveLength(80);
    for (const record of records) {
      const [n, i, body] = record.message.split(':');
      expect(record.requestId).toBe(`big-${n}`);
      expect(Number(i)).toBeLessThan(20);
      // Exactly the record's own 200,000 characters: nothing of another thread's inside.
      expect(body === (n ?? '').repeat(200_000), `record ${n}:${i} is ${body?.length} characters long`).toBe(true);
    }
  });

  test('every worker writes whole telemetry frames to the fd the main thread took from the environment', async () => {
    const file = join(tempDir('lmi-telemetry'), 'fd3.bin');
    const emulator = await startFunction(
      FIXTURE,
      'workers.handler',
      { AWS_LAMBDA_NODEJS_WORKER_COUNT: '2', AWS_LAMBDA_LOG_FORMAT: 'JSON' },
      { maxConcurrency: 2, waitForInit: true, telemetryFile: file },
    );
    await waitUntil(() => nextPolls(emulator).length >= 2, 10_000, 'two /next polls');
    const outcomes = await Promise.all(['x', 'y'].map((n) => emulator.invoke(JSON.stringify({ n, lines: 50, logBytes: 10_000 }), { requestId: `tlm-${n}` })));
    const seen = outcomes.map((o) => responseOf<Seen>(o, emulator));
    expect(new Set(seen.map((s) => s.threadId)).size).toBe(2);
    expect(seen.map((s) => s.telemetryFdVisible)).toEqual([false, false]);
    expect(emulator.stdout).not.toContain('start x');

    const frames = decodeFrames(readFileSync(file));
    const records = frames.map((frame) => JSON.parse(frame.body) as { requestId?: string; message?: string });
    for (const n of ['x', 'y']) {
      const own = records.filter((r) => typeof r.message === 'string' && r.message.startsWith(`${n}:`));
      expect(own).toHaveLength(50);
      for (const record of own) expect(record.requestId).toBe(`tlm-${n}`);
    }
    expect(records.filter((r) => r.message?.startsWith('init in thread'))).toHaveLength(2);
  });
});

/** Splits the fd's bytes into frames (16-byte header: type, length, µs timestamp); throws unless
 * the bytes are whole frames. */
function decodeFrames(bytes: Buffer): { type: number; body: string }[] {
  const frames: { type: number; body: string }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 16) throw new Error(`${bytes.length - offset} stray bytes at offset ${offset}`);
    const length = bytes.readUInt32BE(offset + 4);
    const end = offset + 16 + length;
    if (end > bytes.length) throw new Error(`frame at ${offset} declares ${length} bytes, only ${bytes.length - offset - 16} left`);
    frames.push({ type: bytes.readUInt32BE(offset), body: bytes.subarray(offset + 16, end).toString('utf8') });
    offset = end;
  }
  return frames;
}
