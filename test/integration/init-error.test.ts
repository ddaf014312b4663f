// Contract §3: an error while loading the handler is posted to /runtime/init/error, logged, and
// the process exits non-zero; the service answers the first invoke with it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import { TRANSPORTS, describeOutcome, errorBody, startFunction, stopAll, textLines } from './harness.ts';

afterAll(stopAll);

const INIT_ERROR_PATH = '/2018-06-01/runtime/init/error';

describe.each(TRANSPORTS)('transport %s', (transport) => {
  let emulator: Emulator;
  let outcome: InvocationOutcome;
  let exit: { code: number | null; signal: string | null };

  beforeAll(async () => {
    emulator = await startFunction('init-error', 'index.handler', {}, { transport });
    outcome = await emulator.invoke('{}');
    exit = await emulator.processExit();
  });

  test("the first invoke's outcome is the init error", () => {
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(outcome.errorType).toBe('DatabaseUnreachable');
  });

  test('POST /runtime/init/error with the error type header and a JSON content type', () => {
    const posts = emulator.requests.filter((r) => r.path === INIT_ERROR_PATH);
    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(post?.method).toBe('POST');
    expect(post?.headers['lambda-runtime-function-error-type']).toBe('DatabaseUnreachable');
    expect(post?.headers['content-type']).toBe('application/json');
  });

  test('the body is {errorType, errorMessage, trace} with the stack split into lines', () => {
    const body = errorBody(outcome);
    expect(Object.keys(body).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
    expect(body.errorType).toBe('DatabaseUnreachable');
    expect(body.errorMessage).toBe('connect ECONNREFUSED db.internal:5432');
    expect(body.trace[0]).toBe('DatabaseUnreachable: connect ECONNREFUSED db.internal:5432');
    expect(body.trace.length).toBeGreaterThan(1);
    for (const line of body.trace.slice(1)) expect(line).toMatch(/^ {4}at /);
  });

  test('no /next is asked for before the init error is posted', () => {
    const first = emulator.requests[0];
    expect(first?.path).toBe(INIT_ERROR_PATH);
  });

  test('"Init Error" is logged at ERROR level with request id undefined', () => {
    const line = textLines(emulator.output).find((l) => l.message.startsWith('Init Error'));
    expect(line, emulator.output).toBeDefined();
    expect(line?.level).toBe('ERROR');
    expect(line?.requestId).toBe('undefined');
    const json = JSON.parse(line?.message.slice(line.message.indexOf('{')) ?? '') as Record<string, unknown>;
    expect(json).toMatchObject({ errorType: 'DatabaseUnreachable', errorMessage: 'connect ECONNREFUSED db.internal:5432' });
  });

  test('the process exits non-zero', () => {
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
  });
});
