// Issue 6, Runtime API faults: the Runtime API misbehaving on /next and on result posts, planted
// with emulator.injectFault(). For each: what the runtime logs, whether it keeps looping or exits
// (and with which code), and that every invocation ends with exactly one result.
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, test } from 'vitest';
import type { Fault } from '../../emulator/index.ts';
import {
  TRANSPORTS,
  closedPort,
  describeOutcome,
  errorBody,
  fixturePath,
  isAlive,
  outputSettles,
  runDirect,
  startFunction,
  stopAll,
  textLines,
} from '../integration/harness.ts';
import { FIXTURE, exitWithin, postSummary, readable } from './helpers.ts';

afterAll(stopAll);

const HANDLER = 'handlers.handler';
const SERVICE_500 =
  '{"errorMessage":"State transition from Ready to InvocationErrorResponse failed","errorType":"Runtime.ContainerError"}';
const SERVICE_403 = '{"errorMessage":"Invalid state transition","errorType":"InvalidStateTransition"}';
const SERVICE_400 = '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}';
// Exiting "promptly": well under a second of runtime work, plus process start on a busy 2-core box
// running the whole suite in parallel.
const PROMPT_EXIT_MS = 5_000;

describe.each(TRANSPORTS)('/next faults that end the sandbox (transport %s)', (transport) => {
  const cases: [string, Fault, (api: string) => string[]][] = [
    ['/next answered 500', { kind: 'status', status: 500, body: SERVICE_500 }, (api) => [api, '500', 'Runtime.ContainerError']],
    ['/next answered 403', { kind: 'status', status: 403, body: SERVICE_403 }, (api) => [api, '403', 'InvalidStateTransition']],
    ['/next connection closed without an answer', { kind: 'close' }, (api) => [api, '/runtime/invocation/next']],
    ['/next body truncated mid-way', { kind: 'truncate' }, (api) => [api, '/runtime/invocation/next']],
    [
      '/next without Lambda-Runtime-Aws-Request-Id',
      { kind: 'omit-header', header: 'Lambda-Runtime-Aws-Request-Id' },
      (api) => [api, 'Lambda-Runtime-Aws-Request-Id'],
    ],
  ];

  test.concurrent.each(cases)('%s: logged with the Runtime API address and cause, exit 1 promptly', async (name, fault, mentions) => {
    const emulator = await startFunction(FIXTURE, HANDLER, {}, { transport });
    emulator.injectFault('next', fault);
    const requestId = `next-fault-${transport}-${name.replace(/\W+/g, '-')}`;
    const started = performance.now();
    const outcome = await emulator.invoke('{"kind":"observe","payload":"' + 'p'.repeat(64) + '"}', { requestId });
    const exit = await exitWithin(emulator, PROMPT_EXIT_MS);
    expect(exit, readable(emulator.output)).toEqual({ code: 1, signal: null });
    expect(performance.now() - started, 'time to exit').toBeLessThan(PROMPT_EXIT_MS);
    // The service answers the caller for the runtime that died: one result, never the handler's.
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('exited');
    expect(errorBody(outcome).errorMessage).toBe(`RequestId: ${requestId} Error: Runtime exited with error: exit status 1`);
    expect(postSummary(emulator, requestId)).toEqual([]);
    // The fault was one-off: a fresh sandbox serves the next invoke.
    const again = await emulator.invoke('{"kind":"observe"}');
    expect(again.kind, describeOutcome(again, emulator)).toBe('response');
    const line = textLines(emulator.output).find((l) => l.message.includes('Exiting'));
    expect(line?.level, readable(emulator.output)).toBe('ERROR');
    for (const text of mentions(emulator.runtimeApi)) expect(line?.message, 'the exit message').toContain(text);
  });
});

describe.each(TRANSPORTS)('/next faults the loop survives (transport %s)', (transport) => {
  test('/next answered after 4 s: no client-side timeout, the event is served normally', async () => {
    // Stands in for a long poll of minutes or hours: the runtime sets no timeout on /next at all
    // (the http transport).
    const emulator = await startFunction(FIXTURE, HANDLER, {}, { transport, waitForInit: true });
    const pid = emulator.pid;
    emulator.injectFault('next', { kind: 'delay', ms: 4_000 });
    // This /next is already waiting; the delay applies to the one after the first result.
    const first = await emulator.invoke('{"kind":"observe"}', { requestId: 'before-delay' });
    expect(first.kind, describeOutcome(first, emulator)).toBe('response');
    const started = performance.now();
    const delayed = await emulator.invoke('{"kind":"observe"}', { requestId: 'after-delay' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(3_900);
    expect(delayed.kind, describeOutcome(delayed, emulator)).toBe('response');
    expect(emulator.pid).toBe(pid);
    expect(textLines(emulator.output).filter((l) => l.level === 'ERROR')).toEqual([]);
    expect(postSummary(emulator, 'after-delay')).toEqual([['response', 202]]);
  }, 20_000);

  test('a non-JSON event: Runtime.MalformedEvent, handler not called, loop continues', async () => {
    const emulator = await startFunction(FIXTURE, HANDLER, {}, { transport, waitForInit: true });
    const pid = emulator.pid;
    const bad = await emulator.invoke('this is { not json', { requestId: 'not-json' });
    expect(bad.kind, describeOutcome(bad, emulator)).toBe('error');
    expect(bad.errorType).toBe('Runtime.MalformedEvent');
    expect(errorBody(bad).errorMessage).toMatch(/^The event of request not-json is not valid JSON/);
    expect(postSummary(emulator, 'not-json')).toEqual([['error', 202]]);
    const good = await emulator.invoke('{"kind":"observe"}');
    expect(good.kind, describeOutcome(good, emulator)).toBe('response');
    expect((good.json() as { calls: number }).calls, 'the handler never saw the bad event').toBe(1);
    expect(emulator.pid).toBe(pid);
  });

  test('an event over 6 MB: delivered intact to the handler (the runtime adds no limit of its own)', async () => {
    const emulator = await startFunction(FIXTURE, HANDLER, {}, { transport, waitForInit: true });
    const data = 'é'.repeat(3_500_000); // 7,000,000 bytes of UTF-8
    const payload = JSON.stringify({ kind: 'digest', data });
    expect(Buffer.byteLength(payload)).toBeGreaterThan(6 * 1024 * 1024);
    const { createHash } = await import('node:crypto');
    const outcome = await emulator.invoke(payload, { requestId: 'big-event' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ calls: 1, length: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    expect(postSummary(emulator, 'big-event')).toEqual([['response', 202]]);
    const after = await emulator.invoke('{}');
    expect(after.kind).toBe('response');
  });
});

describe.each(TRANSPORTS)('the Runtime API refusing connections at start (transport %s)', (transport) => {
  test('logged with the address, exit 1 promptly', async () => {
    const port = await closedPort();
    const taskRoot = fixturePath(FIXTURE);
    const run = await runDirect(
      { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`, _HANDLER: HANDLER, LAMBDA_TASK_ROOT: taskRoot, LAMBDA_BOOTSTRAP_TRANSPORT: transport },
      taskRoot,
    );
    const output = run.stdout + run.stderr;
    expect({ code: run.code, signal: run.signal }, output).toEqual({ code: 1, signal: null });
    expect(run.durationMs).toBeLessThan(PROMPT_EXIT_MS);
    expect(output).toContain(`127.0.0.1:${port}`);
    expect(output).toMatch(/ECONNREFUSED|refused/i);
  });
});

describe.each(TRANSPORTS)('result posts refused by the service (transport %s)', (transport) => {
  const survivable: ['response' | 'error', number, string, string][] = [
    ['response', 400, SERVICE_400, 'InvalidRequestID'],
    ['response', 403, SERVICE_403, 'InvalidStateTransition'],
    ['error', 400, SERVICE_400, 'InvalidRequestID'],
    ['error', 403, SERVICE_403, 'InvalidStateTransition'],
  ];

  test.concurrent.each(survivable)(
    '%s post answered %i: logged with status and body, no retry, loop continues',
    async (route, status, body, serviceType) => {
      const emulator = await startFunction(FIXTURE, HANDLER, {}, { transport, waitForInit: true });
      const pid = emulator.pid;
      emulator.injectFault(route, { kind: 'status', status, body });
      const requestId = `refused-${route}-${status}`;
      const outcome = await emulator.invoke(route === 'error' ? '{"kind":"error"}' : '{"kind":"observe"}', { requestId });
      // The service refused the only result, so it records none from the runtime: when the
      // runtime asks for more work, the emulator closes that invocation as Runtime.NoResult.
      expect(postSummary(emulator, requestId)).toEqual([[route, status]]);
      expect(outcome.errorType, describeOutcome(outcome, emulator)).toBe('Runtime.NoResult');
      const next = await emulator.invoke('{"kind":"observe"}');
      expect(next.kind, describeOutcome(next, emulator)).toBe('response');
      expect(emulator.pid).toBe(pid);
      expect(isAlive(pid)).toBe(true);
      await outputSettles(emulator, (o) => o.includes(serviceType));
      const logged = textLines(emulator.output).filter((l) => l.level === 'ERROR' && l.message.includes(String(status)));
      expect(logged.map((l) => l.message).join('\n'), readable(emulator.output)).toContain(serviceType);
      expect(logged[0]?.requestId).toBe(requestId);
    },
  );

  test('/response answered 413: the service has recorded the error; nothing more posted, one log line, loop continues', async () => {
    const emulator = await startFunction(FIXTURE, HANDLER, {}, { transport, waitForInit: true });
    const pid = emulator.pid;
    emulator.injectFault('response', {
      kind: 'status',
      status: 413,
      body: '{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}\n',
    });
    const outcome = await emulator.invoke('{"kind":"observe"}', { requestId: 'injected-413' });
    expect(postSummary(emulator, 'injected-413')).toEqual([['response', 413]]);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('Function.ResponseSizeTooLarge');
    await outcome.logsComplete;
    const logged = textLines(emulator.output).filter((l) => l.requestId === 'injected-413' && l.level === 'ERROR');
    expect(logged.length, readable(emulator.output)).toBe(1);
    expect(logged[0]?.message).toMatch(/^Response payload size \(\d+ bytes\) exceeded maximum allowed payload size \(6291556 bytes\)/);
    const next = await emulator.invoke('{}');
    expect(next.kind, describeOutcome(next, emulator)).toBe('response');
    expect(postSummary(emulator, 'injected-413')).toEqual([['response', 413]]);
    expect(emulator.pid).toBe(pid);
  });

  // AWS's v4 client ignores the outcome of a result post (its native done()/error() return
  // nothing): the result is lost, the loop goes on to /next. If the Runtime API is really gone,
  // that /next fails and ends the process (the /next rows above). Here the service is still
  // there and never recorded the result, so it answers that /next with the same event again
  // (RAPID's RuntimeRunningState.Ready) and the second post is accepted.
  const lost: ['response' | 'error', string, Fault, number][] = [
    ['response', '500', { kind: 'status', status: 500, body: SERVICE_500 }, 500],
    ['error', '500', { kind: 'status', status: 500, body: SERVICE_500 }, 500],
    ['response', 'with a connection reset', { kind: 'close' }, 0],
    ['error', 'with a connection reset', { kind: 'close' }, 0],
  ];

  test.concurrent.each(lost)('%s post answered %s: logged with its request id, no retry of the post, the loop goes on', async (route, what, fault, status) => {
    const emulator = await startFunction(FIXTURE, HANDLER, {}, { transport, waitForInit: true });
    const pid = emulator.pid;
    emulator.injectFault(route, fault);
    const requestId = `lost-${route}-${fault.kind}`;
    const outcome = await emulator.invoke(route === 'error' ? '{"kind":"error"}' : '{"kind":"observe"}', { requestId });
    // The failed post is never repeated (the service may have acted on it); the event came again.
    expect(postSummary(emulator, requestId)).toEqual([[route, status], [route, 202]]);
    expect(emulator.protocolViolations, 'the service handed the same event again').toHaveLength(1);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe(route);
    const again = await emulator.invoke('{"kind":"observe"}');
    expect(again.kind, describeOutcome(again, emulator)).toBe('response');
    expect(emulator.pid, 'the same process serves on').toBe(pid);
    await outputSettles(emulator, (o) => o.includes(`for request ${requestId}`));
    const line = textLines(emulator.output).find((l) => l.message.includes(`for request ${requestId}`));
    expect(line?.level, readable(emulator.output)).toBe('ERROR');
    expect(line?.requestId, 'attributed to the invocation').toBe(requestId);
    expect(line?.message, 'the address').toContain(emulator.runtimeApi);
    if (fault.kind === 'status') expect(line?.message).toContain('500 {"errorMessage"');
    expect(textLines(emulator.output).some((l) => l.message.includes('Exiting')), 'no exit').toBe(false);
  });
});
