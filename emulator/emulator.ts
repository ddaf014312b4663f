// The Emulator: a local stand-in for the Lambda service. It serves the Runtime API, spawns the
// runtime process (again after it dies), hands it invocations, and turns what happens into one
// InvocationOutcome per invoke, with Lambda's REPORT line. This class ties the service's parts
// together: it queues invokes, starts and buries runtime processes, and answers the Runtime API
// server (runtime-api/) with the parts, each its own file: delivery on /next (delivery.ts), the
// result gate, timeouts and settling (open-invocations.ts), the sandbox (sandbox/: its lifecycle,
// extensions, the init phase's requests, the runtime's output), how an invocation ends
// (outcomes.ts), Managed Instances (managed-instances.ts), and the options (emulator-options.ts).
// The ways a caller invokes it over HTTP are invoke/.
import { DebuggerObserver } from './debugger-observer.ts';
import { Delivery } from './delivery.ts';
import type { EmulatorOptions } from './emulator-options.ts';
import { validateOptions } from './emulator-options.ts';
import { InvocationQueue } from './invocation-queue.ts';
import { Invocation } from './invocation.ts';
import type { InvocationOutcome, InvokeOptions, ProcessExit } from './invocation.ts';
import { REQUEST_HISTORY_BYTES, REQUEST_HISTORY_COUNT, REQUEST_HISTORY_MIN, VIOLATION_HISTORY, keepNewest } from './limits.ts';
import { OpenInvocations } from './open-invocations.ts';
import { stoppedSettlement } from './outcomes.ts';
import { PauseClock } from './pause-clock.ts';
import type { Fault, FaultRoute } from './runtime-api/faults.ts';
import { RuntimeApiServer } from './runtime-api/runtime-api-server.ts';
import type { RecordedRequest, RuntimeApiBackend } from './runtime-api/runtime-api-server.ts';
import type { ExtensionState, RuntimeState } from './runtime-api/state-table.ts';
import { REGION, defaultFunctionArn, runtimeEnvironment } from './runtime-environment.ts';
import type { FunctionConfig } from './runtime-environment.ts';
import { extensionError, extensionNext, externalsRegistered, invokeSubscribersIdle, registerExtension } from './sandbox/extension-registry.ts';
import { ExternalExtensions } from './sandbox/external-extensions.ts';
import { FunctionOutput } from './sandbox/function-output.ts';
import type { OutputRetention } from './sandbox/function-output.ts';
import { FunctionProcess } from './sandbox/function-process.ts';
import type { SpawnSpec } from './sandbox/function-process.ts';
import { initError, reportedError, restoreError, restoreNext } from './sandbox/init-phase.ts';
import { OutputTap } from './sandbox/output-tap.ts';
import { enforceMemoryLimit, guardInit, initLimitMs, newSandbox, shutdownSandbox, until, wake } from './sandbox/sandbox.ts';
import type { Sandbox, ShutdownResult } from './sandbox/sandbox.ts';
import { describeExit } from './service-errors.ts';

// Public types that callers import from here (emulator/index.ts).
export type { EmulatorOptions } from './emulator-options.ts';
export type { ShutdownResult } from './sandbox/sandbox.ts';

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
  private readonly invocations: OpenInvocations;
  private readonly delivery: Delivery;
  private sandbox: Sandbox | undefined;
  private spawning: Promise<void> | undefined;
  /** Aborted by stop(): a sandbox waiting for its external extensions to register gives up. */
  private readonly stopSignal = new AbortController();
  private stopping: Promise<void> | undefined;
  private readonly functionOutput: FunctionOutput;
  private readonly tap: OutputTap;

  static async start(options: EmulatorOptions): Promise<Emulator> {
    validateOptions(options);
    const emulator = new Emulator(options);
    await emulator.server.listen(options.host ?? '127.0.0.1', options.port ?? 0, options.runtimeUid === undefined ? [] : [options.runtimeUid]);
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
    const sandbox = (): Sandbox | undefined => this.sandbox;
    const { config, timeoutMs, queue, tap, functionOutput, protocolViolations } = this;
    this.invocations = new OpenInvocations({ config, timeoutMs, queue, tap, functionOutput, protocolViolations, sandbox });
    this.delivery = new Delivery({ timeoutMs, queue, invocations: this.invocations, functionOutput, protocolViolations, sandbox });
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

  /** The log lines of one invocation only (emulator/sandbox/function-output.ts): complete once its
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
      openInvocations: this.invocations.open.size,
      settledIds: this.invocations.settledIds.size,
      timers: this.invocations.timers.size,
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

  /** The runtime's state in the service's state machine (emulator/runtime-api/state-table.ts). */
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
    if (this.invocations.open.has(invocation.requestId)) {
      throw new Error(`Emulator.invoke: request id '${invocation.requestId}' is already in use by an unfinished invocation`);
    }
    this.invocations.open.set(invocation.requestId, invocation);

    // The first invoke after a process reported an init error gets that error (as Lambda answers it).
    const last = this.sandbox;
    if (last !== undefined && !last.process.alive && last.initError !== undefined && !last.initErrorDelivered) {
      last.initErrorDelivered = true;
      this.invocations.settle(invocation, { ...last.initError, exit: last.process.exitStatus });
      return invocation.outcome;
    }

    this.queue.enqueue(invocation);
    if (this.sandbox?.process.alive !== true) {
      try {
        await (this.spawning ?? this.spawn());
      } catch (error) {
        this.queue.remove(invocation);
        this.invocations.open.delete(invocation.requestId);
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

  /**
   * Resolves once Lambda's invoke phase has ended for the extensions: every one subscribed to
   * INVOKE called event/next again after the last invoke ("The Invoke phase ends after the runtime
   * and all extensions signal that they are done", AWS docs, Lambda execution environment), or the
   * runtime died, or `withinMs` ms passed (the function timeout bounds the whole invoke phase there).
   */
  async invokePhaseEnded(withinMs: number): Promise<void> {
    const sandbox = this.sandbox;
    if (sandbox === undefined) return;
    await until(sandbox, () => invokeSubscribersIdle(sandbox), AbortSignal.timeout(Math.max(0, withinMs)));
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
    this.stopSignal.abort();
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
      this.invocations.settle(invocation, stoppedSettlement(invocation));
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
    // Lambda's init starts the external extensions, waits until each has registered, and only then
    // starts the runtime (rapid.go doInitExtensions, AwaitExternalAgentsRegistered, then the
    // runtime's bootstrap): with externals the sandbox and its runtime process are prepared first
    // and the process starts once they registered (or exited).
    const externalSpecs = this.options.externalExtensions ?? [];
    const runtimeSpec: SpawnSpec = {
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
    };
    const child = externalSpecs.length > 0 ? FunctionProcess.prepare(runtimeSpec) : await FunctionProcess.spawn(runtimeSpec);
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
    if (externalSpecs.length > 0) {
      // Their names are known before any starts, so each registers as external. The init limit
      // above covers their start and registration, as Lambda's init phase does.
      const externals = new ExternalExtensions(externalSpecs);
      sandbox.externals = externals;
      try {
        await externals.start(runtimeEnvironment(this.config, api), this.config.taskRoot, (text, stream) => this.tap.capture(text, stream), () => wake(sandbox));
        // Ended meanwhile (the init limit, stop()): the runtime never starts; its death is buried.
        if (!(await until(sandbox, () => externalsRegistered(sandbox), this.stopSignal.signal))) child.kill('SIGKILL');
        await child.start();
      } catch (error) {
        externals.kill('SIGKILL');
        if (child.alive) child.kill('SIGKILL');
        else markBuried(); // start() failed: it never ran, nothing of it to bury
        throw error;
      }
    }
  }

  /** The process died: everything it owed an answer settles (as 'timeout', 'init-error' or 'exited'). */
  private async bury(sandbox: Sandbox, exit: ProcessExit): Promise<void> {
    if (sandbox.initDoneAtMs === undefined) {
      const reason = sandbox.initError !== undefined ? 'after reporting an init error' : `(${describeExit(exit)})`;
      sandbox.firstNext.reject(new Error(`the runtime process ${sandbox.process.pid ?? '(not started yet)'} exited ${reason} before asking for its first invocation`));
    }
    // In the shutdown sequence the external extensions outlive the runtime: their polls stay open
    // for the SHUTDOWN event (sandbox/external-extensions.ts).
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
      if (invocation.timedOut) this.invocations.settleTimeout(invocation, exit);
      else this.invocations.settleExited(invocation, exit, sandbox);
    }
    for (const invocation of orphans) {
      if (invocation.timedOut) {
        this.invocations.settleTimeout(invocation, exit);
      } else if (sandbox.initError !== undefined) {
        sandbox.initErrorDelivered = true;
        this.invocations.settle(invocation, { ...sandbox.initError, exit });
      } else {
        this.invocations.settleExited(invocation, exit, sandbox);
      }
    }
    // A runtime that died before it started (it waited for its external extensions): its launch
    // ends with it, before a retry can start another.
    if (!sandbox.process.started) await this.spawning?.catch(() => {});
    // Init ran out of time: Lambda retries it inside the first invoke, if one is waiting.
    if (retry && this.sandbox === sandbox && this.queue.waitingInvocations().length > 0 && this.spawning === undefined) {
      this.spawning = this.startProcess(true).finally(() => {
        this.spawning = undefined;
      });
      await this.spawning.catch(() => {});
    }
  }

  /** The Runtime API server's view of the service. */
  private backend(): RuntimeApiBackend {
    return {
      onRequest: () => {
        this.sandbox?.process.sampleMemory();
        this.trimHistory();
      },
      runtimeNext: (signal) => this.delivery.runtimeNext(signal),
      redeliver: (invocation) => this.delivery.redeliver(invocation),
      resultGate: (requestId, route, echoed) => this.invocations.resultGate(requestId, route, echoed),
      resultStarted: (invocation) => this.invocations.resultStarted(invocation),
      resultAbandoned: (invocation) => this.invocations.resultAbandoned(invocation),
      settle: (invocation, settlement) => this.invocations.resultPosted(invocation, settlement),
      badResponseMode: (invocation, settlement) => this.invocations.badResponseMode(invocation, settlement),
      initError: (settlement) => {
        this.options.onInitError?.(reportedError(settlement));
        return initError(this.sandbox, settlement, () => this.queue.hold(true));
      },
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
      faultAnswered: (route, requestId, status) => this.invocations.faultAnswered(requestId, status),
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
}
