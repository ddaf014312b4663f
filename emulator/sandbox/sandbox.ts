// The sandbox: one runtime process and what the service knows about it, and the parts of its
// lifecycle that are the service's own rules rather than the Runtime API's: its start state, the
// init time limit (then a reset), the reset of a process that reported an init error, memory
// enforcement, and the shutdown sequence (rapid/shutdown.go). The Emulator decides when each runs;
// the Runtime API's requests move the sandbox through its states (emulator/runtime-api/state-table.ts).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Extension } from './extension-registry.ts';
import type { ExternalExtensions } from './external-extensions.ts';
import { shutdownWithExternals } from './external-extensions.ts';
import type { FunctionProcess } from './function-process.ts';
import type { Invocation, Settlement } from '../invocation.ts';
import type { PauseClock } from '../pause-clock.ts';
import { cancelLimit } from '../pause-clock.ts';
import { goMarshal } from '../runtime-api/rie-bodies.ts';
import type { RuntimeState } from '../runtime-api/state-table.ts';

/** One runtime process and what the service knows about it. */
export interface Sandbox {
  process: FunctionProcess;
  /** The runtime state machine (emulator/runtime-api/state-table.ts). */
  runtimeState: RuntimeState;
  /** The invocation the runtime was last handed: the only id a result post may name (capacity 1). */
  current: Invocation | undefined;
  /** Closed when the runtime first asks for work (rapid/handlers.go doRuntimeDomainInit TurnOff). */
  registrationClosed: boolean;
  runtimeReady: boolean;
  /** performance.now() when init ended: the runtime and every extension were ready. */
  initDoneAtMs: number | undefined;
  initReported: boolean;
  initError: Settlement | undefined;
  initErrorAtMs: number | undefined;
  initErrorDelivered: boolean;
  /** Init ran past the init timeout; the sandbox is being reset for a retry inside the invoke. */
  initTimedOut: boolean;
  /** This process is the retry of a timed-out init ("suppressed init"): it runs under the invoke's timeout. */
  retryOfTimedOutInit: boolean;
  /** The first fatal error (appctx.StoreFirstFatalError): what an invoke fails with when the process dies. */
  firstFatalError: string | undefined;
  outOfMemory: boolean;
  extensions: Map<string, Extension>;
  /** The external extensions' processes, started with this runtime process. */
  externals?: ExternalExtensions;
  /** The shutdown sequence is running: the externals are ended by it, not by the runtime's exit. */
  shuttingDown?: boolean;
  /** Wakes whoever waits for an init or extension state change. */
  changed: Set<() => void>;
  /** Under a debugger: the clock its time limits run on (emulator/pause-clock.ts). */
  pauses?: PauseClock;
  restoreRelease: (() => void) | undefined;
  firstNext: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
  /** Resolvers of outcomes' logsComplete: called when the runtime next asks for work, or dies. */
  afterResult: (() => void)[];
  /** The in-flight invocations it was handed. */
  serving: Set<Invocation>;
  /** Resolves when everything its death settles has been settled. */
  buried: Promise<void>;
}

export interface ShutdownResult {
  sigterm: boolean;
  exitedWithinMs: number | undefined;
  killed: boolean;
}

const SHUTDOWN_GRACE_MS = 500;
const INIT_ERROR_EXIT_GRACE_MS = 500;
// Lambda allows 10 s of init, then retries init inside the invoke, under the function timeout.
const DEFAULT_INIT_TIMEOUT_MS = 10_000;

/** A sandbox for a just-spawned process, in state Started, and the call that resolves its
 * `buried` (once its death has settled everything it owed). */
export function newSandbox(child: FunctionProcess, retryOfTimedOutInit: boolean): { sandbox: Sandbox; markBuried: () => void } {
  let resolveFirst = (): void => {};
  let rejectFirst = (_error: Error): void => {};
  const firstNextPromise = new Promise<void>((resolve, reject) => {
    resolveFirst = resolve;
    rejectFirst = reject;
  });
  firstNextPromise.catch(() => {}); // only a caller of waitForNext() cares
  let markBuried = (): void => {};
  const sandbox: Sandbox = {
    process: child,
    runtimeState: 'Started',
    current: undefined,
    registrationClosed: false,
    runtimeReady: false,
    initDoneAtMs: undefined,
    initReported: false,
    initError: undefined,
    initErrorAtMs: undefined,
    initErrorDelivered: false,
    initTimedOut: false,
    retryOfTimedOutInit,
    firstFatalError: undefined,
    outOfMemory: false,
    extensions: new Map(),
    changed: new Set(),
    restoreRelease: undefined,
    firstNext: { promise: firstNextPromise, resolve: resolveFirst, reject: rejectFirst },
    afterResult: [],
    serving: new Set(),
    buried: new Promise<void>((resolve) => {
      markBuried = resolve;
    }),
  };
  return { sandbox, markBuried };
}

/** Memory enforcement: kills the process with SIGKILL once a sample of its resident memory
 * exceeds memorySizeMb (MiB), marking the sandbox outOfMemory (reported as Runtime.OutOfMemory). */
export function enforceMemoryLimit(sandbox: Sandbox, memorySizeMb: number): void {
  const child = sandbox.process;
  const limitKb = memorySizeMb * 1024;
  child.onSample((rssKb) => {
    if (rssKb <= limitKb || sandbox.outOfMemory) return;
    sandbox.outOfMemory = true;
    child.kill('SIGKILL');
  });
}

/** How long init may run, in ms: the init timeout (Lambda: 10 s), or for a retry inside the invoke
 * the function timeout. */
export function initLimitMs(options: { initTimeoutMs?: number }, timeoutMs: number, retryOfTimedOutInit: boolean): number {
  return retryOfTimedOutInit ? timeoutMs : (options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS);
}

/** The init timeout: after `limitMs` (of time not held by a debugger, when the sandbox has a
 * PauseClock), if init is not done and the sandbox is still the current one, calls `onTimeout`
 * and kills the process (its death then settles or retries what waits). */
export function guardInit(sandbox: Sandbox, limitMs: number, isCurrent: () => boolean, onTimeout: () => void): void {
  const child = sandbox.process;
  const expire = (): void => {
    if (sandbox.initDoneAtMs !== undefined || !isCurrent() || !child.alive) return;
    onTimeout();
    child.kill('SIGKILL');
  };
  const initGuard = sandbox.pauses === undefined ? setTimeout(expire, limitMs).unref() : sandbox.pauses.timeout(limitMs, expire, true);
  void child.exited.then(() => cancelLimit(initGuard));
}

/** Records the init error the runtime reported; no events go to a process that failed its init,
 * and Lambda resets it (SIGKILL after INIT_ERROR_EXIT_GRACE_MS) if it does not exit itself.
 * `hold` stops deliveries. */
export function holdAfterInitError(sandbox: Sandbox, settlement: Settlement, hold: () => void): void {
  sandbox.initError = settlement;
  sandbox.initErrorAtMs = performance.now();
  hold();
  const reset = setTimeout(() => sandbox.process.kill('SIGKILL'), INIT_ERROR_EXIT_GRACE_MS);
  reset.unref();
  void sandbox.process.exited.then(() => clearTimeout(reset));
}

/** Ends a live sandbox's process the way Lambda does (rapid/shutdown.go): with external extensions,
 * their shutdown sequence (external-extensions.ts); SIGKILL straight away when no extension is
 * registered; otherwise SIGTERM, then SIGKILL after SHUTDOWN_GRACE_MS. Resolves once buried. */
export async function shutdownSandbox(sandbox: Sandbox): Promise<ShutdownResult> {
  const proc = sandbox.process;
  if (sandbox.externals !== undefined) return shutdownWithExternals(sandbox, goMarshal);
  if (sandbox.extensions.size === 0) {
    proc.kill('SIGKILL');
    await sandbox.buried;
    return { sigterm: false, exitedWithinMs: undefined, killed: true };
  }
  const sentAt = performance.now();
  proc.kill('SIGTERM');
  const exitedInTime = await Promise.race([proc.exited.then(() => true), sleep(SHUTDOWN_GRACE_MS).then(() => false)]);
  if (exitedInTime || !proc.alive) {
    await sandbox.buried;
    return { sigterm: true, exitedWithinMs: (proc.exitedAtMs ?? performance.now()) - sentAt, killed: false };
  }
  proc.kill('SIGKILL');
  await sandbox.buried;
  return { sigterm: true, exitedWithinMs: undefined, killed: true };
}

/** Wakes every waiter on the sandbox's init or extension state. */
export function wake(sandbox: Sandbox): void {
  for (const waiter of [...sandbox.changed]) waiter();
}

/** Resolves true once `ready()` holds, false if `signal` aborts or the sandbox dies first. */
export function until(sandbox: Sandbox, ready: () => boolean, signal: AbortSignal): Promise<boolean> {
  if (ready()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const check = (): void => {
      if (signal.aborted || !sandbox.process.alive) return finish(false);
      if (ready()) finish(true);
    };
    const onAbort = (): void => finish(false);
    const finish = (value: boolean): void => {
      sandbox.changed.delete(check);
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    };
    sandbox.changed.add(check);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
