// Legacy completion (contract §4, issue 10 item 4; repro context-succeed-later): a two-parameter
// handler that returns no result and finishes later through context.succeed/done/fail answers
// with what it completes with, as on nodejs22.x (AWS's client 3.x, Runtime.js
// handleOnceNonStreaming). A plain return value keeps the Node 24 meaning.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeOutcome, errorBody, invokeOnce, outputSettles, stopAll, textLines } from './harness.ts';
import { stagedFixture } from './staged-fixture.ts';

let task = '';
beforeAll(() => {
  task = stagedFixture('legacy-completion');
});
afterAll(stopAll);

describe.concurrent('completion through the context, later', () => {
  test('returns nothing, context.succeed after 500 ms: that value (repro index.handler)', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'index.handler');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ ok: true });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(450);
  });

  test('returns an http.Server (legacy proxy), context.succeed on the next turn: the HTTP response (repro legacy-proxy)', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'legacy-proxy.handler', '{"path":"/"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hello from express' });
  });

  test('context.done(null, value) later: that value', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'more.doneLater');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ via: 'done' });
  });

  test('context.fail(error) later: that error', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'more.failLater');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'Error', errorMessage: 'failed later' });
  });

  test('context.done(error) later: that error', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'more.doneErrorLater');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'TypeError', errorMessage: 'done with an error' });
  });

  test('returns a stream (an event emitter, not a result), succeeds later: the later value', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'more.streamReturned');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ via: 'succeed after a stream' });
  });

  test('returns a plain value and succeeds later: the plain value at once (Node 24), the later call warns', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'more.plainThenSucceed');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ now: true });
    await outputSettles(emulator, (o) => o.includes('already been reported'), 3_000);
    const warning = textLines(emulator.output).find((l) => l.level === 'WARN');
    expect(warning?.message).toBe('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
  });

  test('decided: returns nothing and never completes, a timer pending: null once the event loop is empty', async () => {
    const { emulator, outcome } = await invokeOnce(task, 'more.nothingPending');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.body.toString()).toBe('null');
    // Posted after the 400 ms timer ran, not at once.
    expect(outcome.durationMs).toBeGreaterThanOrEqual(380);
  });
});
