// Contract §10: graceful shutdown. Lambda sends SIGTERM only to a sandbox with a registered
// extension, so the runtime registers an internal one when the function listens for SIGTERM by
// the end of init (or LAMBDA_BOOTSTRAP_GRACEFUL_SHUTDOWN forces it), and nothing otherwise.
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator, RecordedRequest } from '../../emulator/index.ts';
import { TRANSPORTS, describeOutcome, outputSettles, startFunction, stopAll, textLines } from './harness.ts';

afterAll(stopAll);

const FIXTURE = 'shutdown';
const REGISTER_PATH = '/2020-01-01/extension/register';
const EVENT_NEXT_PATH = '/2020-01-01/extension/event/next';
const EXTENSION_NAME = 'lambda-bootstrap';
// What the emulator allows between SIGTERM and SIGKILL, as Lambda does (300-500 ms).
const GRACE_MS = 500;

function extensionRequests(emulator: Emulator): RecordedRequest[] {
  return emulator.requests.filter((r) => r.path.startsWith('/2020-01-01/extension/'));
}

function firstNextIndex(emulator: Emulator): number {
  return emulator.requests.findIndex((r) => r.method === 'GET' && r.path === '/2018-06-01/runtime/invocation/next');
}

/** Asserts exactly one well-formed register call, made before the first /next, followed by the
 * extension's event/next (its readiness: without it Lambda never ends init). */
function expectRegisteredBeforeFirstNext(emulator: Emulator): void {
  const calls = extensionRequests(emulator);
  expect(calls.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${REGISTER_PATH}`, `GET ${EVENT_NEXT_PATH}`]);
  const [register, eventNext] = calls;
  expect(eventNext?.headers['lambda-extension-identifier']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  // Never answered (an internal extension with no events), and accepted: the extension is Ready.
  expect(eventNext?.status).toBe(0);
  expect(emulator.extensionStates).toEqual([{ name: EXTENSION_NAME, state: 'Ready' }]);
  expect(register?.headers['lambda-extension-name']).toBe(EXTENSION_NAME);
  expect(JSON.parse(register?.body.toString('utf8') ?? '')).toEqual({ events: [] });
  expect(register?.status).toBe(200);
  const registerIndex = emulator.requests.findIndex((r) => r.path === REGISTER_PATH);
  const nextIndex = firstNextIndex(emulator);
  expect(nextIndex).toBeGreaterThanOrEqual(0);
  expect(registerIndex).toBeLessThan(nextIndex);
  expect(emulator.registeredExtensions).toEqual([EXTENSION_NAME]);
}

describe.each(TRANSPORTS)('a SIGTERM listener registered at init (transport %s)', (transport) => {
  test('registers the internal extension before the first /next; on shutdown the listener runs and is logged', async () => {
    const emulator = await startFunction(FIXTURE, 'listener.handler', {}, { transport, waitForInit: true });
    expectRegisteredBeforeFirstNext(emulator);

    const outcome = await emulator.invoke('{}', { requestId: `before-shutdown-${transport}` });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ sigtermListeners: 1 });

    // The runtime now sits in its /next long poll: it must still be able to exit at once.
    const result = await emulator.shutdown();
    expect(result.sigterm).toBe(true);
    expect(result.killed, emulator.output).toBe(false);
    expect(result.exitedWithinMs).toBeLessThan(GRACE_MS);
    expect(await emulator.processExit()).toEqual({ code: 0, signal: null });

    await outputSettles(emulator, (o) => o.includes('cleanup done'));
    const lines = textLines(emulator.output);
    const flushing = lines.find((l) => l.message === 'SIGTERM received: flushing telemetry');
    const done = lines.find((l) => l.message === 'cleanup done');
    expect(flushing, emulator.output).toMatchObject({ level: 'INFO' });
    expect(done, emulator.output).toMatchObject({ level: 'INFO' });
  });
});

describe.concurrent('graceful shutdown', () => {
  test('a CommonJS module listening with once(): registered, and its cleanup runs even before any invoke', async () => {
    const emulator = await startFunction(FIXTURE, 'cleanup.handler', {}, { waitForInit: true });
    expectRegisteredBeforeFirstNext(emulator);
    const result = await emulator.shutdown();
    expect(result).toMatchObject({ sigterm: true, killed: false });
    expect(await emulator.processExit()).toEqual({ code: 0, signal: null });
    await outputSettles(emulator, (o) => o.includes('closing the connection pool'));
    const line = textLines(emulator.output).find((l) => l.message === 'closing the connection pool');
    expect(line, emulator.output).toMatchObject({ level: 'WARN' });
  });

  test('no listener: no extension call at all, and shutdown is a plain SIGKILL', async () => {
    const emulator = await startFunction(FIXTURE, 'plain.handler');
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ sigtermListeners: 0 });
    expect(extensionRequests(emulator)).toEqual([]);
    expect(emulator.registeredExtensions).toEqual([]);
    expect(await emulator.shutdown()).toEqual({ sigterm: false, exitedWithinMs: undefined, killed: true });
    expect(await emulator.processExit()).toEqual({ code: null, signal: 'SIGKILL' });
  });

  test('a listener added during an invoke (after init) registers nothing', async () => {
    const emulator = await startFunction(FIXTURE, 'late-listener.handler');
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ sigtermListeners: 1 });
    expect(extensionRequests(emulator)).toEqual([]);
    expect(await emulator.shutdown()).toMatchObject({ sigterm: false, killed: true });
  });

  test.each(['1', 'true'])('LAMBDA_BOOTSTRAP_GRACEFUL_SHUTDOWN=%s registers without a listener; SIGTERM ends the process in time', async (value) => {
    const emulator = await startFunction(FIXTURE, 'plain.handler', { LAMBDA_BOOTSTRAP_GRACEFUL_SHUTDOWN: value }, { waitForInit: true });
    expectRegisteredBeforeFirstNext(emulator);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const result = await emulator.shutdown();
    expect(result.sigterm).toBe(true);
    expect(result.killed, emulator.output).toBe(false);
    expect(result.exitedWithinMs).toBeLessThan(GRACE_MS);
    const exit = await emulator.processExit();
    expect(exit.signal).not.toBe('SIGKILL');
  });

  test.each(['0', 'false'])('LAMBDA_BOOTSTRAP_GRACEFUL_SHUTDOWN=%s without a listener registers nothing', async (value) => {
    const emulator = await startFunction(FIXTURE, 'plain.handler', { LAMBDA_BOOTSTRAP_GRACEFUL_SHUTDOWN: value });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(extensionRequests(emulator)).toEqual([]);
  });
});
