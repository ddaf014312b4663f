// One durable execution as the service drives it: starts it in the checkpoint server, invokes the
// function with the execution's state, and re-invokes it to replay when the function returned
// PENDING and what it waits for has happened (a wait ended, a retry delay passed, a callback
// arrived), until the function returns SUCCEEDED or FAILED or the execution is stopped.
// The order of events follows the testing SDK's TestExecutionOrchestrator (the same checkpoint
// server tells us, through PollCheckpointData, what each checkpoint started); what differs is that
// the function runs in its own process behind the Runtime API, so its payload is the JSON Lambda
// sends (DurableExecutionArn, CheckpointToken, InitialExecutionState) and its answer is the
// SDK's {Status, Result | Error} (durable-invocation.ts).
// Checkpoint tokens (which one a checkpoint must carry): checkpoint-tokens.ts. The execution
// timeout's clock: execution-timeout.ts.
import { randomUUID } from 'node:crypto';
import type { CheckpointWorker, HistoryEvent, InvocationStart, Operation, OperationEvents, OperationUpdate } from './checkpoint-worker.ts';
import type { ChainedInvoker, ChainedOutcome } from './chained-invoke.ts';
import { CheckpointTokens } from './checkpoint-tokens.ts';
import { invocationPayload, parseOutcome } from './durable-invocation.ts';
import { ExecutionTimeout } from './execution-timeout.ts';
import { mergeHistory } from './history-view.ts';
import type { ServiceEvent } from './history-view.ts';
import type { DurableClock } from './time-scale.ts';
import { VirtualClock } from './virtual-clock.ts';

export type ExecutionStatus = 'RUNNING' | 'PAUSING' | 'PAUSED' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';
const ENDED: ReadonlySet<ExecutionStatus> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED']);

/** GetDurableExecution's PauseDetails. */
export interface PauseDetails {
  PauseRequestTimestamp: Date;
  ExecutionTimeoutPaused?: boolean;
  Reason?: string;
}

/** The function's answer to one invocation: the raw body and whether it was a function error. */
export interface InvocationAnswer {
  requestId: string;
  body: Buffer;
  functionError: boolean;
}

/** Invokes the function once with a payload (the local server's emulator). */
export type InvokeFunction = (payload: Buffer, requestId: string) => Promise<InvocationAnswer>;

/** Lambda's ErrorObject. */
export interface ErrorObject {
  ErrorMessage?: string;
  ErrorType?: string;
  ErrorData?: string;
  StackTrace?: string[];
}

export interface ExecutionOptions {
  arn: string;
  name: string;
  functionArn: string;
  input: string;
  worker: CheckpointWorker;
  invoke: InvokeFunction;
  clock: DurableClock;
  /** One line per replay and per outcome (the tool prints them). */
  log: (line: string) => void;
  /** The function's DurableConfig.ExecutionTimeout, in seconds (1…31622400); none when undefined. */
  executionTimeout?: number;
  /** Runs the chained invokes (context.invoke) the workflow asks for. */
  chainedInvoke?: ChainedInvoker;
}

// A function error (the runtime's own error, not the SDK's FAILED) ends an invocation, not the
// execution: the service invokes again. After this many in a row the execution fails.
const MAX_INVOCATION_ERRORS = 3;

export class DurableExecution {
  readonly arn: string;
  readonly name: string;
  readonly functionArn: string;
  readonly input: string;
  readonly startTimestamp = new Date();
  endTimestamp: Date | undefined;
  status: ExecutionStatus = 'RUNNING';
  result: string | undefined;
  error: ErrorObject | undefined;

  private readonly worker: CheckpointWorker;
  private readonly invoke: InvokeFunction;
  private readonly log: (line: string) => void;
  private readonly operations = new Map<string, OperationEvents>();
  private readonly invocationEvents: HistoryEvent[] = [];
  /** Waits, retry delays and timeouts, on the execution's own clock (virtual-clock.ts). */
  readonly clock: VirtualClock;
  /** The function's ExecutionTimeout on that clock; expiring ends the execution TIMED_OUT. */
  private readonly timeout: ExecutionTimeout;
  private readonly chainedInvoke: ChainedInvoker | undefined;
  /** Set once the service has begun ending the execution (a timeout): nothing else may complete. */
  private ending = false;
  /** Events the service records itself (ExecutionPaused, ExecutionResumed). */
  private readonly serviceEvents: ServiceEvent[] = [];
  /** What each chained invoke was asked (the ChainedInvokeStarted event's details). */
  private readonly chainedInvokes = new Map<string, { FunctionName: string; Payload?: string; DurableExecutionArn?: string }>();
  private executionOperationId = '';
  private readonly tokens = new CheckpointTokens();
  private invoking = false;
  /** Why a replay was asked for while an invocation was in flight (it runs once that one ends). */
  private replayWanted: string | undefined;
  private invocationErrors = 0;
  private replays = 0;
  private readonly settled: Promise<void>;
  private settle: () => void = () => {};

  constructor(options: ExecutionOptions) {
    this.arn = options.arn;
    this.name = options.name;
    this.functionArn = options.functionArn;
    this.input = options.input;
    this.worker = options.worker;
    this.invoke = options.invoke;
    this.clock = new VirtualClock(options.clock);
    this.timeout = new ExecutionTimeout(this.clock, options.executionTimeout, () => void this.timeOut());
    this.chainedInvoke = options.chainedInvoke;
    this.log = options.log;
    this.settled = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  /** Resolves when the execution has ended (any terminal status). */
  get done(): Promise<void> {
    return this.settled;
  }

  get terminal(): boolean {
    return ENDED.has(this.status);
  }

  /** Set while the execution is paused (PauseDurableExecution) or pausing. */
  pauseDetails: PauseDetails | undefined;
  /** Why a replay is due once the execution is resumed. */
  private replayOnResume: string | undefined;

  /**
   * PauseDurableExecution: no invocation starts until resume(); waits and callbacks still
   * complete. With an invocation in flight the status is PAUSING until it ends, then PAUSED
   * (Lambda: until its next checkpoint). Throws when the execution has ended.
   */
  pause(details: Omit<PauseDetails, 'PauseRequestTimestamp'>): void {
    if (this.terminal) throw new Error(`the durable execution has already ended (${this.status}): ${this.arn}`);
    if (this.pauseDetails !== undefined) return;
    this.pauseDetails = { PauseRequestTimestamp: new Date(), ExecutionTimeoutPaused: details.ExecutionTimeoutPaused ?? false, ...(details.Reason === undefined ? {} : { Reason: details.Reason }) };
    this.status = this.invoking ? 'PAUSING' : 'PAUSED';
    this.log(`durable: ${this.name}: ${this.status}`);
    if (this.status === 'PAUSED') this.paused();
  }

  /** The pause takes effect: the ExecutionPaused event (its timestamp is when the execution
   * paused), and the execution timeout stops when the pause asked for it. */
  private paused(): void {
    const details = this.pauseDetails;
    if (details === undefined) return;
    this.serviceEvent('ExecutionPaused', 'ExecutionPausedDetails', {
      PauseRequestTimestamp: details.PauseRequestTimestamp,
      ExecutionTimeoutPaused: details.ExecutionTimeoutPaused ?? false,
      ...(details.Reason === undefined ? {} : { Reason: { Payload: details.Reason } }),
    });
    if (details.ExecutionTimeoutPaused === true) this.timeout.pause();
  }

  /** ResumeDurableExecution: invokes the function when something completed meanwhile. Throws
   * unless the execution is paused or pausing. */
  resume(reason?: string): void {
    if (this.pauseDetails === undefined) throw new Error(`the durable execution is not paused (${this.status}): ${this.arn}`);
    // Resuming while PAUSING cancels the pause: it never took effect, so neither event is recorded.
    if (this.status === 'PAUSED') {
      this.serviceEvent('ExecutionResumed', 'ExecutionResumedDetails', {
        ResumeRequestTimestamp: new Date(),
        ...(reason === undefined ? {} : { Reason: { Payload: reason } }),
      });
    }
    this.pauseDetails = undefined;
    this.status = 'RUNNING';
    this.timeout.resume();
    this.log(`durable: ${this.name}: resumed`);
    const due = this.replayOnResume;
    this.replayOnResume = undefined;
    if (due !== undefined) this.replay(due);
  }

  /** Starts the execution and its first invocation (not awaited: `done` tells when it ends). */
  async start(): Promise<void> {
    // The checkpoint server's callback and heartbeat timeouts run on this execution's clock
    // (worker-timers.ts): not skippable, scaled like waits.
    this.worker.timers.registerClock(this.arn, this.clock);
    const invocationId = randomUUID();
    const first = await this.worker.call<InvocationStart>('StartDurableExecution', {
      executionId: this.arn,
      invocationId,
      payload: this.input,
    });
    this.record(first.operationEvents);
    this.executionOperationId = first.operationEvents[0]?.operation.Id ?? '';
    this.timeout.start();
    void this.pollUpdates();
    void this.runInvocation(first);
  }

  /** True when `token` is the one the next checkpoint must carry. */
  isLiveToken(token: string): boolean {
    return !this.terminal && this.tokens.isLive(token);
  }

  /** True when `token` was handed out for this execution (GetDurableExecutionState's check). */
  isIssuedToken(token: string): boolean {
    return this.tokens.isIssued(token);
  }

  /** Records the token a checkpoint answer carries: the only one the next checkpoint may use. */
  advanceToken(token: string): void {
    this.tokens.advance(token);
  }

  /** The operation `id` as last seen, or undefined. */
  operation(id: string): Operation | undefined {
    return this.operations.get(id)?.operation;
  }

  /** Every history event so far, in the order they happened, numbered 1…n (history-view.ts). */
  history(): HistoryEvent[] {
    return mergeHistory(this.workerEvents(), this.serviceEvents, { executionTimeout: this.timeout.seconds, chainedInvokes: this.chainedInvokes });
  }

  /** The checkpoint server's events, by its EventId. */
  private workerEvents(): HistoryEvent[] {
    const events = [...this.invocationEvents];
    for (const { events: forOperation } of this.operations.values()) events.push(...forOperation);
    return events.sort((a, b) => (a.EventId ?? 0) - (b.EventId ?? 0));
  }

  /** Records an event of the service's own, after every checkpoint-server event seen so far. */
  private serviceEvent(type: string, detailPlace: string, details: Record<string, unknown>): void {
    const after = this.workerEvents().at(-1)?.EventId ?? 0;
    this.serviceEvents.push({ after, event: { EventType: type, EventId: 0, Id: this.executionOperationId, EventTimestamp: new Date(), [detailPlace]: details } });
  }

  /** The execution ran past its ExecutionTimeout: it ends TIMED_OUT (ExecutionTimedOut event). An
   * invocation in flight is left to end on its own; its token is dead from now on. */
  private async timeOut(): Promise<void> {
    if (this.terminal || this.ending) return;
    this.ending = true;
    this.log(`durable: ${this.name}: the execution ran past its ExecutionTimeout of ${this.timeout.seconds ?? '?'} s`);
    await this.endExecution('TIMED_OUT', undefined, undefined);
    this.finish('TIMED_OUT', undefined, undefined);
  }

  /** StopDurableExecution: ends the execution as STOPPED with `error`. Throws if it has ended. */
  async stop(error: ErrorObject | undefined): Promise<Date> {
    if (this.terminal) throw new Error(`execution ${this.arn} has already ended (${this.status})`);
    await this.endExecution('STOPPED', undefined, error);
    this.finish('STOPPED', undefined, error);
    return this.endTimestamp ?? new Date();
  }

  /** Records the execution's end in the checkpoint server (its terminal history event), and keeps
   * the answer at once: the poll loop stops at the end and may not see it. */
  private async endExecution(status: ExecutionStatus, result: string | undefined, error: ErrorObject | undefined): Promise<void> {
    const ended = await this.worker.call<OperationEvents>('UpdateCheckpointData', {
      executionId: this.arn,
      operationId: this.executionOperationId,
      operationData: { Status: status },
      payload: result,
      error,
    });
    this.record([ended]);
  }

  private record(operations: OperationEvents[]): void {
    for (const entry of operations) this.operations.set(entry.operation.Id, { operation: entry.operation, events: entry.events });
    for (const waiter of [...this.waiters]) {
      if (waiter.done()) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private readonly waiters = new Set<{ done: () => boolean; resolve: () => void }>();

  /** Resolves once operation `id` has left STARTED in what this execution has recorded (the
   * checkpoint server tells it through the poll, a moment after an API call changed it), so an
   * answer to SendDurableExecutionCallback* is followed by a history that shows it. */
  operationSettled(id: string): Promise<void> {
    const done = (): boolean => this.terminal || (this.operations.get(id)?.operation.Status ?? 'STARTED') !== 'STARTED';
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add({ done, resolve }));
  }

  /** Follows what checkpoints (and the service's own transitions) do, and schedules replays. */
  private async pollUpdates(): Promise<void> {
    while (!this.terminal) {
      let updates: Array<OperationEvents & { update?: OperationUpdate }>;
      try {
        ({ operations: updates } = await this.worker.call<{ operations: Array<OperationEvents & { update?: OperationUpdate }> }>('PollCheckpointData', {
          executionId: this.arn,
        }));
      } catch (error) {
        if (!this.terminal) this.log(`durable: ${this.name}: the checkpoint server failed: ${(error as Error).message}`);
        return;
      }
      this.record(updates);
      for (const { operation, update } of updates) {
        if (this.terminal) return;
        if (operation.Type === 'WAIT' && update?.Action === 'START') {
          this.after(operation.WaitDetails?.ScheduledEndTimestamp, true, async () => {
            this.record([await this.worker.call<OperationEvents>('UpdateCheckpointData', { executionId: this.arn, operationId: operation.Id, operationData: { Status: 'SUCCEEDED' } })]);
            this.replay(`wait ${label(operation.Name, operation.Id)} ended`);
          });
        } else if (operation.Type === 'STEP' && update?.Action === 'RETRY') {
          this.after(operation.StepDetails?.NextAttemptTimestamp, true, async () => {
            this.record([await this.worker.call<OperationEvents>('UpdateCheckpointData', { executionId: this.arn, operationId: operation.Id, operationData: { Status: 'READY' } })]);
            this.replay(`retry of step ${label(operation.Name, operation.Id)} is due`);
          });
        } else if (operation.Type === 'CHAINED_INVOKE' && update?.Action === 'START') {
          void this.startChainedInvoke(operation, update);
        } else if (operation.Type === 'CALLBACK' && update?.Action === 'START') {
          // Whoever answers needs the id: SendDurableExecutionCallbackSuccess/Failure/Heartbeat.
          this.log(`durable: ${this.name}: callback ${label(operation.Name, operation.Id)} waits; its CallbackId is ${operation.CallbackDetails?.CallbackId ?? '?'}`);
        } else if (operation.Type === 'CALLBACK' && update === undefined && operation.Status !== 'STARTED') {
          this.replay(`callback ${label(operation.Name, operation.Id)} ${operation.Status.toLowerCase()}`);
        } else if (operation.Type === 'EXECUTION' && update !== undefined && (update.Action === 'SUCCEED' || update.Action === 'FAIL')) {
          // The SDK's path for a result too large for the invocation response: the execution
          // ends through a checkpoint.
          this.finish(update.Action === 'SUCCEED' ? 'SUCCEEDED' : 'FAILED', update.Payload, update.Error as ErrorObject | undefined);
        }
      }
    }
  }

  /** An invocation in flight or not; the execution's clock skips only while none is (virtual-clock.ts). */
  private setInvoking(invoking: boolean): void {
    this.invoking = invoking;
    this.clock.setBusy(invoking);
  }

  /** Runs `run` when the service timestamp `due` comes, on the execution's clock (skippable: a wait or retry delay). */
  private after(due: Date | undefined, skippable: boolean, run: () => Promise<void>): void {
    this.clock.after(this.clock.untilServiceTime(due), skippable, () => {
      if (this.terminal || this.ending) return;
      run().catch((error: unknown) => this.log(`durable: ${this.name}: ${(error as Error).message}`));
    });
  }

  /** CHAINED_INVOKE START: runs the invoke (chained-invoke.ts), then completes the operation with
   * its outcome and replays. */
  private async startChainedInvoke(operation: Operation, update: OperationUpdate): Promise<void> {
    const options = (update.ChainedInvokeOptions ?? {}) as { FunctionName?: unknown };
    const functionName = typeof options.FunctionName === 'string' ? options.FunctionName : '';
    const payload = typeof update.Payload === 'string' ? update.Payload : undefined;
    const asked: { FunctionName: string; Payload?: string; DurableExecutionArn?: string } = { FunctionName: functionName, ...(payload === undefined ? {} : { Payload: payload }) };
    this.chainedInvokes.set(operation.Id, asked);
    let outcome: ChainedOutcome;
    try {
      if (this.chainedInvoke === undefined) throw new Error('chained invokes are not served here');
      const run = await this.chainedInvoke({ callerArn: this.arn, operationId: operation.Id, functionName, payload });
      if (run.durableExecutionArn !== undefined) asked.DurableExecutionArn = run.durableExecutionArn;
      this.log(`durable: ${this.name}: chained invoke ${label(operation.Name, operation.Id)} of ${functionName}${run.durableExecutionArn === undefined ? '' : ` runs as ${run.durableExecutionArn}`}`);
      outcome = await run.done;
    } catch (error) {
      outcome = { status: 'FAILED', error: { ErrorType: 'ServiceException', ErrorMessage: `the local service could not run the chained invoke of ${functionName}: ${(error as Error).message}` } };
    }
    if (this.terminal) return;
    this.record([
      await this.worker.call<OperationEvents>('UpdateCheckpointData', {
        executionId: this.arn,
        operationId: operation.Id,
        operationData: { Status: outcome.status, ChainedInvokeDetails: outcome.status === 'SUCCEEDED' ? { Result: outcome.result } : { Error: outcome.error ?? { ErrorMessage: `the invoked execution ended ${outcome.status}` } } },
      }),
    ]);
    this.replay(`chained invoke ${label(operation.Name, operation.Id)} ${outcome.status.toLowerCase()}`);
  }

  /** Asks for a replay: now, or once the invocation in flight has ended. */
  private replay(reason: string): void {
    if (this.terminal) return;
    if (this.pauseDetails !== undefined && !this.invoking) {
      this.replayOnResume ??= reason;
      return;
    }
    if (this.invoking) {
      this.replayWanted ??= reason;
      return;
    }
    this.log(`durable: ${this.name}: replay (${reason})`);
    void this.nextInvocation();
  }

  private async nextInvocation(): Promise<void> {
    if (this.terminal || this.invoking) return;
    this.setInvoking(true);
    let start: InvocationStart;
    try {
      start = await this.worker.call<InvocationStart>('StartInvocation', { executionId: this.arn, invocationId: randomUUID() });
    } catch (error) {
      this.setInvoking(false);
      this.log(`durable: ${this.name}: could not start an invocation: ${(error as Error).message}`);
      return;
    }
    await this.runInvocation(start);
  }

  private async runInvocation(start: InvocationStart): Promise<void> {
    this.setInvoking(true);
    this.replayWanted = undefined;
    this.replays++;
    this.advanceToken(start.checkpointToken);
    const payload = invocationPayload(this.arn, start);
    let answer: InvocationAnswer;
    try {
      answer = await this.invoke(payload, start.invocationId);
    } catch (error) {
      answer = { requestId: start.invocationId, functionError: true, body: Buffer.from(JSON.stringify({ errorType: 'Runtime.Unknown', errorMessage: (error as Error).message })) };
    }
    // Whatever the invocation did, its token dies with it.
    this.tokens.revoke();
    const outcome = parseOutcome(answer);
    const completed = await this.worker.call<{ event: HistoryEvent; hasDirtyOperations: boolean }>('CompleteInvocation', {
      executionId: this.arn,
      invocationId: start.invocationId,
      error: outcome.status === 'ERROR' ? outcome.error : undefined,
    });
    this.invocationEvents.push(completed.event);
    this.setInvoking(false);
    if (this.status === 'PAUSING') {
      this.status = 'PAUSED';
      this.paused();
    }
    this.log(`durable: ${this.name}: invocation ${this.replays} (${answer.requestId}) returned ${outcome.status}; operations: ${this.summary()}`);
    if (this.terminal) return;
    if (outcome.status === 'SUCCEEDED' || outcome.status === 'FAILED') {
      await this.endExecution(outcome.status, outcome.result, outcome.error);
      this.finish(outcome.status, outcome.result, outcome.error);
      return;
    }
    if (outcome.status === 'ERROR') {
      this.invocationErrors++;
      if (this.invocationErrors >= MAX_INVOCATION_ERRORS) {
        const error: ErrorObject = outcome.error ?? { ErrorType: 'Runtime.Unknown', ErrorMessage: 'the function failed' };
        await this.endExecution('FAILED', undefined, error);
        this.finish('FAILED', undefined, error);
        return;
      }
      this.replay(`the invocation failed: ${outcome.error?.ErrorType ?? 'error'}; retrying`);
      return;
    }
    this.invocationErrors = 0;
    if (this.replayWanted !== undefined || completed.hasDirtyOperations) this.replay(this.replayWanted ?? 'state changed during the invocation');
  }

  private finish(status: ExecutionStatus, result: string | undefined, error: ErrorObject | undefined): void {
    if (this.terminal) return;
    this.status = status;
    this.pauseDetails = undefined;
    this.result = result;
    this.error = error;
    this.endTimestamp = new Date();
    this.tokens.revoke();
    this.clock.clear();
    this.worker.timers.forget(this.arn);
    this.timeout.forget();
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
    // The result and the error's message are the workflow's data: only the status and the error's type are logged.
    this.log(`durable: ${this.name}: ${status}${error?.ErrorType === undefined ? '' : ` (${error.ErrorType})`}`);
    this.settle();
  }

  private summary(): string {
    const parts: string[] = [];
    for (const { operation } of this.operations.values()) {
      if (operation.Type === 'EXECUTION') continue;
      parts.push(`${operation.Type} ${label(operation.Name, operation.Id)} ${operation.Status}`);
    }
    return parts.length === 0 ? 'none' : parts.join(', ');
  }
}

function label(name: string | undefined, id: string): string {
  return name === undefined ? id.slice(0, 8) : `"${name}"`;
}
