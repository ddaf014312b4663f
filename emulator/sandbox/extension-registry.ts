// Extensions as the service sees them inside one sandbox: the registry (POST /extension/register),
// each extension's state and its event/next poll (readiness), the INVOKE events sent to
// subscribers, their init/exit errors, and the init gate that needs the runtime and every
// extension ready (core/flow.go). External extensions' processes are launched by
// external-extensions.ts; here they are registered like any other, and may subscribe to SHUTDOWN.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Invocation } from '../invocation.ts';
import { row } from '../runtime-api/runtime-api-server.ts';
import type { Answer, RegisterRequest } from '../runtime-api/runtime-api-server.ts';
import { wake } from './sandbox.ts';
import type { Sandbox } from './sandbox.ts';
import { MAX_EXTENSIONS, extensionRow, extensionStateRow } from '../runtime-api/extension-state-table.ts';
import { goMarshal } from '../runtime-api/rie-bodies.ts';
import type { ExtensionState } from '../runtime-api/state-table.ts';

/** An extension the runtime process (or an external extension's process) registered (core/internalagent.go). */
export interface Extension {
  identifier: string;
  /** An external extension (its own process; may subscribe to SHUTDOWN). */
  external?: boolean;
  /** A SHUTDOWN event waiting for its next event/next. */
  shutdownEvent?: string;
  name: string;
  events: Set<string>;
  state: ExtensionState;
  /** Its open event/next, answered with an event (or undefined when the poll went away). */
  pending: ((answer: Answer | undefined) => void) | undefined;
}

/** What a register answer tells the extension about the function. */
export interface RegisterParams {
  functionName: string;
  functionVersion: string;
  handler: string;
  accountId: string;
}

/** POST /extension/register for an internal extension (handler/agentregister.go registerInternalAgent). */
export function registerExtension(sandbox: Sandbox | undefined, request: RegisterRequest, params: RegisterParams): Answer {
  const external = sandbox?.externals?.has(request.name) === true;
  for (const event of request.events) {
    if (event === 'INVOKE' || (external && event === 'SHUTDOWN')) continue;
    const id = event === 'SHUTDOWN' ? 'extension.register.internal-shutdown' : 'extension.register.unknown-event';
    return row(extensionRow(id), { event });
  }
  if (sandbox === undefined || !sandbox.process.alive || sandbox.registrationClosed) {
    return row(extensionRow('extension.register.closed'));
  }
  if (sandbox.extensions.size >= MAX_EXTENSIONS) return row(extensionRow('extension.register.too-many'));
  if ([...sandbox.extensions.values()].some((e) => e.name === request.name)) return row(extensionRow('extension.register.duplicate'));
  const identifier = randomUUID();
  sandbox.extensions.set(identifier, {
    identifier,
    external,
    name: request.name,
    events: new Set(request.events),
    state: 'Registered',
    pending: undefined,
  });
  const verdict = extensionRow(request.wantsAccountId ? 'extension.started.register-account-id' : 'extension.started.register');
  wake(sandbox);
  return { ...row(verdict, { ...params }), headers: { 'Lambda-Extension-Identifier': identifier } };
}

/** GET /extension/event/next (handler/agentnext.go, core/internalagent_states.go): the extension
 * is ready; resolves with its next event, or undefined when the poll went away. */
export async function extensionNext(sandbox: Sandbox | undefined, identifier: string, signal: AbortSignal): Promise<Answer | undefined> {
  const extension = sandbox?.extensions.get(identifier);
  if (sandbox === undefined || extension === undefined) {
    return row(extensionRow('extension.unknown.event-next'), { extensionId: identifier });
  }
  const verdict = extensionStateRow(extension.state, 'event/next');
  if (verdict.status !== 200) return row(verdict, { extensionId: identifier });
  extension.state = 'Ready';
  if (extension.shutdownEvent !== undefined) {
    const body = extension.shutdownEvent;
    extension.shutdownEvent = undefined;
    return { status: 200, body, headers: { 'Lambda-Extension-Event-Identifier': randomUUID() } };
  }
  const answered = new Promise<Answer | undefined>((resolve) => {
    extension.pending = resolve;
    signal.addEventListener(
      'abort',
      () => {
        if (extension.pending === resolve) extension.pending = undefined;
        resolve(undefined);
      },
      { once: true },
    );
  });
  checkInit(sandbox);
  wake(sandbox);
  return answered;
}

/** POST /extension/init/error and /extension/exit/error (handler/agentiniterror.go, agentexiterror.go). */
export function extensionError(sandbox: Sandbox | undefined, identifier: string, kind: 'init' | 'exit'): Answer {
  const extension = sandbox?.extensions.get(identifier);
  if (sandbox === undefined || extension === undefined) return row(extensionRow('extension.unknown.error'));
  const verdict = extensionStateRow(extension.state, kind === 'init' ? 'init/error' : 'exit/error');
  if (verdict.status === 202) {
    extension.state = kind === 'init' ? 'InitError' : 'ExitError';
    sandbox.firstFatalError ??= kind === 'init' ? 'Extension.InitError' : 'Extension.ExitError';
    wake(sandbox);
  }
  return row(verdict, { extensionId: identifier });
}

/** Init is done when the runtime is ready and every registered extension has walked the init
 * gate (core/flow.go initFlow: runtimeReadyGate + agentReadyGate). Resolves firstNext, releases a
 * SnapStart restore/next, and wakes the waiters. */
export function checkInit(sandbox: Sandbox): void {
  if (sandbox.initDoneAtMs !== undefined || !sandbox.runtimeReady) return;
  for (const extension of sandbox.extensions.values()) {
    if (extension.state !== 'Ready' && extension.state !== 'Running') return;
  }
  sandbox.initDoneAtMs = performance.now();
  sandbox.process.sampleMemory();
  sandbox.firstNext.resolve();
  // SnapStart: the snapshot is "restored" at once, releasing restore/next.
  if (sandbox.runtimeState === 'RestoreReady') {
    sandbox.runtimeState = 'Restoring';
    sandbox.restoreRelease?.();
    sandbox.restoreRelease = undefined;
  }
  wake(sandbox);
}

/** Every external extension still alive has registered (Lambda starts them before the runtime,
 * so the runtime's first /next waits for this). */
export function externalsRegistered(sandbox: Sandbox): boolean {
  const externals = sandbox.externals;
  if (externals === undefined) return true;
  return externals.names.every((name) => !externals.alive(name) || [...sandbox.extensions.values()].some((e) => e.name === name));
}

/** No INVOKE subscriber is still working on the last invoke (core/flow.go invokeFlow). */
export function invokeSubscribersIdle(sandbox: Sandbox): boolean {
  return [...sandbox.extensions.values()].every((e) => !e.events.has('INVOKE') || e.state !== 'Running');
}

/** The INVOKE event for extensions subscribed to it (rendering.go newAgentInvokeEvent). */
export function sendInvokeEvent(sandbox: Sandbox, invocation: Invocation): void {
  for (const extension of sandbox.extensions.values()) {
    if (!extension.events.has('INVOKE') || extension.state !== 'Ready') continue;
    extension.state = 'Running';
    const event: Record<string, unknown> = {
      eventType: 'INVOKE',
      deadlineMs: invocation.deadlineMs,
      requestId: invocation.requestId,
      invokedFunctionArn: invocation.invokedFunctionArn,
    };
    if (invocation.traceId !== undefined) event.tracing = { type: 'X-Amzn-Trace-Id', value: invocation.traceId };
    const pending = extension.pending;
    extension.pending = undefined;
    pending?.({ status: 200, body: goMarshal(event), headers: { 'Lambda-Extension-Event-Identifier': randomUUID() } });
  }
}
