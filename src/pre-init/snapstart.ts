// Lambda SnapStart from the runtime's side. When AWS_LAMBDA_INITIALIZATION_TYPE is `snap-start`,
// init ends differently: the runtime runs the function's before-snapshot hooks, then calls
// GET /runtime/restore/next, which the service answers only in a sandbox restored from the snapshot
// (possibly much later, in many sandboxes at once); there the runtime renews its random state, runs
// the after-restore hooks, and only then asks for /next. A failing before-snapshot hook is an init
// error (Runtime.BeforeSnapshotError); a failing after-restore hook is posted to
// /runtime/restore/error (Runtime.AfterRestoreError) and the sandbox is given up.
// Sources: AWS's Python runtime client (awslambdaric: restore_next, report_restore_error,
// FaultException.BEFORE_SNAPSHOT_ERROR / AFTER_RESTORE_ERROR; hooks run before-snapshot in reverse
// registration order, after-restore in registration order, as snapshot-restore-py documents) and
// the Runtime Interface Emulator's rapi/handler/restorenext.go, restoreerror.go.
// One-off requests at init, so plain node:http rather than the invoke loop's transport; loaded when
// SnapStart needs it, since node:http costs every other cold start ~5 ms of module evaluation.
import { LambdaError, errorTypeHeader, toErrorBody } from '../errors.ts';
import { logRuntimeError } from '../logging.ts';
import { restoreUniqueness } from './restore-uniqueness.ts';

export const SNAP_START = 'snap-start';
export const BEFORE_SNAPSHOT_ERROR = 'Runtime.BeforeSnapshotError';
export const AFTER_RESTORE_ERROR = 'Runtime.AfterRestoreError';
const RESTORE_NEXT = '/2018-06-01/runtime/restore/next';
const RESTORE_ERROR = '/2018-06-01/runtime/restore/error';

export type RuntimeHook = () => unknown;

const beforeSnapshotHooks: RuntimeHook[] = [];
const afterRestoreHooks: RuntimeHook[] = [];

function checked(hook: unknown, what: string): RuntimeHook {
  if (typeof hook !== 'function') {
    throw new TypeError(`awslambda.${what} expects a function (it may return a promise), got ${hook === null ? 'null' : typeof hook}`);
  }
  return hook as RuntimeHook;
}

/**
 * `awslambda.registerBeforeSnapshot(fn)`: `fn()` (sync or async) runs once init is done and before
 * Lambda takes the snapshot; hooks run in reverse order of registration. Returns `fn`. Throws a
 * TypeError for a non-function. Named like the Python (register_before_snapshot) and .NET
 * (RegisterBeforeSnapshot) SnapStart hooks. Registered hooks never run outside SnapStart.
 */
export function registerBeforeSnapshot<T extends RuntimeHook>(hook: T): T {
  beforeSnapshotHooks.push(checked(hook, 'registerBeforeSnapshot'));
  return hook;
}

/**
 * `awslambda.registerAfterRestore(fn)`: `fn()` (sync or async) runs in each sandbox restored from
 * the snapshot, before its first invocation, after Math.random and crypto.randomUUID have been
 * renewed; hooks run in order of registration. Returns `fn`. Throws a TypeError for a non-function.
 */
export function registerAfterRestore<T extends RuntimeHook>(hook: T): T {
  afterRestoreHooks.push(checked(hook, 'registerAfterRestore'));
  return hook;
}

export type SnapStartOutcome =
  /** Restored, hooks done: go on to /next. */
  | { kind: 'restored' }
  /** A before-snapshot hook failed: report it as the init error. */
  | { kind: 'init-error'; error: LambdaError }
  /** Something after the snapshot failed; it has been reported and logged: exit. */
  | { kind: 'fatal'; message: string };

async function runHooks(hooks: readonly RuntimeHook[]): Promise<unknown> {
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      return error ?? new Error(String(error));
    }
  }
  return undefined;
}

function asLambdaError(type: string, error: unknown): LambdaError {
  const body = toErrorBody(error);
  const wrapped = new LambdaError(type, `${body.errorType}: ${body.errorMessage}`, { cause: error });
  if (body.trace.length > 0) wrapped.stack = body.trace.join('\n');
  return wrapped;
}

function request(runtimeApi: string, method: 'GET' | 'POST', path: string, body?: string, headers?: Record<string, string>): Promise<{ status: number; body: string } | Error> {
  return new Promise((resolve) => {
    const req = process.getBuiltinModule('node:http').request(`http://${runtimeApi}${path}`, { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', resolve);
    });
    req.on('error', resolve);
    req.end(body);
  });
}

/** Call at the end of init, only when AWS_LAMBDA_INITIALIZATION_TYPE is `snap-start`. */
export async function snapshotAndRestore(runtimeApi: string): Promise<SnapStartOutcome> {
  const beforeFailure = await runHooks([...beforeSnapshotHooks].reverse());
  if (beforeFailure !== undefined) return { kind: 'init-error', error: asLambdaError(BEFORE_SNAPSHOT_ERROR, beforeFailure) };

  // Blocks until this process runs again in a restored sandbox.
  const restored = await request(runtimeApi, 'GET', RESTORE_NEXT);
  if (restored instanceof Error || restored.status !== 200) {
    const why = restored instanceof Error ? restored.message : `HTTP ${restored.status} ${restored.body}`;
    return { kind: 'fatal', message: `GET ${RESTORE_NEXT} failed (${why})` };
  }
  restoreUniqueness();

  const afterFailure = await runHooks(afterRestoreHooks);
  if (afterFailure === undefined) return { kind: 'restored' };
  const error = asLambdaError(AFTER_RESTORE_ERROR, afterFailure);
  logRuntimeError('Restore Error', error);
  const body = toErrorBody(error);
  const posted = await request(runtimeApi, 'POST', RESTORE_ERROR, JSON.stringify(body), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': errorTypeHeader(body),
  });
  const note = posted instanceof Error || posted.status !== 202 ? ` (the Runtime API did not accept it: ${posted instanceof Error ? posted.message : `HTTP ${posted.status}`})` : '';
  return { kind: 'fatal', message: `An after-restore hook failed${note}` };
}
