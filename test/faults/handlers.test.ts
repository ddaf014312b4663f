// Issue 6, handler faults: user code that throws odd values, returns unserialisable or huge
// results, completes twice, exits, hangs, blocks, floods the console or tampers with the runtime's
// globals. For each: the exact report, whether the process goes on or exits (and how), and that
// every invocation ends with exactly one result post.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../../emulator/index.ts';
import { describeOutcome, errorBody, outputSettles, startFunction, stopAll, textLines } from '../integration/harness.ts';
import { FIXTURE, exitWithin, postSummary, readable } from './helpers.ts';

afterAll(stopAll);

const NODEJS_EXIT_MESSAGE =
  'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes';
const ALREADY_DONE = 'Invocation has already been reported as done. Cannot call complete more than once per invocation.';
const UNREADABLE_ERROR_MESSAGE =
  'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack';
const MAX_RESPONSE_BYTES = 6_291_556;

describe('faults the loop survives: one process serves them all, in order', () => {
  let emulator: Emulator;
  let pid: number | undefined;
  beforeAll(async () => {
    emulator = await startFunction(FIXTURE, 'handlers.handler', {}, { waitForInit: true });
    pid = emulator.pid;
  });

  async function invoke(kind: string, requestId: string, extra: Record<string, unknown> = {}) {
    const outcome = await emulator.invoke(JSON.stringify({ kind, ...extra }), { requestId });
    return outcome;
  }

  test.each([
    ['throw-null', { errorType: 'object', errorMessage: 'null', trace: [] }],
    ['throw-undefined', { errorType: 'undefined', errorMessage: 'undefined', trace: [] }],
    ['throw-string', { errorType: 'string', errorMessage: 'a plain string', trace: [] }],
    ['throw-number', { errorType: 'number', errorMessage: '42', trace: [] }],
    ['throw-object', { errorType: 'object', errorMessage: '[object Object]', trace: [] }],
    ['throw-name-getter', { errorType: 'handled', errorMessage: UNREADABLE_ERROR_MESSAGE, trace: [] }],
  ])('%s: reported as %j, loop continues', async (kind, expected) => {
    const outcome = await invoke(kind, kind);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.json()).toEqual(expected);
    expect(postSummary(emulator, kind)).toEqual([['error', 202]]);
    await outputSettles(emulator, (o) => textLines(o).some((l) => l.requestId === kind && l.message.startsWith('Invoke Error')));
    const logged = textLines(emulator.output).filter((l) => l.requestId === kind);
    expect(logged.map((l) => l.level), readable(emulator.output)).toEqual(['ERROR']);
    expect(logged[0]?.message).toMatch(/^Invoke Error/);
    expect(emulator.pid).toBe(pid);
  });

  test.each(['circular', 'bigint'])('returns a %s value: Runtime.JSONStringifyError, loop continues', async (kind) => {
    const outcome = await invoke(kind, kind);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'Runtime.JSONStringifyError', errorMessage: 'Unable to stringify response body' });
    expect(outcome.errorType).toBe('Runtime.JSONStringifyError');
    expect(postSummary(emulator, kind)).toEqual([['error', 202]]);
    expect(emulator.pid).toBe(pid);
  });

  test('returns a string of exactly 6,291,556 bytes of JSON: accepted as the response', async () => {
    const outcome = await invoke('string-at-limit', 'at-limit');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.body.length).toBe(MAX_RESPONSE_BYTES);
    expect(postSummary(emulator, 'at-limit')).toEqual([['response', 202]]);
    expect(emulator.pid).toBe(pid);
  });

  test('returns a 7 MiB string: one POST (413), the service records Function.ResponseSizeTooLarge, one log line naming size and limit, loop continues', async () => {
    const outcome = await invoke('string-over-limit', 'over-limit');
    // The service closed the invocation itself: the runtime posts nothing more for that id.
    expect(postSummary(emulator, 'over-limit')).toEqual([['response', 413]]);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('Function.ResponseSizeTooLarge');
    const body = errorBody(outcome);
    expect(body.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(body.errorMessage).toContain(`(${7 * 1024 * 1024 + 2} bytes)`);
    expect(body.errorMessage).toContain(`(${MAX_RESPONSE_BYTES} bytes)`);
    await outcome.logsComplete;
    const logged = textLines(emulator.output).filter((l) => l.requestId === 'over-limit');
    expect(logged.map((l) => `${l.level} ${l.message}`)).toEqual([
      `ERROR Response payload size (${7 * 1024 * 1024 + 2} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes): ` +
        'the Runtime API answered 413 and recorded Function.ResponseSizeTooLarge for this invocation. ' +
        'Return less data, or stream the response with awslambda.streamifyResponse (up to 200 MB).',
    ]);
    const next = await invoke('observe', 'after-over-limit');
    expect(next.kind, describeOutcome(next, emulator)).toBe('response');
    expect(emulator.pid).toBe(pid);
  });

  test('blocks the event loop for 2 s: the result arrives after the block, loop continues', async () => {
    const started = performance.now();
    const outcome = await invoke('block', 'block', { ms: 2_000 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ blockedMs: 2_000 });
    expect(postSummary(emulator, 'block')).toEqual([['response', 202]]);
    expect(emulator.pid).toBe(pid);
  });

  test('blocks the event loop for 2 s while the next /next is open: the next event is still served', async () => {
    const first = await invoke('block-after-responding', 'block-while-polling', { ms: 2_000 });
    expect(first.kind, describeOutcome(first, emulator)).toBe('response');
    await new Promise((r) => setTimeout(r, 100)); // the block has started
    const started = performance.now();
    const second = await invoke('observe', 'after-block');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(second.kind, describeOutcome(second, emulator)).toBe('response');
    expect(postSummary(emulator, 'block-while-polling')).toEqual([['response', 202]]);
    expect(postSummary(emulator, 'after-block')).toEqual([['response', 202]]);
    expect(emulator.pid).toBe(pid);
  });

  test('writes 10 MiB to the console in one line: one intact TEXT line, result delivered, loop continues', async () => {
    const outcome = await invoke('console-10mb', 'console-10mb');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toBe('logged');
    const size = 10 * 1024 * 1024;
    await outputSettles(emulator, (o) => textLines(o).some((l) => l.requestId === 'console-10mb'), 10_000);
    const lines = textLines(emulator.output).filter((l) => l.requestId === 'console-10mb');
    expect(lines.map((l) => [l.level, l.message.length])).toEqual([['INFO', size]]);
    expect(/^x+$/.test(lines[0]?.message ?? '')).toBe(true);
    expect(postSummary(emulator, 'console-10mb')).toEqual([['response', 202]]);
    expect(emulator.pid).toBe(pid);
  });

  test('mutates process.env and globalThis.awslambda: the runtime keeps its own configuration', async () => {
    const mutated = await invoke('mutate-environment', 'mutate', {});
    expect(mutated.kind, describeOutcome(mutated, emulator)).toBe('response');
    // AWS_LAMBDA_RUNTIME_API, _HANDLER and AWS_LAMBDA_LOG_FORMAT were changed: read once at start-up.
    const untraced = await emulator.invoke('{"kind":"observe"}', { requestId: 'after-mutate', omitTraceId: true });
    expect(untraced.kind, describeOutcome(untraced, emulator)).toBe('response');
    expect(untraced.json()).toMatchObject({ traceEnv: null, awsRequestId: 'after-mutate' });
    const traced = await emulator.invoke('{"kind":"observe"}', { requestId: 'traced', traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793' });
    expect(traced.json()).toMatchObject({ traceEnv: 'Root=1-5759e988-bd862e3fe1be46a994272793' });
    const failed = await invoke('error', 'error-after-mutate');
    expect(failed.errorType).toBe('TypeError');
    await outputSettles(emulator, (o) => o.includes('error-after-mutate'));
    const line = textLines(emulator.output).find((l) => l.requestId === 'error-after-mutate');
    expect(line?.message, 'still TEXT format').toMatch(/^Invoke Error/);
    const deleted = await invoke('delete-awslambda', 'delete-awslambda');
    expect(deleted.json()).toBe('deleted');
    const after = await invoke('observe', 'after-delete');
    expect(after.kind).toBe('response');
    for (const id of ['mutate', 'after-mutate', 'traced', 'error-after-mutate', 'delete-awslambda', 'after-delete']) {
      expect(postSummary(emulator, id).length, id).toBe(1);
    }
    expect(emulator.pid).toBe(pid);
  });
});

describe.concurrent('completion faults', () => {
  test('calls the callback twice (and then with an error): the first wins, the rest warned about', async () => {
    const emulator = await startFunction(FIXTURE, 'handlers.callbackTwice', {}, { waitForInit: true });
    const pid = emulator.pid;
    const outcome = await emulator.invoke('{}', { requestId: 'twice' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toBe('first');
    expect(postSummary(emulator, 'twice')).toEqual([['response', 202]]);
    await outputSettles(emulator, (o) => o.split(ALREADY_DONE).length >= 3);
    const warnings = textLines(emulator.output).filter((l) => l.message === ALREADY_DONE);
    expect(warnings.map((l) => [l.requestId, l.level]), readable(emulator.output)).toEqual([
      ['twice', 'WARN'],
      ['twice', 'WARN'],
    ]);
    const again = await emulator.invoke('{}');
    expect(again.json()).toBe('first');
    expect(emulator.pid).toBe(pid);
  });

  test('completes through the callback, then its promise rejects: the callback wins, a warning, loop continues', async () => {
    const emulator = await startFunction(FIXTURE, 'handlers.callbackThenReject', {}, { waitForInit: true });
    const pid = emulator.pid;
    const outcome = await emulator.invoke('{}', { requestId: 'callback-then-reject' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toBe('via callback');
    expect(postSummary(emulator, 'callback-then-reject')).toEqual([['response', 202]]);
    await outputSettles(emulator, (o) => o.includes(ALREADY_DONE));
    expect(textLines(emulator.output).some((l) => l.message === ALREADY_DONE && l.level === 'WARN')).toBe(true);
    const again = await emulator.invoke('{}');
    expect(again.kind).toBe('response');
    expect(emulator.pid).toBe(pid);
  });

  test('leaves a promise pending forever with nothing else to do: Runtime.NodeJsExit, loop continues', async () => {
    const emulator = await startFunction(FIXTURE, 'handlers.pendingForever', {}, { waitForInit: true });
    const pid = emulator.pid;
    const outcome = await emulator.invoke('{"kind":"hang"}', { requestId: 'pending' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.json()).toMatchObject({ errorType: 'Runtime.NodeJsExit', errorMessage: NODEJS_EXIT_MESSAGE });
    expect(postSummary(emulator, 'pending')).toEqual([['error', 202]]);
    const again = await emulator.invoke('{}');
    expect(again.json()).toEqual({ calls: 2 });
    expect(emulator.pid).toBe(pid);
  });

  test('leaves a promise pending forever with a timer running: the function times out, a fresh sandbox follows', async () => {
    const emulator = await startFunction(FIXTURE, 'handlers.pendingWithTimer', {}, { waitForInit: true, timeoutMs: 1_500 });
    const outcome = await emulator.invoke('{"kind":"hang"}', { requestId: 'pending-timer' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('timeout');
    expect(outcome.recordedErrorType).toBe('Sandbox.Timedout');
    expect(postSummary(emulator, 'pending-timer')).toEqual([]);
    expect(await emulator.processExit()).toEqual({ code: null, signal: 'SIGKILL' });
    const again = await emulator.invoke('{}');
    expect(again.json()).toBe('still here');
  });
});

describe.concurrent('faults that end the process', () => {
  test('process.exit(0) mid-invoke: exit 0, the service reports Runtime.ExitError, a fresh sandbox follows', async () => {
    const emulator = await startFunction(FIXTURE, 'handlers.exitZero', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{"kind":"exit"}', { requestId: 'exit-zero' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('exited');
    expect(outcome.json()).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: exit-zero Error: Runtime exited without providing a reason',
    });
    expect(await emulator.processExit()).toEqual({ code: 0, signal: null });
    expect(postSummary(emulator, 'exit-zero')).toEqual([]);
    const again = await emulator.invoke('{}');
    expect(again.json()).toBe('still here');
  });

  test('throws from a timer after responding: the response stands, Uncaught Exception logged, exit 129, no second post', async () => {
    const emulator = await startFunction(FIXTURE, 'handlers.throwAfterResponding', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{"kind":"late-throw"}', { requestId: 'late-throw' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toBe('responded');
    const exit = await exitWithin(emulator, 5_000);
    expect(exit, readable(emulator.output)).toEqual({ code: 129, signal: null });
    const logged = textLines(emulator.output).find((l) => l.message.startsWith('Uncaught Exception'));
    expect(logged?.level, readable(emulator.output)).toBe('ERROR');
    expect(logged?.message).toContain('thrown from a timer after the response was posted');
    expect(postSummary(emulator, 'late-throw'), 'exactly one result post').toEqual([['response', 202]]);
    const again = await emulator.invoke('{}');
    expect(again.json()).toBe('responded');
  });

  test('a promise rejects unhandled after responding: the response stands, Unhandled Promise Rejection logged, exit 128, no second post', async () => {
    const emulator = await startFunction(FIXTURE, 'handlers.rejectAfterResponding', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{"kind":"late-reject"}', { requestId: 'late-reject' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toBe('responded');
    const exit = await exitWithin(emulator, 5_000);
    expect(exit, readable(emulator.output)).toEqual({ code: 128, signal: null });
    const logged = textLines(emulator.output).find((l) => l.message.startsWith('Unhandled Promise Rejection'));
    expect(logged?.level, readable(emulator.output)).toBe('ERROR');
    expect(logged?.message).toContain('rejected after the response was posted');
    expect(postSummary(emulator, 'late-reject'), 'exactly one result post').toEqual([['response', 202]]);
    const again = await emulator.invoke('{}');
    expect(again.json()).toBe('responded');
  });
});
