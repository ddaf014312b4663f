// The Emulator: a local stand-in for the Lambda service. It serves the Runtime API, spawns the
// runtime process (again after it dies), hands it invocations, and turns what happens into one
// InvocationOutcome per invoke, with Lambda's REPORT line. This class ties the service's parts
// together and owns the invocations (queue, delivery on /next, the result gate, timeouts,
// settling); each part is its own file: the sandbox's lifecycle (sandbox.ts), extensions
// (extension-registry.ts, external-extensions.ts), the init phase's requests (init-phase.ts), how an
// invocation ends (outcomes.ts), the runtime's output (output-tap.ts, function-output.ts), Managed
// Instances (managed-instances.ts), and the options (emulator-options.ts).
import { performance } from 'node:perf_hooks';
import type { EmulatorOptions } from './emulator-options.ts';
import { validateOptions } from './emulator-options.ts';
import { checkInit, extensionError, extensionNext, externalsRegistered, invokeSubscribersIdle, registerExtension, sendInvokeEvent } from './extension-registry.ts';
import { DebuggerObserver } from './debugger-observer.ts';
import { ExternalExtensions } from './external-extensions.ts';
import type { Fault, FaultRoute } from './faults.ts';
import { FunctionOutput } from './function-output.ts';
import type { OutputRetention } from './function-output.ts';
import { FunctionProcess } from './function-process.ts';
import { Invocation } from './invocation.ts';
import type { InvocationOutcome, InvokeOptions, ProcessExit, Settlement } from './invocation.ts';
import { InvocationQueue } from './invocation-queue.ts';
import { initError, restoreError, restoreNext } from './init-phase.ts';
import { INVALID_REQUEST, TimedOutAttempts, echoMatches, managedInstancesGate } from './managed-instances.ts';
import { REQUEST_HISTORY_BYTES, REQUEST_HISTORY_COUNT, REQUEST_HISTORY_MIN, SETTLED_ID_HISTORY, VIOLATION_HISTORY, keepNewest } from './limits.ts';
import { allowedMs, exitedSettlement, outcomeOf, refusedResultSettlement, stoppedSettlement, timedOutLine, timeoutSettlement } from './outcomes.ts';
import { OutputTap } from './output-tap.ts';
import { PauseClock, cancelLimit } from './pause-clock.ts';
import type { PausableTimeout } from './pause-clock.ts';
import { RuntimeApiServer, row } from './runtime-api-server.ts';
import type { NextResult, RecordedRequest, ResultGate, RuntimeApiBackend } from './runtime-api-server.ts';
import { REGION, defaultFunctionArn, runtimeEnvironment } from './runtime-environment.ts';
import type { FunctionConfig } from './runtime-environment.ts';
import { enforceMemoryLimit, guardInit, initLimitMs, newSandbox, shutdownSandbox, until, wake } from './sandbox.ts';
import type { Sandbox, ShutdownResult } from './sandbox.ts';
import { describeExit } from './service-errors.ts';
import { RUNTIME_GUARDS, runtimeRow } from './state-table.ts';
import type { ExtensionState, RuntimeState } from './state-table.ts';

// Public types that callers import from here (emulator/index.ts).
export type { EmulatorOptions } from './emulator-options.ts';
export type { ShutdownResult } from './sandbox.ts';

/** What the emulator holds of past invocations (all of it bounded: emulator/limits.ts). */
export interface Retention extends OutputRetention {
  /** Runtime API requests in `requests`, and the body bytes they hold (request and answer). */
  requests: number;
  requestBytes: number;
  /** Invocations not settled yet, and settled ids remembered. */
  openInvocations: number;
  settledIds: number;
  timers: number;
  protocolViolations: number;
}

export class Emulator {
  readonly requests: RecordedRequest[];
  /** Things the runtime did that Lambda would hold against it (e.g. /next without a result). */
  readonly protocolViolations: string[] = [];
  private readonly options: EmulatorOptions;
  private readonly config: FunctionConfig;
  private readonly timeoutMs: number;
  private readonly server: RuntimeApiServer;
  private readonly queue: InvocationQueue;
  private readonly open = new Map<string, Invocation>();
  private readonly settledIds = new Set<string>();
  private readonly servedBy = new WeakMap<Invocation, Sandbox>();
  private readonly timers = new Map<Invocation, NodeJS.Timeout | PausableTimeout>();
  /** Managed Instances: attempts that timed out, whose late result gets 410 InvokeTimeout. */
  private readonly timedOut = new TimedOutAttempts();
  private sandbox: Sandbox | undefined;
  private spawning: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly functionOutput: FunctionOutput;
  private readonly tap: OutputTap;

  static async start(options: EmulatorOptions): Promise<Emulator> {
    validateOptions(options);
    const emulator = new Emulator(options);
    await emulator.server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return emulator;
  }

  private constructor(options: EmulatorOptions) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.config = {
      handler: options.handler,
      taskRoot: options.taskRoot,
      functionName: options.functionName ?? 'test-function',
      functionVersion: options.functionVersion ?? '$LATEST',
      memorySizeMb: options.memorySizeMb ?? 128,
      maxConcurrency: options.maxConcurrency,
      snapStart: options.snapStart === true,
      env: options.env ?? {},
    };
    this.functionOutput = new FunctionOutput(options.outputHistoryChars);
    this.tap = new OutputTap(this.functionOutput, options.echoOutput);
    this.queue = new InvocationQueue(options.maxConcurrency ?? 1);
    this.server = new RuntimeApiServer(this.backend(), options.invocationIds ?? true);
    this.requests = this.server.requests;
  }

  /** `host:port` of the Runtime API: the runtime's AWS_LAMBDA_RUNTIME_API. */
  get runtimeApi(): string {
    return this.server.address;
  }

  /** The runtime's stdout so far: its last OUTPUT_HISTORY_CHARS (emulator/limits.ts) at least. */
  get stdout(): string {
    return this.functionOutput.stdout;
  }

  get stderr(): string {
    return this.functionOutput.stderr;
  }

  /** Both pipes and the service's own lines (INIT_REPORT, Task timed out), in arrival order, bounded like stdout. */
  get output(): string {
    return this.functionOutput.output;
  }

  /** The log lines of one invocation only (emulator/function-output.ts): complete once its
   * outcome's logsComplete resolved, kept for the last INVOCATION_LOG_HISTORY invocations, at least
   * the last INVOCATION_LOG_BYTES of them. undefined for an unknown or forgotten invocation. */
  invocationLog(requestId: string): string | undefined {
    return this.functionOutput.logOf(requestId);
  }

  /** What is held of past invocations right now: each figure stays bounded however many ran. */
  get retention(): Retention {
    let requestBytes = 0;
    for (const r of this.requests) requestBytes += r.body.length + r.responseBody.length;
    return {
      ...this.functionOutput.retention(),
      requests: this.requests.length,
      requestBytes,
      openInvocations: this.open.size,
      settledIds: this.settledIds.size,
      timers: this.timers.size,
      protocolViolations: this.protocolViolations.length,
    };
  }

  /** The live runtime process's pid. */
  get pid(): number | undefined {
    return this.sandbox?.process.alive === true ? this.sandbox.process.pid : undefined;
  }

  /** Extension names the current (or last) runtime process registered. */
  get registeredExtensions(): string[] {
    return [...(this.sandbox?.extensions.values() ?? [])].map((extension) => extension.name);
  }

  /** The runtime's state in the service's state machine (emulator/state-table.ts). */
  get runtimeState(): RuntimeState | undefined {
    return this.sandbox?.runtimeState;
  }

  /** Each registered extension's name and state. */
  get extensionStates(): { name: string; state: ExtensionState }[] {
    return [...(this.sandbox?.extensions.values() ?? [])].map((e) => ({ name: e.name, state: e.state }));
  }

  /** Spawns the runtime now (invoke() does it lazily). Fails if one is already running. */
  async spawn(): Promise<void> {
    if (this.stopping !== undefined) throw new Error('Emulator.spawn: the emulator has been stopped');
    if (this.spawning !== undefined) return this.spawning;
    if (this.sandbox?.process.alive === true) {
      throw new Error(`Emulator.spawn: a runtime process is already running (pid ${this.sandbox.process.pid}); call shutdown() first`);
    }
    this.spawning = this.startProcess(false).finally(() => {
      this.spawning = undefined;
    });
    return this.spawning;
  }

  /** Resolves when the current process's init is done (its first /next, and every extension it
   * registered called event/next); rejects if it dies first. */
  waitForNext(): Promise<void> {
    if (this.spawning !== undefined) return this.spawning.then(() => this.waitForNext());
    if (this.sandbox === undefined) return Promise.reject(new Error('Emulator.waitForNext: no runtime process; call spawn() or invoke() first'));
    return this.sandbox.firstNext.promise;
  }

  async invoke(payload: string | Buffer, options: InvokeOptions = {}): Promise<InvocationOutcome> {
    if (this.stopping !== undefined) throw new Error('Emulator.invoke: the emulator has been stopped');
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const invocation = new Invocation(body, options, defaultFunctionArn(this.config.functionName, this.region, this.accountId));
    if (this.open.has(invocation.requestId)) {
      throw new Error(`Emulator.invoke: request id '${invocation.requestId}' is already in use by an unfinished invocation`);
    }
    this.open.set(invocation.requestId, invocation);

    // The first invoke after a process reported an init error gets that error (as Lambda answers it).
    const last = this.sandbox;
    if (last !== undefined && !last.process.alive && last.initError !== undefined && !last.initErrorDelivered) {
      last.initErrorDelivered = true;
      this.settle(invocation, { ...last.initError, exit: last.process.exitStatus });
      return invocation.outcome;
    }

    this.queue.enqueue(invocation);
    if (this.sandbox?.process.alive !== true) {
      try {
        await (this.spawning ?? this.spawn());
      } catch (error) {
        this.queue.remove(invocation);
        this.open.delete(invocation.requestId);
        throw error;
      }
    }
    return invocation.outcome;
  }

  injectFault(route: FaultRoute, fault: Fault, times = 1): void {
    this.server.faults.add(route, fault, times);
  }

  /** The current (or last) process's exit, once its output has been read. */
  processExit(): Promise<ProcessExit> {
    if (this.sandbox === undefined) return Promise.reject(new Error('Emulator.processExit: no runtime process has been spawned'));
    return this.sandbox.process.exited;
  }

  /** Replaces the function's own variables for the runtimes this emulator starts from now on (a
   * running one keeps its environment, as a Lambda sandbox does): `watch` re-reads --env-file. */
  setFunctionEnvironment(env: Record<string, string | undefined>): void {
    this.config.env = env;
  }

  /** Ends the runtime process the way Lambda does (rapid/shutdown.go): SIGKILL straight away when
   * no extension is registered; otherwise SIGTERM, then SIGKILL after 500 ms. Internal extensions
   * cannot subscribe to SHUTDOWN, so their open event/next is never answered. */
  async shutdown(): Promise<ShutdownResult> {
    if (this.spawning !== undefined) await this.spawning.catch(() => {});
    const sandbox = this.sandbox;
    if (sandbox === undefined || !sandbox.process.alive) return { sigterm: false, exitedWithinMs: undefined, killed: false };
    return shutdownSandbox(sandbox);
  }

  /** Kills the process (if any) and closes the server. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    await this.spawning?.catch(() => {});
    const sandbox = this.sandbox;
    if (sandbox !== undefined) {
      sandbox.process.kill('SIGKILL');
      sandbox.externals?.kill('SIGKILL');
      await sandbox.buried;
    }
    for (const invocation of this.queue.takeWaiting()) {
      this.settle(invocation, stoppedSettlement(invocation));
    }
    await this.server.close();
  }

  private get region(): string {
    return this.config.env.AWS_REGION ?? REGION;
  }

  private get accountId(): string {
    return this.options.accountId ?? '123456789012';
  }

  private async startProcess(retryOfTimedOutInit: boolean): Promise<void> {
    const api = this.runtimeApi;
    this.functionOutput.processStarted();
    // Under a debugger (emulator/debugger-observer.ts) the limits run on a clock that stops while
    // the runtime is held; its stderr names the inspector to observe.
    const pauses = this.options.debugging === undefined ? undefined : new PauseClock(this.options.debugging.waitsForDebugger === true);
    const observer = pauses === undefined ? undefined : new DebuggerObserver(pauses, (line) => this.tap.platformLine(line));
    const child = await FunctionProcess.spawn({
      command: this.options.command,
      args: this.options.args ?? [],
      cwd: this.config.taskRoot,
      env: runtimeEnvironment(this.config, api),
      onStdout: (text) => this.tap.capture(text, 'stdout'),
      onStderr:
        observer === undefined
          ? (text) => this.tap.capture(text, 'stderr')
          : (text) => {
              observer.feed(text);
              this.tap.capture(text, 'stderr');
            },
    });
    const { sandbox, markBuried } = newSandbox(child, retryOfTimedOutInit);
    if (pauses !== undefined) sandbox.pauses = pauses;
    if (observer !== undefined) void child.exited.then(() => observer.close());
    this.sandbox = sandbox;
    this.queue.hold(false);
    child.onExit((exit) => {
      if (!sandbox.outOfMemory && this.options.killedAtMemoryLimit?.(exit) === true) sandbox.outOfMemory = true;
      void this.bury(sandbox, exit).then(markBuried);
    });
    if (this.options.enforceMemory === true) enforceMemoryLimit(sandbox, this.config.memorySizeMb);
    // Init has a limit of its own (Lambda: 10 s). A retry inside the invoke runs under the
    // function timeout instead, and what still waits then times out.
    const limitMs = initLimitMs(this.options, this.timeoutMs, retryOfTimedOutInit);
    guardInit(
      sandbox,
      limitMs,
      () => this.sandbox === sandbox,
      () => {
        if (retryOfTimedOutInit) {
          for (const invocation of this.queue.waitingInvocations()) invocation.timedOut = true;
        } else {
          sandbox.initTimedOut = true;
          this.tap.platformLine(`INIT_REPORT Init Duration: ${limitMs.toFixed(2)} ms\tPhase: init\tStatus: timeout`);
        }
      },
    );
    const externalSpecs = this.options.externalExtensions ?? [];
    if (externalSpecs.length > 0) {
      // Lambda starts them with the runtime (here after its exit is watched, so that a runtime
      // dying meanwhile is buried); the runtime's first /next waits for their registration. Their
      // names are known before any starts, so each registers as external.
      const externals = new ExternalExtensions(externalSpecs);
      sandbox.externals = externals;
      try {
        await externals.start(runtimeEnvironment(this.config, api), this.config.taskRoot, (text, stream) => this.tap.capture(text, stream), () => wake(sandbox));
      } catch (error) {
        child.kill('SIGKILL');
        throw error;
      }
    }
  }

  /** The process died: everything it owed an answer settles (as 'timeout', 'init-error' or 'exited'). */
  private async bury(sandbox: Sandbox, exit: ProcessExit): Promise<void> {
    if (sandbox.initDoneAtMs === undefined) {
      const reason = sandbox.initError !== undefined ? 'after reporting an init error' : `(${describeExit(exit)})`;
      sandbox.firstNext.reject(new Error(`the runtime process ${sandbox.process.pid} exited ${reason} before asking for its first invocation`));
    }
    // In the shutdown sequence the external extensions outlive the runtime: their polls stay open
    // for the SHUTDOWN event (external-extensions.ts).
    for (const extension of sandbox.extensions.values()) if (sandbox.shuttingDown !== true || extension.external !== true) extension.pending?.(undefined);
    if (sandbox.shuttingDown !== true) sandbox.externals?.kill('SIGKILL');
    wake(sandbox);
    // Detach at once so that an invoke arriving while the output drains gets a fresh process.
    const victims = [...sandbox.serving];
    for (const invocation of victims) this.queue.release(invocation);
    const retry = sandbox.initTimedOut && this.sandbox === sandbox && this.stopping === undefined;
    const orphans = this.sandbox === sandbox && !retry ? this.queue.takeWaiting() : [];
    await sandbox.process.exited;
    for (const resolve of sandbox.afterResult.splice(0)) resolve();
    for (const invocation of victims) {
      if (invocation.timedOut) this.settleTimeout(invocation, exit);
      else this.settleExited(invocation, exit, sandbox);
    }
    for (const invocation of orphans) {
      if (invocation.timedOut) {
        this.settleTimeout(invocation, exit);
      } else if (sandbox.initError !== undefined) {
        sandbox.initErrorDelivered = true;
        this.settle(invocation, { ...sandbox.initError, exit });
      } else {
        this.settleExited(invocation, exit, sandbox);
      }
    }
    // Init ran out of time: Lambda retries it inside the first invoke, if one is waiting.
    if (retry && this.queue.waitingInvocations().length > 0 && this.spawning === undefined) {
      this.spawning = this.startProcess(true).finally(() => {
        this.spawning = undefined;
      });
      await this.spawning.catch(() => {});
    }
  }

  private settleExited(invocation: Invocation, exit: ProcessExit | undefined, sandbox?: Sandbox): void {
    this.settle(invocation, exitedSettlement(invocation, exit, sandbox));
  }

  private settleTimeout(invocation: Invocation, exit: ProcessExit | undefined): void {
    const allowed = allowedMs(invocation, this.timeoutMs);
    this.tap.platformLine(timedOutLine(invocation, allowed), invocation.requestId);
    this.settle(invocation, timeoutSettlement(invocation, allowed, exit));
  }

  private onTimeout(invocation: Invocation): void {
    if (invocation.state === 'settled') return;
    invocation.timedOut = true;
    const sandbox = this.servedBy.get(invocation);
    // Managed Instances: the sandbox serves on; the late answer gets 410 (emulator/managed-instances.ts).
    if (this.queue.capacity > 1 && sandbox?.process.alive === true) {
      this.timedOut.register(invocation.requestId, invocation.invocationId);
      this.settleTimeout(invocation, undefined);
      return;
    }
    // Lambda stops the whole sandbox on a timeout; its death settles this invocation as 'timeout'.
    if (sandbox?.process.alive === true) sandbox.process.kill('SIGKILL');
    else this.settleTimeout(invocation, undefined);
  }

  private settle(invocation: Invocation, settlement: Settlement): void {
    if (invocation.state === 'settled') return;
    cancelLimit(this.timers.get(invocation));
    this.timers.delete(invocation);
    this.queue.release(invocation);
    this.open.delete(invocation.requestId);
    this.settledIds.add(invocation.requestId);
    if (this.settledIds.size > SETTLED_ID_HISTORY) this.settledIds.delete(this.settledIds.values().next().value as string);
    const sandbox = this.servedBy.get(invocation) ?? this.sandbox;
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
    const outOfMemory = settlement.errorType === 'Runtime.OutOfMemory';
    const maxMemoryUsedMb = outOfMemory ? this.config.memorySizeMb : sandbox?.process.maxMemoryUsedMb;
    // The invocation's output is complete once the runtime asks for more work or exits
    // (Lambda attributes everything up to then to this invocation).
    const requestId = invocation.requestId;
    this.functionOutput.answered(requestId);
    const logsComplete = (
      sandbox !== undefined && sandbox.process.alive
        ? new Promise<void>((resolve) => sandbox.afterResult.push(() => void this.tap.quiet().then(resolve)))
        : this.tap.quiet()
    ).then(() => this.functionOutput.end(requestId));
    invocation.resolve(outcomeOf(invocation, settlement, { durationMs, initDurationMs, memorySizeMb: this.config.memorySizeMb, maxMemoryUsedMb, logsComplete }));
  }

  /** The Runtime API server's view of the service. */
  private backend(): RuntimeApiBackend {
    return {
      onRequest: () => {
        this.sandbox?.process.sampleMemory();
        this.trimHistory();
      },
      runtimeNext: (signal) => this.runtimeNext(signal),
      redeliver: (invocation) => {
        cancelLimit(this.timers.get(invocation));
        this.timers.delete(invocation);
        this.servedBy.get(invocation)?.serving.delete(invocation);
        invocation.deliveredAtMs = undefined;
        invocation.deadlineMs = undefined;
        const sandbox = this.sandbox;
        if (sandbox?.current === invocation && sandbox.runtimeState === 'Running') sandbox.runtimeState = 'Ready';
        this.queue.putBack(invocation);
      },
      resultGate: (requestId, route, echoed) => this.resultGate(requestId, route, echoed),
      resultStarted: (invocation) => {
        invocation.resultInProgress = true;
        const sandbox = this.sandbox;
        // Managed Instances: invocations are independent, and other pollers may ask for the next
        // one while this response is still streaming in; only a one-at-a-time runtime is blocked.
        if (this.queue.capacity > 1) return;
        if (sandbox?.current === invocation && sandbox.runtimeState === 'Running') sandbox.runtimeState = 'InvocationResponse';
      },
      resultAbandoned: (invocation) => {
        invocation.resultInProgress = false;
        const sandbox = this.sandbox;
        if (sandbox?.current === invocation && sandbox.runtimeState === 'InvocationResponse') sandbox.runtimeState = 'Running';
      },
      settle: (invocation, settlement) => {
        invocation.resultInProgress = false;
        const sandbox = this.sandbox;
        if (sandbox?.current === invocation && sandbox.runtimeState === 'InvocationResponse') sandbox.runtimeState = 'Running';
        this.settle(invocation, settlement);
      },
      badResponseMode: (invocation, settlement) => {
        this.settle(invocation, settlement);
        const sandbox = this.sandbox;
        if (sandbox?.current === invocation) sandbox.runtimeState = 'InvocationResponse';
      },
      initError: (settlement) => initError(this.sandbox, settlement, () => this.queue.hold(true)),
      snapStart: this.options.snapStart === true,
      restoreNext: (signal) => restoreNext(this.sandbox, signal),
      restoreError: (settlement) => restoreError(this.sandbox, settlement, () => this.queue.hold(true)),
      registerExtension: (request) =>
        registerExtension(this.sandbox, request, {
          functionName: this.config.functionName,
          functionVersion: this.config.functionVersion,
          handler: this.config.handler,
          accountId: this.accountId,
        }),
      extensionNext: (identifier, signal) => extensionNext(this.sandbox, identifier, signal),
      extensionError: (identifier, kind) => extensionError(this.sandbox, identifier, kind),
      faultAnswered: (route, requestId, status) => this.faultAnswered(requestId, status),
    };
  }

  /** Keeps the request log and the violation list to their bounds (emulator/limits.ts): the
   * newest REQUEST_HISTORY_COUNT requests, and of those beyond the newest REQUEST_HISTORY_MIN only
   * as many as fit in REQUEST_HISTORY_BYTES of bodies. Runs as each request arrives. */
  private trimHistory(): void {
    const requests = this.requests;
    keepNewest(requests, REQUEST_HISTORY_COUNT);
    let bytes = 0;
    for (let i = requests.length - 1; i >= 0; i--) {
      const r = requests[i]!;
      bytes += r.body.length + r.responseBody.length;
      if (requests.length - i > REQUEST_HISTORY_MIN && bytes > REQUEST_HISTORY_BYTES) {
        requests.splice(0, i + 1);
        break;
      }
    }
    keepNewest(this.protocolViolations, VIOLATION_HISTORY);
  }

  /** GET /next through the runtime state machine (core/states.go *.Ready). */
  private async runtimeNext(signal: AbortSignal): Promise<NextResult> {
    const sandbox = this.sandbox;
    if (sandbox === undefined) return { kind: 'aborted' };
    // States from which /next is refused (the switch below handles the others).
    const waiting: RuntimeState[] = ['Started', 'Ready', 'Running', 'Restoring', 'RuntimeResponseSentState'];
    if (!waiting.includes(sandbox.runtimeState)) return { kind: 'answer', answer: row(runtimeRow(sandbox.runtimeState, 'next')) };
    if (!sandbox.process.alive) return { kind: 'aborted' };
    sandbox.process.sampleMemory();
    // The runtime asking for work ends the previous invocation's output.
    for (const resolve of sandbox.afterResult.splice(0)) resolve();
    const sequential = this.queue.capacity === 1;
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
          this.protocolViolations.push(
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
    if (this.sandbox === sandbox) {
      sandbox.runtimeState = 'Running';
      sandbox.current = invocation;
      sendInvokeEvent(sandbox, invocation);
    }
    return { kind: 'event', invocation };
  }

  /** The request-id guard (middleware.AwsRequestIDValidator), then the state machine. */
  private resultGate(requestId: string | undefined, route: 'response' | 'error', echoed: string | undefined): ResultGate {
    const invalid: ResultGate = { kind: 'answer', answer: row(RUNTIME_GUARDS[0]!) };
    const sandbox = this.sandbox;
    if (this.queue.capacity === 1) {
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

  /** A planted 4xx on a result post stands for the service refusing that result: the invocation is
   * closed with what the service would have recorded (413: Function.ResponseSizeTooLarge; else no
   * result at all, reported as Runtime.NoResult). */
  private faultAnswered(requestId: string | undefined, status: number): void {
    const invocation = requestId === undefined ? undefined : this.open.get(requestId);
    if (invocation === undefined || invocation.state !== 'in-flight') return;
    const { settlement, violation } = refusedResultSettlement(invocation, status);
    if (violation !== undefined) this.protocolViolations.push(violation);
    this.settle(invocation, settlement);
  }

  private async nextInvocation(signal: AbortSignal): Promise<Invocation | undefined> {
    const invocation = await this.queue.poll(signal);
    if (invocation === undefined) return undefined;
    invocation.deliveredAtMs = performance.now();
    invocation.deadlineMs = invocation.options.deadlineMs ?? Date.now() + this.timeoutMs;
    const current = this.sandbox;
    if (current !== undefined) {
      this.servedBy.set(invocation, current);
      current.serving.add(invocation);
      if (!current.initReported && current.initDoneAtMs !== undefined) {
        current.initReported = true;
        invocation.initDurationMs = current.initDoneAtMs - current.process.spawnedAtMs;
      }
    }
    // Under a debugger the timeout counts only the time the runtime is not held paused; a runtime
    // asking for work no longer waits for a debugger to attach.
    const leftMs = Math.max(0, invocation.deadlineMs - Date.now());
    const pauses = current?.pauses;
    pauses?.set('waiting', false);
    const timer = pauses === undefined ? setTimeout(() => this.onTimeout(invocation), leftMs) : pauses.timeout(leftMs, () => this.onTimeout(invocation));
    this.timers.set(invocation, timer);
    this.functionOutput.begin(invocation.requestId);
    return invocation;
  }
}
