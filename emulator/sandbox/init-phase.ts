// The init phase's own Runtime API requests: POST /runtime/init/error, and SnapStart's
// GET /runtime/restore/next and POST /runtime/restore/error. A failed init or restore holds the
// sandbox (no events) until the process exits or is reset (emulator/sandbox/sandbox.ts); the first invoke
// then gets the error. The runtime's /next, which ends init, is in the Emulator.
import { checkInit } from './extension-registry.ts';
import type { Settlement } from '../invocation.ts';
import { row } from '../runtime-api/runtime-api-server.ts';
import type { Answer } from '../runtime-api/runtime-api-server.ts';
import { holdAfterInitError } from './sandbox.ts';
import type { Sandbox } from './sandbox.ts';
import { runtimeRow } from '../runtime-api/state-table.ts';

/** POST /runtime/init/error (handler/initerror.go). `hold` stops deliveries. */
export function initError(sandbox: Sandbox | undefined, settlement: Settlement, hold: () => void): Answer {
  if (sandbox === undefined || !sandbox.process.alive) return row(runtimeRow('InitError', 'init/error'));
  if (sandbox.runtimeState === 'Restoring') return restoreFailed(sandbox, settlement, 'init/error', hold);
  const verdict = runtimeRow(sandbox.runtimeState, 'init/error');
  if (verdict.status !== 202) return row(verdict);
  sandbox.runtimeState = 'InitError';
  holdAfterInitError(sandbox, { ...settlement, kind: 'init-error' }, hold);
  return row(verdict);
}

/** GET /runtime/restore/next (handler/restorenext.go): answered once init is done (the snapshot
 * is "restored" at once); undefined when the poll went away or there is no live process. */
export async function restoreNext(sandbox: Sandbox | undefined, signal: AbortSignal): Promise<Answer | undefined> {
  if (sandbox === undefined || !sandbox.process.alive) return undefined;
  if (sandbox.runtimeState !== 'Started') return row(runtimeRow(sandbox.runtimeState, 'restore/next'));
  sandbox.runtimeState = 'RestoreReady';
  sandbox.registrationClosed = true;
  sandbox.runtimeReady = true;
  const released = new Promise<boolean>((resolve) => {
    sandbox.restoreRelease = () => resolve(true);
    signal.addEventListener('abort', () => resolve(false), { once: true });
  });
  checkInit(sandbox);
  if (!(await released)) return undefined;
  return { status: 200, body: '' };
}

/** POST /runtime/restore/error (handler/restoreerror.go). `hold` stops deliveries. */
export function restoreError(sandbox: Sandbox | undefined, settlement: Settlement, hold: () => void): Answer {
  if (sandbox === undefined || !sandbox.process.alive) return row(runtimeRow('Started', 'restore/error'));
  if (sandbox.runtimeState !== 'Restoring') return row(runtimeRow(sandbox.runtimeState, 'restore/error'));
  return restoreFailed(sandbox, settlement, 'restore/error', hold);
}

function restoreFailed(sandbox: Sandbox, settlement: Settlement, request: 'init/error' | 'restore/error', hold: () => void): Answer {
  const verdict = runtimeRow('Restoring', request);
  sandbox.runtimeState = 'RuntimeRestoreErrorState';
  holdAfterInitError(sandbox, { ...settlement, kind: 'init-error' }, hold);
  return row(verdict);
}

/** The error a runtime reported in an init/error settlement: errorType from its header or body,
 * errorMessage from the body (Lambda's error JSON), '' where the body holds none. */
export function reportedError(settlement: Settlement): { errorType: string; errorMessage: string } {
  let body: unknown;
  try {
    body = JSON.parse(settlement.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  const field = (name: string): string | undefined => {
    const value = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  };
  return { errorType: settlement.errorType ?? field('errorType') ?? 'Runtime.Unknown', errorMessage: field('errorMessage') ?? '' };
}
