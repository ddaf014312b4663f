// One test per row of emulator/runtime-api/state-table.ts: the test plays the runtime (and its internal
// extensions) over fetch against an idle stand-in sandbox, drives the state the row names, sends
// the request and compares status and body byte for byte with the row. A row without a scenario
// here fails the suite, so the table and its tests cannot drift apart.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../emulator.ts';
import type { EmulatorOptions } from '../emulator.ts';
import { extensionRow, extensionStateRow } from './extension-state-table.ts';
import { goMarshal } from './rie-bodies.ts';
import { allRows, runtimeRow } from './state-table.ts';
import type { Row } from './state-table.ts';
import { RUNTIME, startStandIn, stopAll, waitUntil } from '../test-helpers.ts';

afterAll(stopAll);

const EXTENSION = '/2020-01-01/extension';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Reply {
  status: number;
  body: string;
  headers: Headers;
}

async function call(emulator: Emulator, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`http://${emulator.runtimeApi}${path}`, { method, body, headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

const get = (e: Emulator, path: string, headers?: Record<string, string>): Promise<Reply> => call(e, 'GET', path, undefined, headers);
const post = (e: Emulator, path: string, body = '{}', headers?: Record<string, string>): Promise<Reply> => call(e, 'POST', path, body, headers);

/** An idle sandbox: the process holds it, the test speaks the Runtime API. */
async function sandbox(options: Partial<EmulatorOptions> = {}): Promise<Emulator> {
  const emulator = await startStandIn({ ...options, env: { STANDIN_MODE: 'idle', ...options.env } });
  await emulator.spawn();
  return emulator;
}

async function inState(emulator: Emulator, state: string): Promise<void> {
  await waitUntil(() => emulator.runtimeState === state, `runtime state ${state}`);
}

const FN = { functionName: 'test-function', functionVersion: '$LATEST', handler: 'index.handler' };

/** Running with invocation `id` delivered. */
async function running(options: Partial<EmulatorOptions> = {}, id = 'r1'): Promise<Emulator> {
  const emulator = await sandbox(options);
  void emulator.invoke('{"n":1}', { requestId: id });
  const next = await get(emulator, `${RUNTIME}/invocation/next`);
  expect(next.headers.get('lambda-runtime-aws-request-id')).toBe(id);
  return emulator;
}

async function responseSent(): Promise<Emulator> {
  const emulator = await running();
  expect((await post(emulator, `${RUNTIME}/invocation/r1/response`, '1')).status).toBe(202);
  return emulator;
}

async function invocationResponse(): Promise<Emulator> {
  const emulator = await running();
  const bad = await post(emulator, `${RUNTIME}/invocation/r1/response`, '1', { 'Lambda-Runtime-Function-Response-Mode': 'buffered' });
  expect(bad.status).toBe(400);
  await inState(emulator, 'InvocationResponse');
  return emulator;
}

async function initError(): Promise<Emulator> {
  const emulator = await sandbox();
  expect((await post(emulator, `${RUNTIME}/init/error`, '{}', { 'Lambda-Runtime-Function-Error-Type': 'Runtime.X' })).status).toBe(202);
  return emulator;
}

async function restoring(): Promise<Emulator> {
  const emulator = await sandbox({ snapStart: true });
  const restored = await get(emulator, `${RUNTIME}/restore/next`);
  expect(restored.status).toBe(200);
  await inState(emulator, 'Restoring');
  return emulator;
}

async function restoreError(): Promise<Emulator> {
  const emulator = await restoring();
  expect((await post(emulator, `${RUNTIME}/restore/error`, '{}', { 'Lambda-Runtime-Function-Error-Type': 'Runtime.X' })).status).toBe(202);
  return emulator;
}

/** An internal extension registered by the sandbox; returns its identifier. */
async function register(emulator: Emulator, name = 'ext', events: string[] = []): Promise<string> {
  const res = await post(emulator, `${EXTENSION}/register`, JSON.stringify({ events }), { 'Lambda-Extension-Name': name });
  expect(res.status).toBe(200);
  return res.headers.get('lambda-extension-identifier') ?? '';
}

/** An extension's event/next, left open; resolves with its answer. */
function extensionNext(emulator: Emulator, id: string): Promise<Reply> {
  return get(emulator, `${EXTENSION}/event/next`, { 'Lambda-Extension-Identifier': id });
}

async function extensionInState(emulator: Emulator, state: string): Promise<void> {
  await waitUntil(() => emulator.extensionStates.some((e) => e.state === state), `extension state ${state}`);
}

const extError = (e: Emulator, id: string, kind: 'init' | 'exit'): Promise<Reply> =>
  post(e, `${EXTENSION}/${kind}/error`, '{}', { 'Lambda-Extension-Identifier': id, 'Lambda-Extension-Function-Error-Type': 'Extension.Boom' });

function expectRow(reply: Reply, row: Row, params: Parameters<Row['body']>[0] = {}): void {
  expect(reply.status).toBe(row.status);
  expect(reply.body).toBe(row.body(params));
}

/** A refused runtime transition: `reach` gets there, `send` makes the request. */
function refused(reach: () => Promise<Emulator>, send: (e: Emulator) => Promise<Reply>, state: Parameters<typeof runtimeRow>[0], request: Parameters<typeof runtimeRow>[1]) {
  return async () => {
    const emulator = await reach();
    expectRow(await send(emulator), runtimeRow(state, request));
    expect(emulator.runtimeState).toBe(state);
  };
}

const nextOf = (e: Emulator): Promise<Reply> => get(e, `${RUNTIME}/invocation/next`);
const responseOf = (e: Emulator): Promise<Reply> => post(e, `${RUNTIME}/invocation/r1/response`, '2');
const errorOf = (e: Emulator): Promise<Reply> => post(e, `${RUNTIME}/invocation/r1/error`, '{}', { 'Lambda-Runtime-Function-Error-Type': 'Function.X' });
const initErrorOf = (e: Emulator): Promise<Reply> => post(e, `${RUNTIME}/init/error`, '{}', { 'Lambda-Runtime-Function-Error-Type': 'Runtime.X' });
const restoreNextOf = (e: Emulator): Promise<Reply> => get(e, `${RUNTIME}/restore/next`);
const restoreErrorOf = (e: Emulator): Promise<Reply> => post(e, `${RUNTIME}/restore/error`, '{}', { 'Lambda-Runtime-Function-Error-Type': 'Runtime.RestoreHookFailed' });

const scenarios: Record<string, () => Promise<void>> = {
  // --- runtime: guards ---
  'runtime.any.result-invalid-id': async () => {
    const emulator = await running();
    expectRow(await post(emulator, `${RUNTIME}/invocation/someone-else/response`, '1'), extensionlessGuard(0));
    expectRow(await post(emulator, `${RUNTIME}/invocation/someone-else/error`, '{}'), extensionlessGuard(0));
    expect(emulator.runtimeState).toBe('Running');
  },
  'runtime.any.restore-without-snapstart': async () => {
    const emulator = await sandbox();
    const res = await restoreNextOf(emulator);
    expectRow(res, extensionlessGuard(1));
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expectRow(await restoreErrorOf(emulator), extensionlessGuard(1));
  },
  // --- runtime: Started ---
  'runtime.started.next': async () => {
    const emulator = await sandbox();
    const next = nextOf(emulator);
    await inState(emulator, 'Ready');
    void emulator.invoke('{"first":true}', { requestId: 'first' });
    const reply = await next;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"first":true}');
    expect(reply.headers.get('lambda-runtime-aws-request-id')).toBe('first');
    expect(emulator.runtimeState).toBe('Running');
  },
  'runtime.started.init-error': async () => {
    const emulator = await sandbox();
    expectRow(await initErrorOf(emulator), runtimeRow('Started', 'init/error'));
    expect(emulator.runtimeState).toBe('InitError');
  },
  'runtime.started.restore-next': async () => {
    const emulator = await sandbox({ snapStart: true });
    const reply = await restoreNextOf(emulator);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('');
    expect(reply.headers.get('content-type')).toBeNull();
    expect(emulator.runtimeState).toBe('Restoring');
  },
  'runtime.started.restore-error': refused(() => sandbox({ snapStart: true }), restoreErrorOf, 'Started', 'restore/error'),
  // --- runtime: InitError ---
  'runtime.init-error.next': refused(initError, nextOf, 'InitError', 'next'),
  'runtime.init-error.init-error': refused(initError, initErrorOf, 'InitError', 'init/error'),
  // --- runtime: Ready (its /next waiting) ---
  'runtime.ready.init-error': async () => {
    const emulator = await sandbox();
    void nextOf(emulator).catch(() => {});
    await inState(emulator, 'Ready');
    expectRow(await initErrorOf(emulator), runtimeRow('Ready', 'init/error'));
  },
  // --- runtime: Running ---
  'runtime.running.next': async () => {
    const emulator = await running();
    const again = await nextOf(emulator);
    expect(again.status).toBe(200);
    expect(again.body).toBe('{"n":1}');
    expect(again.headers.get('lambda-runtime-aws-request-id')).toBe('r1');
    expect(emulator.runtimeState).toBe('Running');
  },
  'runtime.running.response': async () => {
    const emulator = await running();
    expectRow(await responseOf(emulator), runtimeRow('Running', 'response'));
    expect(emulator.runtimeState).toBe('RuntimeResponseSentState');
  },
  'runtime.running.response-too-large': async () => {
    const emulator = await sandbox();
    const outcome = emulator.invoke('{}', { requestId: 'big' });
    await nextOf(emulator);
    const reply = await post(emulator, `${RUNTIME}/invocation/big/response`, `"${'x'.repeat(6_291_555)}"`);
    expectRow(reply, runtimeRow('Running', 'response', 'too-large'));
    expect(emulator.runtimeState).toBe('RuntimeResponseSentState');
    expect((await outcome).body.toString()).toBe(
      goMarshal({
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: 'Response payload size (6291557 bytes) exceeded maximum allowed payload size (6291556 bytes).',
      }),
    );
  },
  'runtime.running.response-bad-mode': async () => {
    const emulator = await running();
    const reply = await post(emulator, `${RUNTIME}/invocation/r1/response`, '1', { 'Lambda-Runtime-Function-Response-Mode': 'buffered' });
    expectRow(reply, runtimeRow('Running', 'response', 'bad-mode'));
    expect(emulator.runtimeState).toBe('InvocationResponse');
  },
  'runtime.running.error': async () => {
    const emulator = await running();
    expectRow(await errorOf(emulator), runtimeRow('Running', 'error'));
    expect(emulator.runtimeState).toBe('RuntimeResponseSentState');
  },
  'runtime.running.init-error': refused(running, initErrorOf, 'Running', 'init/error'),
  'runtime.running.restore-next': refused(() => running({ snapStart: true }), restoreNextOf, 'Running', 'restore/next'),
  'runtime.running.restore-error': refused(() => running({ snapStart: true }), restoreErrorOf, 'Running', 'restore/error'),
  // --- runtime: InvocationResponse ---
  'runtime.invocation-response.next': refused(invocationResponse, nextOf, 'InvocationResponse', 'next'),
  'runtime.invocation-response.response': refused(invocationResponse, responseOf, 'InvocationResponse', 'response'),
  'runtime.invocation-response.error': refused(invocationResponse, errorOf, 'InvocationResponse', 'error'),
  'runtime.invocation-response.init-error': refused(invocationResponse, initErrorOf, 'InvocationResponse', 'init/error'),
  // --- runtime: RuntimeResponseSentState ---
  'runtime.response-sent.next': async () => {
    const emulator = await responseSent();
    const next = nextOf(emulator);
    await inState(emulator, 'Ready');
    void emulator.invoke('{"second":true}', { requestId: 'r2' });
    const reply = await next;
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"second":true}');
    expect(emulator.runtimeState).toBe('Running');
  },
  'runtime.response-sent.response': refused(responseSent, responseOf, 'RuntimeResponseSentState', 'response'),
  'runtime.response-sent.error': refused(responseSent, errorOf, 'RuntimeResponseSentState', 'error'),
  'runtime.response-sent.init-error': refused(responseSent, initErrorOf, 'RuntimeResponseSentState', 'init/error'),
  // --- runtime: Restoring / RuntimeRestoreErrorState (SnapStart) ---
  'runtime.restoring.next': async () => {
    const emulator = await restoring();
    void emulator.invoke('{"restored":true}', { requestId: 'after-restore' });
    const reply = await nextOf(emulator);
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"restored":true}');
    expect(emulator.runtimeState).toBe('Running');
  },
  'runtime.restoring.init-error': async () => {
    const emulator = await restoring();
    expectRow(await initErrorOf(emulator), runtimeRow('Restoring', 'init/error'));
    expect(emulator.runtimeState).toBe('RuntimeRestoreErrorState');
  },
  'runtime.restoring.restore-next': refused(restoring, restoreNextOf, 'Restoring', 'restore/next'),
  'runtime.restoring.restore-error': async () => {
    const emulator = await restoring();
    const outcome = emulator.invoke('{}', { requestId: 'waits' });
    expectRow(await restoreErrorOf(emulator), runtimeRow('Restoring', 'restore/error'));
    expect(emulator.runtimeState).toBe('RuntimeRestoreErrorState');
    expect((await outcome).recordedErrorType).toBe('Runtime.RestoreHookFailed');
  },
  'runtime.restore-error-state.next': refused(restoreError, nextOf, 'RuntimeRestoreErrorState', 'next'),
  'runtime.restore-error-state.init-error': refused(restoreError, initErrorOf, 'RuntimeRestoreErrorState', 'init/error'),

  // --- extensions: register ---
  'extension.register.no-name': async () => {
    const emulator = await sandbox();
    expectRow(await post(emulator, `${EXTENSION}/register`, '{"events":[]}'), extensionRow('extension.register.no-name'));
  },
  'extension.register.bad-json': async () => {
    const emulator = await sandbox();
    const row = extensionRow('extension.register.bad-json');
    expectRow(await post(emulator, `${EXTENSION}/register`, '', { 'Lambda-Extension-Name': 'x' }), row, { jsonError: 'unexpected end of JSON input' });
    expectRow(await post(emulator, `${EXTENSION}/register`, 'events', { 'Lambda-Extension-Name': 'x' }), row, {
      jsonError: "invalid character 'e' looking for beginning of value",
    });
  },
  'extension.register.configuration-keys': async () => {
    const emulator = await sandbox();
    const body = '{"events":[],"configurationKeys":["A"]}';
    expectRow(await post(emulator, `${EXTENSION}/register`, body, { 'Lambda-Extension-Name': 'x' }), extensionRow('extension.register.configuration-keys'));
  },
  'extension.register.internal-shutdown': async () => {
    const emulator = await sandbox();
    const reply = await post(emulator, `${EXTENSION}/register`, '{"events":["SHUTDOWN"]}', { 'Lambda-Extension-Name': 'x' });
    expectRow(reply, extensionRow('extension.register.internal-shutdown'), { event: 'SHUTDOWN' });
    expect(emulator.registeredExtensions).toEqual([]);
  },
  'extension.register.unknown-event': async () => {
    const emulator = await sandbox();
    const reply = await post(emulator, `${EXTENSION}/register`, '{"events":["INVOKE","RESTORE"]}', { 'Lambda-Extension-Name': 'x' });
    expectRow(reply, extensionRow('extension.register.unknown-event'), { event: 'RESTORE' });
  },
  'extension.register.closed': async () => {
    const emulator = await sandbox();
    void nextOf(emulator).catch(() => {});
    await inState(emulator, 'Ready');
    const reply = await post(emulator, `${EXTENSION}/register`, '{"events":[]}', { 'Lambda-Extension-Name': 'late' });
    expectRow(reply, extensionRow('extension.register.closed'));
  },
  'extension.register.duplicate': async () => {
    const emulator = await sandbox();
    await register(emulator, 'twice');
    const reply = await post(emulator, `${EXTENSION}/register`, '{"events":[]}', { 'Lambda-Extension-Name': 'twice' });
    expectRow(reply, extensionRow('extension.register.duplicate'));
    expect(emulator.registeredExtensions).toEqual(['twice']);
  },
  'extension.register.too-many': async () => {
    const emulator = await sandbox();
    for (let i = 0; i < 10; i++) await register(emulator, `ext-${i}`);
    const reply = await post(emulator, `${EXTENSION}/register`, '{"events":[]}', { 'Lambda-Extension-Name': 'eleventh' });
    expectRow(reply, extensionRow('extension.register.too-many'));
  },
  'extension.started.register': async () => {
    const emulator = await sandbox();
    const reply = await post(emulator, `${EXTENSION}/register`, '{"events":[]}', { 'Lambda-Extension-Name': 'mine' });
    expectRow(reply, extensionRow('extension.started.register'), FN);
    expect(reply.headers.get('lambda-extension-identifier')).toMatch(UUID);
    expect(emulator.extensionStates).toEqual([{ name: 'mine', state: 'Registered' }]);
  },
  'extension.started.register-account-id': async () => {
    const emulator = await sandbox({ accountId: '111122223333' });
    const reply = await post(emulator, `${EXTENSION}/register`, '{"events":["INVOKE"]}', {
      'Lambda-Extension-Name': 'mine',
      'Lambda-Extension-Accept-Feature': 'accountId',
    });
    expectRow(reply, extensionRow('extension.started.register-account-id'), { ...FN, accountId: '111122223333' });
  },
  // --- extensions: identifier checks ---
  'extension.any.missing-identifier': async () => {
    const emulator = await sandbox();
    const row = extensionRow('extension.any.missing-identifier');
    expectRow(await get(emulator, `${EXTENSION}/event/next`), row);
    expectRow(await post(emulator, `${EXTENSION}/init/error`, '{}', { 'Lambda-Extension-Function-Error-Type': 'Extension.X' }), row);
    expectRow(await post(emulator, `${EXTENSION}/exit/error`, '{}', { 'Lambda-Extension-Function-Error-Type': 'Extension.X' }), row);
  },
  'extension.any.invalid-identifier': async () => {
    const emulator = await sandbox();
    const row = extensionRow('extension.any.invalid-identifier');
    expectRow(await get(emulator, `${EXTENSION}/event/next`, { 'Lambda-Extension-Identifier': 'not-a-uuid' }), row);
    expectRow(await extError(emulator, 'not-a-uuid', 'init'), row);
  },
  'extension.unknown.event-next': async () => {
    const emulator = await sandbox();
    const id = '0b6cbb44-5c3f-4f9f-a0a4-2f7a3c1d9e10';
    expectRow(await extensionNext(emulator, id), extensionRow('extension.unknown.event-next'), { extensionId: id });
  },
  // --- extensions: event/next ---
  'extension.registered.event-next': async () => {
    const emulator = await sandbox();
    const id = await register(emulator, 'sub', ['INVOKE']);
    const event = extensionNext(emulator, id);
    await extensionInState(emulator, 'Ready');
    const outcome = emulator.invoke('{}', { requestId: 'with-ext', traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' });
    const next = await nextOf(emulator);
    const reply = await event;
    expect(reply.status).toBe(200);
    expect(reply.headers.get('lambda-extension-event-identifier')).toMatch(UUID);
    expect(reply.body).toBe(
      goMarshal({
        eventType: 'INVOKE',
        deadlineMs: Number(next.headers.get('lambda-runtime-deadline-ms')),
        requestId: 'with-ext',
        invokedFunctionArn: next.headers.get('lambda-runtime-invoked-function-arn'),
        tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' },
      }),
    );
    expect(emulator.extensionStates).toEqual([{ name: 'sub', state: 'Running' }]);
    await post(emulator, `${RUNTIME}/invocation/with-ext/response`, '1');
    expect((await outcome).kind).toBe('response');
  },
  'extension.running.event-next': async () => {
    const emulator = await sandbox();
    const id = await register(emulator, 'sub', ['INVOKE']);
    const first = extensionNext(emulator, id);
    await extensionInState(emulator, 'Ready');
    void emulator.invoke('{}', { requestId: 'one' });
    await nextOf(emulator);
    await first;
    await post(emulator, `${RUNTIME}/invocation/one/response`, '1');
    // The next invoke waits for the INVOKE subscriber to be Ready again.
    void emulator.invoke('{}', { requestId: 'two' });
    const next = nextOf(emulator);
    await inState(emulator, 'Ready');
    expect(emulator.runtimeState).toBe('Ready');
    const second = extensionNext(emulator, id);
    const delivered = await next;
    expect(delivered.headers.get('lambda-runtime-aws-request-id')).toBe('two');
    expect((await second).status).toBe(200);
  },
  'extension.ready.event-next': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    void extensionNext(emulator, id).catch(() => {});
    await extensionInState(emulator, 'Ready');
    expectRow(await extensionNext(emulator, id), extensionRow('extension.ready.event-next'), { extensionId: id });
  },
  'extension.init-error.event-next': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    await extError(emulator, id, 'init');
    expectRow(await extensionNext(emulator, id), extensionRow('extension.init-error.event-next'), { extensionId: id });
  },
  'extension.exit-error.event-next': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    await extError(emulator, id, 'exit');
    expectRow(await extensionNext(emulator, id), extensionRow('extension.exit-error.event-next'), { extensionId: id });
  },
  // --- extensions: init/error and exit/error ---
  'extension.any.error-missing-type': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    const row = extensionRow('extension.any.error-missing-type');
    expectRow(await post(emulator, `${EXTENSION}/init/error`, '{}', { 'Lambda-Extension-Identifier': id }), row);
    expectRow(await post(emulator, `${EXTENSION}/exit/error`, '{}', { 'Lambda-Extension-Identifier': id }), row);
  },
  'extension.unknown.error': async () => {
    const emulator = await sandbox();
    const id = '0b6cbb44-5c3f-4f9f-a0a4-2f7a3c1d9e10';
    expectRow(await extError(emulator, id, 'init'), extensionRow('extension.unknown.error'));
    expectRow(await extError(emulator, id, 'exit'), extensionRow('extension.unknown.error'));
  },
  'extension.registered.init-error': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    // The extension failed its init: init never completes, the process exits, the invoke fails with it.
    const outcome = emulator.invoke('{}', { requestId: 'ext-failed' });
    expectRow(await extError(emulator, id, 'init'), extensionRow('extension.registered.init-error'));
    expect(emulator.extensionStates).toEqual([{ name: 'ext', state: 'InitError' }]);
    await emulator.shutdown();
    const result = await outcome;
    expect(result.errorType).toBe('Extension.InitError');
  },
  'extension.init-error.init-error': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    await extError(emulator, id, 'init');
    expectRow(await extError(emulator, id, 'init'), extensionRow('extension.init-error.init-error'));
  },
  'extension.running.init-error': async () => {
    const emulator = await sandbox();
    const id = await register(emulator, 'sub', ['INVOKE']);
    const event = extensionNext(emulator, id);
    await extensionInState(emulator, 'Ready');
    expectRow(await extError(emulator, id, 'init'), extensionStateRow('Ready', 'init/error'), { extensionId: id });
    void emulator.invoke('{}', { requestId: 'one' });
    await nextOf(emulator);
    await event;
    expectRow(await extError(emulator, id, 'init'), extensionRow('extension.running.init-error'), { extensionId: id });
  },
  'extension.running.exit-error': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    expectRow(await extError(emulator, id, 'exit'), extensionRow('extension.running.exit-error'));
    expect(emulator.extensionStates).toEqual([{ name: 'ext', state: 'ExitError' }]);
  },
  'extension.exit-error.exit-error': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    await extError(emulator, id, 'exit');
    expectRow(await extError(emulator, id, 'exit'), extensionRow('extension.exit-error.exit-error'));
  },
  'extension.init-error.exit-error': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    await extError(emulator, id, 'init');
    expectRow(await extError(emulator, id, 'exit'), extensionRow('extension.init-error.exit-error'), { extensionId: id });
  },

  // --- the service around the requests ---
  'service.init-waits-for-extensions': async () => {
    const emulator = await sandbox();
    const id = await register(emulator);
    void emulator.invoke('{"held":true}', { requestId: 'held' });
    const next = nextOf(emulator);
    await inState(emulator, 'Ready');
    // The event is queued and the runtime is asking, but init is not done: an extension is not ready.
    const runtimeNext = emulator.requests.find((r) => r.path === `${RUNTIME}/invocation/next`);
    expect(runtimeNext?.status).toBe(0);
    void extensionNext(emulator, id).catch(() => {});
    const reply = await next;
    expect(reply.headers.get('lambda-runtime-aws-request-id')).toBe('held');
  },
  'service.init-timeout': async () => {
    const emulator = await startStandIn({
      initTimeoutMs: 300,
      timeoutMs: 1_000,
      env: { STANDIN_REGISTER: 'never-ready', STANDIN_EXTENSION_NEXT: 'skip' },
    });
    await emulator.spawn();
    const first = emulator.pid;
    const pending = emulator.invoke('{}', { requestId: 'slow-init' });
    // Init was retried inside the invoke: a second process.
    await waitUntil(() => emulator.pid !== undefined && emulator.pid !== first, 'the retried init');
    const outcome = await pending;
    expect(outcome.kind).toBe('timeout');
    expect(emulator.output).toMatch(/^INIT_REPORT Init Duration: 300\.00 ms\tPhase: init\tStatus: timeout$/m);
    expect(emulator.output).toMatch(/ slow-init Task timed out after 1\.00 seconds$/m);
  },
  'service.invoke-timeout': async () => {
    const emulator = await startStandIn({ timeoutMs: 1_000 });
    const outcome = await emulator.invoke('{"action":"hang"}', { requestId: 'hangs' });
    expect(outcome.kind).toBe('timeout');
    expect(outcome.report).toMatch(/\tStatus: timeout$/);
    expect(emulator.output).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z hangs Task timed out after 1\.00 seconds$/m);
  },
  'service.runtime-exit': async () => {
    const emulator = await startStandIn();
    const outcome = await emulator.invoke('{"action":"exit","code":3}', { requestId: 'exits' });
    expect(outcome.json()).toEqual({ errorType: 'Runtime.ExitError', errorMessage: 'RequestId: exits Error: Runtime exited with error: exit status 3' });
    expect(outcome.report).toMatch(/\tStatus: error\tError Type: Runtime.ExitError$/);
  },
  'service.shutdown': async () => {
    const plain = await sandbox();
    expect(await plain.shutdown()).toEqual({ sigterm: false, exitedWithinMs: undefined, killed: true });
    const withExtension = await startStandIn({ env: { STANDIN_REGISTER: 'graceful', STANDIN_SIGTERM: 'exit' } });
    await withExtension.spawn();
    await withExtension.waitForNext();
    const result = await withExtension.shutdown();
    expect(result.sigterm).toBe(true);
    expect(result.killed).toBe(false);
  },
};

/** The two guard rows by position in RUNTIME_GUARDS, as the table lists them. */
function extensionlessGuard(index: number): Row {
  const guards = allRows().filter((r) => r.id.startsWith('runtime.any.'));
  const row = guards[index];
  if (row === undefined) throw new Error(`no guard row ${index}`);
  return row;
}

describe('emulator/runtime-api/state-table.ts', () => {
  const rows = allRows();

  test('every row has a scenario here, and every scenario a row', () => {
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => !(id in scenarios))).toEqual([]);
    expect(Object.keys(scenarios).filter((id) => !ids.includes(id))).toEqual([]);
  });

  test('emulator/README.md lists every row with its exact body', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const params = { extensionId: '<id>', event: '<event>', jsonError: '<Go json error>', functionName: '<name>', functionVersion: '<version>', handler: '<handler>', accountId: '<account>' };
    for (const row of rows) {
      const line = readme.split('\n').find((l) => l.startsWith(`| \`${row.id}\` |`));
      expect(line, row.id).toBeDefined();
      const body = row.body(params);
      if (body !== '') expect(line).toContain(body.replaceAll('|', '\\|').replaceAll('\n', '\\n'));
    }
  });

  test.each(rows.map((r) => [r.id, r] as const))('%s', async (id) => {
    const scenario = scenarios[id];
    if (scenario === undefined) throw new Error(`no scenario for row ${id}`);
    await scenario();
  });
});
