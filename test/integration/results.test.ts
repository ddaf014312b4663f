// Contract §5: how results and errors are posted.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../../emulator/index.ts';
import { TRANSPORTS, describeOutcome, errorBody, outputSettles, startFunction, stopAll, textLines } from './harness.ts';

afterAll(stopAll);

describe.each(TRANSPORTS)('transport %s', (transport) => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction('results', 'index.handler', {}, { transport });
  });

  test('a result is posted as JSON with Content-Type: application/json', async () => {
    const outcome = await emulator.invoke('{"kind":"object"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.headers['content-type']).toBe('application/json');
    expect(outcome.body.toString('utf8')).toBe('{"ok":true,"list":[1,"two",null],"nested":{"unicode":"é✓"}}');
  });

  test('undefined is posted as null', async () => {
    const outcome = await emulator.invoke('{"kind":"undefined"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.body.toString('utf8')).toBe('null');
  });

  test.each(['circular', 'bigint'])('a %s result is Runtime.JSONStringifyError and the loop goes on', async (kind) => {
    const pid = emulator.pid;
    const outcome = await emulator.invoke(JSON.stringify({ kind }));
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('Runtime.JSONStringifyError');
    expect(errorBody(outcome)).toMatchObject({
      errorType: 'Runtime.JSONStringifyError',
      errorMessage: 'Unable to stringify response body',
    });
    const next = await emulator.invoke('{"kind":"object"}');
    expect(next.kind, describeOutcome(next, emulator)).toBe('response');
    expect(emulator.pid).toBe(pid);
  });

  test('an Error: name, message and stack lines, plus the error type header on /error', async () => {
    const outcome = await emulator.invoke('{"kind":"error"}', { requestId: `error-${transport}` });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    const post = emulator.requests.find((r) => r.path === `/2018-06-01/runtime/invocation/error-${transport}/error`);
    expect(post?.method).toBe('POST');
    expect(post?.headers['lambda-runtime-function-error-type']).toBe('ValidationError');
    expect(post?.headers['content-type']).toBe('application/json');
    const body = errorBody(outcome);
    expect(Object.keys(body).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
    expect(body.errorType).toBe('ValidationError');
    expect(body.errorMessage).toBe('order id is required');
    expect(body.trace[0]).toBe('ValidationError: order id is required');
    expect(body.trace[1]).toMatch(/^ {4}at handler \(file:\/\/.*\/test\/fixtures\/results\/index\.mjs:\d+:\d+\)$/);
  });

  test.each([
    ['throw-string', 'string', 'plain string thrown'],
    ['throw-number', 'number', '42'],
    ['throw-null', 'object', 'null'],
    ['throw-undefined', 'undefined', 'undefined'],
    ['throw-object', 'object', '[object Object]'],
  ])('%s: errorType = typeof value, errorMessage = String(value), trace []', async (kind, errorType, errorMessage) => {
    const outcome = await emulator.invoke(JSON.stringify({ kind }));
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.json()).toEqual({ errorType, errorMessage, trace: [] });
  });
});

describe('a result over the 6,291,556-byte limit', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction('results', 'index.handler');
  });

  test('413 on /response: the service records Function.ResponseSizeTooLarge; one log line with size and limit; nothing more posted', async () => {
    const outcome = await emulator.invoke('{"kind":"too-large"}', { requestId: 'too-large' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(errorBody(outcome).errorType).toBe('Function.ResponseSizeTooLarge');
    await outcome.logsComplete;
    const paths = emulator.requests.filter((r) => r.path.includes('/too-large/')).map((r) => [r.path, r.status]);
    expect(paths).toEqual([['/2018-06-01/runtime/invocation/too-large/response', 413]]);
    const logged = textLines(emulator.output).filter((l) => l.requestId === 'too-large');
    expect(logged.map((l) => l.level), emulator.output.slice(0, 2000)).toEqual(['ERROR']);
    const mentions = logged.map((l) => l.message).join('\n');
    expect(mentions).toMatch(/6,?300,?002/);
    expect(mentions).toMatch(/6,?291,?556/);
  });

  test('the next invoke still works in the same process', async () => {
    const pid = emulator.pid;
    const outcome = await emulator.invoke('{"kind":"object"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(emulator.pid).toBe(pid);
  });
});
