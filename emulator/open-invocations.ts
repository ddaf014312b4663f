// The invocations the service owes an outcome, and how each one settles, exactly once: the result
// gate that lets a runtime's result post in (or answers it with an error), the state changes while
// a result arrives, the function timeout, and settling itself (the outcome with its REPORT figures
// and the invocation's log window). Part of the Emulator (emulator.ts); what each way of ending
// records is outcomes.ts, Managed Instances' own gate managed-instances.ts.
import { performance } from 'node:perf_hooks';
import type { InvocationQueue } from './invocation-queue.ts';
import type { Invocation, ProcessExit, Settlement } from './invocation.ts';
import { SETTLED_ID_HISTORY } from './limits.ts';
import { INVALID_REQUEST, TimedOutAttempts, echoMatches, managedInstancesGate } from './managed-instances.ts';
import { allowedMs, exitedSettlement, outcomeOf, refusedResultSettlement, timedOutLine, timeoutSettlement } from './outcomes.ts';
import { cancelLimit } from './pause-clock.ts';
import type { PausableTimeout } from './pause-clock.ts';
import { row } from './runtime-api/runtime-api-server.ts';
import type { ResultGate } from './runtime-api/runtime-api-server.ts';
import { RUNTIME_GUARDS, runtimeRow } from './runtime-api/state-table.ts';
import type { FunctionConfig } from './runtime-environment.ts';
import type { FunctionOutput } from './sandbox/function-output.ts';
import type { OutputTap } from './sandbox/output-tap.ts';
import type { Sandbox } from './sandbox/sandbox.ts';

/** What of the service the open invocations use; the Emulator owns all of it. */
export interface OpenInvocationsDeps {
  readonly config: FunctionConfig;
  /** The function timeout, in ms. */
  readonly timeoutMs: number;
  readonly queue: InvocationQueue;
  readonly tap: OutputTap;
  readonly functionOutput: FunctionOutput;
  /** Things the runtime did that Lambda would hold against it (the Emulator's protocolViolations). */
  readonly protocolViolations: string[];
  /** The current (or last) sandbox. */
  sandbox(): Sandbox | undefined;
}

export class OpenInvocations {
  /** Invocations not settled yet, by request id. */
  readonly open = new Map<string, Invocation>();
  /** Request ids settled lately (the newest SETTLED_ID_HISTORY, emulator/limits.ts). */
  readonly settledIds = new Set<string>();
  /** The function timeout's timer of each delivered invocation (on the sandbox's PauseClock under
   * a debugger: emulator/pause-clock.ts). */
  readonly timers = new Map<Invocation, NodeJS.Timeout | PausableTimeout>();
  private readonly servedBy = new WeakMap<Invocation, Sandbox>();
  /** Managed Instances: attempts that timed out, whose late result gets 410 InvokeTimeout. */
  private readonly timedOut = new TimedOutAttempts();
  private readonly deps: OpenInvocationsDeps;

  constructor(deps: OpenInvocationsDeps) {
    this.deps = deps;
  }

  /** `invocation` was delivered to `sandbox`: its timeout fires after `delayMs` ms (under a
   * debugger: ms of the time the runtime is not held paused). */
  delivered(invocation: Invocation, sandbox: Sandbox | undefined, delayMs: number): void {
    if (sandbox !== undefined) {
      this.servedBy.set(invocation, sandbox);
      sandbox.serving.add(invocation);
    }
    const pauses = sandbox?.pauses;
    if (pauses === undefined) {
      this.timers.set(invocation, setTimeout(() => this.onTimeout(invocation), delayMs));
      return;
    }
    // A runtime asking for work no longer waits for a debugger to attach (--inspect-brk).
    pauses.set('waiting', false);
    this.timers.set(invocation, pauses.timeout(delayMs, () => this.onTimeout(invocation)));
  }

  /** The delivery of `invocation` failed on the wire: no timer, no sandbox serves it. */
  undelivered(invocation: Invocation): void {
    this.clearTimer(invocation);
    this.servedBy.get(invocation)?.serving.delete(invocation);
  }

  /** The request-id guard (middleware.AwsRequestIDValidator), then the state machine. */
  resultGate(requestId: string | undefined, route: 'response' | 'error', echoed: string | undefined): ResultGate {
    const invalid: ResultGate = { kind: 'answer', answer: row(RUNTIME_GUARDS[0]!) };
    const sandbox = this.deps.sandbox();
    if (this.deps.queue.capacity === 1) {
      const current = sandbox?.current;
      if (sandbox === undefined || current === undefined || requestId !== current.requestId) return invalid;
      if (!echoMatches(current, echoed)) return { kind: 'answer', answer: INVALID_REQUEST };
      if (sandbox.runtimeState !== 'Running' || current.state !== 'in-flight') {
        const state = sandbox.runtimeState === 'Running' ? 'RuntimeResponseSentState' : sandbox.runtimeState;
        return { kind: 'answer', answer: row(runtimeRow(state, route)) };
      }
      return { kind: 'open', invocation: current };
    }
    // Managed Instances: one machine per in-flight invocation (emulator/managed-instances.ts).
    const running = requestId === undefined ? undefined : this.open.get(requestId);
    return managedInstancesGate(running, requestId, echoed, this.timedOut);
  }

  /** A (streamed) result body started arriving: InvocationResponse until it ends. */
  resultStarted(invocation: Invocation): void {
    invocation.resultInProgress = true;
    const sandbox = this.deps.sandbox();
    // Managed Instances: invocations are independent, and other pollers may ask for the next
    // one while this response is still streaming in; only a one-at-a-time runtime is blocked.
    if (this.deps.queue.capacity > 1) return;
    if (sandbox?.current === invocation && sandbox.runtimeState === 'Running') sandbox.runtimeState = 'InvocationResponse';
  }

  /** The runtime went away mid-body: the invocation is Running again. */
  resultAbandoned(invocation: Invocation): void {
    invocation.resultInProgress = false;
    const sandbox = this.deps.sandbox();
    if (sandbox?.current === invocation && sandbox.runtimeState === 'InvocationResponse') sandbox.runtimeState = 'Running';
  }

  /** The result post completed: the invocation settles with it. */
  resultPosted(invocation: Invocation, settlement: Settlement): void {
    invocation.resultInProgress = false;
    const sandbox = this.deps.sandbox();
    if (sandbox?.current === invocation && sandbox.runtimeState === 'InvocationResponse') sandbox.runtimeState = 'Running';
    this.settle(invocation, settlement);
  }

  /** A streamed response in a mode Lambda refuses: settled, and the runtime left in InvocationResponse. */
  badResponseMode(invocation: Invocation, settlement: Settlement): void {
    this.settle(invocation, settlement);
    const sandbox = this.deps.sandbox();
    if (sandbox?.current === invocation) sandbox.runtimeState = 'InvocationResponse';
  }

  /** A planted 4xx on a result post stands for the service refusing that result: the invocation is
   * closed with what the service would have recorded (413: Function.ResponseSizeTooLarge; else no
   * result at all, reported as Runtime.NoResult). */
  faultAnswered(requestId: string | undefined, status: number): void {
    const invocation = requestId === undefined ? undefined : this.open.get(requestId);
    if (invocation === undefined || invocation.state !== 'in-flight') return;
    const { settlement, violation } = refusedResultSettlement(invocation, status);
    if (violation !== undefined) this.deps.protocolViolations.push(violation);
    this.settle(invocation, settlement);
  }

  settleExited(invocation: Invocation, exit: ProcessExit | undefined, sandbox?: Sandbox): void {
    this.settle(invocation, exitedSettlement(invocation, exit, sandbox));
  }

  settleTimeout(invocation: Invocation, exit: ProcessExit | undefined): void {
    const allowed = allowedMs(invocation, this.deps.timeoutMs);
    // One moment for both: the log line and the caller's error message read the same.
    const at = new Date();
    this.deps.tap.platformLine(timedOutLine(invocation, allowed, at), invocation.requestId);
    this.settle(invocation, timeoutSettlement(invocation, allowed, exit, at));
  }

  /** Ends `invocation` with `settlement` (once; later calls do nothing): its outcome resolves, with
   * the REPORT figures, and its log window closes when the runtime next asks for work or exits. */
  settle(invocation: Invocation, settlement: Settlement): void {
    if (invocation.state === 'settled') return;
    this.clearTimer(invocation);
    this.deps.queue.release(invocation);
    this.open.delete(invocation.requestId);
    this.settledIds.add(invocation.requestId);
    if (this.settledIds.size > SETTLED_ID_HISTORY) this.settledIds.delete(this.settledIds.values().next().value as string);
    const sandbox = this.servedBy.get(invocation) ?? this.deps.sandbox();
    sandbox?.serving.delete(invocation);
    sandbox?.process.sampleMemory();
    if (sandbox !== undefined && sandbox.current === invocation && sandbox.runtimeState === 'Running') {
      sandbox.runtimeState = 'RuntimeResponseSentState';
    }
    const durationMs = invocation.deliveredAtMs === undefined ? 0 : performance.now() - invocation.deliveredAtMs;
    let initDurationMs = invocation.initDurationMs;
    if (settlement.kind === 'init-error' && sandbox?.initErrorAtMs !== undefined && sandbox.initError !== undefined) {
      initDurationMs = sandbox.initErrorAtMs - sandbox.process.spawnedAtMs;
    }
    const memorySizeMb = this.deps.config.memorySizeMb;
    const outOfMemory = settlement.errorType === 'Runtime.OutOfMemory';
    const maxMemoryUsedMb = outOfMemory ? memorySizeMb : sandbox?.process.maxMemoryUsedMb;
    // The invocation's output is complete once the runtime asks for more work or exits
    // (Lambda attributes everything up to then to this invocation).
    const requestId = invocation.requestId;
    const { functionOutput, tap } = this.deps;
    functionOutput.answered(requestId);
    const logsComplete = (
      sandbox !== undefined && sandbox.process.alive
        ? new Promise<void>((resolve) => sandbox.afterResult.push(() => void tap.quiet().then(resolve)))
        : tap.quiet()
    ).then(() => functionOutput.end(requestId));
    invocation.resolve(outcomeOf(invocation, settlement, { durationMs, initDurationMs, memorySizeMb, maxMemoryUsedMb, logsComplete }));
  }

  private clearTimer(invocation: Invocation): void {
    cancelLimit(this.timers.get(invocation));
    this.timers.delete(invocation);
  }

  private onTimeout(invocation: Invocation): void {
    if (invocation.state === 'settled') return;
    invocation.timedOut = true;
    const sandbox = this.servedBy.get(invocation);
    // Managed Instances: the sandbox serves on; the late answer gets 410 (emulator/managed-instances.ts).
    if (this.deps.queue.capacity > 1 && sandbox?.process.alive === true) {
      this.timedOut.register(invocation.requestId, invocation.invocationId);
      this.settleTimeout(invocation, undefined);
      return;
    }
    // Lambda stops the whole sandbox on a timeout; its death settles this invocation as 'timeout'.
    if (sandbox?.process.alive === true) sandbox.process.kill('SIGKILL');
    else this.settleTimeout(invocation, undefined);
  }
}
