// Delivery of an invocation to a runtime: GET /next through the runtime's state machine (RIE
// core/states.go *.Ready), the waits before an event goes out (init done, every INVOKE subscriber
// ready again), taking the next invocation from the queue with its deadline and timeout, and
// offering it again when its delivery failed on the wire. Part of the Emulator (emulator.ts); the
// timeout and settling are open-invocations.ts.
import { performance } from 'node:perf_hooks';
import type { InvocationQueue } from './invocation-queue.ts';
import type { Invocation } from './invocation.ts';
import type { OpenInvocations } from './open-invocations.ts';
import { row } from './runtime-api/runtime-api-server.ts';
import type { NextResult } from './runtime-api/runtime-api-server.ts';
import { runtimeRow } from './runtime-api/state-table.ts';
import type { RuntimeState } from './runtime-api/state-table.ts';
import { checkInit, externalsRegistered, invokeSubscribersIdle, sendInvokeEvent } from './sandbox/extension-registry.ts';
import type { FunctionOutput } from './sandbox/function-output.ts';
import { until } from './sandbox/sandbox.ts';
import type { Sandbox } from './sandbox/sandbox.ts';

/** What of the service delivery uses; the Emulator owns all of it. */
export interface DeliveryDeps {
  /** The function timeout, in ms. */
  readonly timeoutMs: number;
  readonly queue: InvocationQueue;
  readonly invocations: OpenInvocations;
  readonly functionOutput: FunctionOutput;
  /** Things the runtime did that Lambda would hold against it (the Emulator's protocolViolations). */
  readonly protocolViolations: string[];
  /** The current sandbox. */
  sandbox(): Sandbox | undefined;
}

export class Delivery {
  private readonly deps: DeliveryDeps;

  constructor(deps: DeliveryDeps) {
    this.deps = deps;
  }

  /** GET /next through the runtime state machine (core/states.go *.Ready). */
  async runtimeNext(signal: AbortSignal): Promise<NextResult> {
    const sandbox = this.deps.sandbox();
    if (sandbox === undefined) return { kind: 'aborted' };
    // States from which /next is refused (the switch below handles the others).
    const waiting: RuntimeState[] = ['Started', 'Ready', 'Running', 'Restoring', 'RuntimeResponseSentState'];
    if (!waiting.includes(sandbox.runtimeState)) return { kind: 'answer', answer: row(runtimeRow(sandbox.runtimeState, 'next')) };
    if (!sandbox.process.alive) return { kind: 'aborted' };
    sandbox.process.sampleMemory();
    // The runtime asking for work ends the previous invocation's output.
    for (const resolve of sandbox.afterResult.splice(0)) resolve();
    const sequential = this.deps.queue.capacity === 1;
    if (sandbox.runtimeState === 'Started' && sandbox.externals !== undefined) {
      // Registration closes at the runtime's first /next; Lambda has every external extension
      // registered by then (it starts them before the runtime), so that /next waits for them.
      if (!(await until(sandbox, () => externalsRegistered(sandbox), signal))) return { kind: 'aborted' };
      if (sandbox.runtimeState !== 'Started') return { kind: 'answer', answer: row(runtimeRow(sandbox.runtimeState, 'next')) };
    }
    switch (sandbox.runtimeState) {
      case 'Started':
        sandbox.runtimeState = 'Ready';
        sandbox.registrationClosed = true;
        sandbox.runtimeReady = true;
        checkInit(sandbox);
        break;
      case 'Restoring':
      case 'RuntimeResponseSentState':
        sandbox.runtimeState = 'Ready';
        break;
      case 'Ready':
        // Another poller while one waits (Managed Instances: one per allowed concurrent invoke).
        break;
      case 'Running': {
        const current = sandbox.current;
        if (sequential && current !== undefined && current.state === 'in-flight') {
          // RuntimeRunningState.Ready returns nil: the same event again, at once.
          this.deps.protocolViolations.push(
            `RequestId: ${current.requestId} Error: the runtime asked for the next invocation without posting a result for this one; the service delivers the same event again`,
          );
          return { kind: 'event', invocation: current };
        }
        if (sequential) sandbox.runtimeState = 'Ready';
        break;
      }
      default:
        return { kind: 'answer', answer: row(runtimeRow(sandbox.runtimeState, 'next')) };
    }
    if (!(await until(sandbox, () => sandbox.initDoneAtMs !== undefined, signal))) return { kind: 'aborted' };
    // An invoke ends only when every INVOKE subscriber is ready again (core/flow.go invokeFlow).
    if (!(await until(sandbox, () => invokeSubscribersIdle(sandbox), signal))) return { kind: 'aborted' };
    const invocation = await this.nextInvocation(signal);
    if (invocation === undefined) return { kind: 'aborted' };
    if (this.deps.sandbox() === sandbox) {
      sandbox.runtimeState = 'Running';
      sandbox.current = invocation;
      sendInvokeEvent(sandbox, invocation);
    }
    return { kind: 'event', invocation };
  }

  /** The delivery of `invocation` failed on the wire: it goes back to the front of the queue. */
  redeliver(invocation: Invocation): void {
    this.deps.invocations.undelivered(invocation);
    invocation.deliveredAtMs = undefined;
    invocation.deadlineMs = undefined;
    const sandbox = this.deps.sandbox();
    if (sandbox?.current === invocation && sandbox.runtimeState === 'Running') sandbox.runtimeState = 'Ready';
    this.deps.queue.putBack(invocation);
  }

  /** The next queued invocation (undefined: the poll was aborted), delivered now: its deadline
   * (epoch ms) set and its timeout started, its init duration if it is the first after init. */
  private async nextInvocation(signal: AbortSignal): Promise<Invocation | undefined> {
    const invocation = await this.deps.queue.poll(signal);
    if (invocation === undefined) return undefined;
    invocation.deliveredAtMs = performance.now();
    invocation.deadlineMs = invocation.options.deadlineMs ?? Date.now() + this.deps.timeoutMs;
    const current = this.deps.sandbox();
    if (current !== undefined && !current.initReported && current.initDoneAtMs !== undefined) {
      current.initReported = true;
      invocation.initDurationMs = current.initDoneAtMs - current.process.spawnedAtMs;
    }
    this.deps.invocations.delivered(invocation, current, Math.max(0, invocation.deadlineMs - Date.now()));
    this.deps.functionOutput.begin(invocation.requestId);
    return invocation;
  }
}
