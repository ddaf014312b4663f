// The Emulator: a local stand-in for the Lambda service. It serves the Runtime API, spawns the
// runtime process (again after it dies), hands it invocations, and turns what happens into one
// InvocationOutcome per invoke, with Lambda's REPORT line.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, FaultRoute } from './faults.ts';
import { FunctionOutput } from './function-output.ts';
import type { OutputRetention } from './function-output.ts';
import { ExternalExtensions, shutdownWithExternals } from './external-extensions.ts';
import type { ExternalExtensionSpec } from './external-extensions.ts';
import { FunctionProcess } from './function-process.ts';
import { Invocation } from './invocation.ts';
import type { InvocationOutcome, InvokeOptions, ProcessExit, Settlement } from './invocation.ts';
import { InvocationQueue } from './invocation-queue.ts';
import { INVALID_REQUEST, TimedOutAttempts, echoMatches, managedInstancesGate } from './managed-instances.ts';
import { REQUEST_HISTORY_BYTES, REQUEST_HISTORY_COUNT, REQUEST_HISTORY_MIN, SETTLED_ID_HISTORY, VIOLATION_HISTORY, keepNewest } from './limits.ts';
import { reportLine } from './report.ts';
import { RuntimeApiServer, row } from './runtime-api-server.ts';
import type { Answer, NextResult, RecordedRequest, RegisterRequest, ResultGate, RuntimeApiBackend } from './runtime-api-server.ts';
import { REGION, defaultFunctionArn, runtimeEnvironment } from './runtime-environment.ts';
import type { FunctionConfig } from './runtime-environment.ts';
import { apiError, describeExit, exitErrorBody, timeoutBody } from './service-errors.ts';
import { MAX_EXTENSIONS, RUNTIME_GUARDS, extensionRow, extensionStateRow, goMarshal, runtimeRow } from './state-table.ts';
import type { ExtensionState, RuntimeState } from './state-table.ts';

export interface EmulatorOptions {
  command: string;
  args?: string[];
  handler: string;
  taskRoot: string;
  env?: Record<string, string | undefined>;
  functionName?: string;
  functionVersion?: string;
  memorySizeMb?: number;
  timeoutMs?: number;
  maxConcurrency?: number;
  host?: string;
  port?: number;
  /** Copy the runtime's output to this process as it arrives: true = stdout to stdout and stderr to
   * stderr; 'stderr' = both to stderr (the CLI keeps stdout for responses). */
  echoOutput?: boolean | 'stderr';
  /** How long init may take before the service resets the sandbox and retries init inside the
   * first invoke (Lambda: 10 s). Default 10_000. */
  initTimeoutMs?: number;
  /** Serve /runtime/restore/next and /runtime/restore/error (SnapStart, "init caching"), and start
   * the runtime with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, as the service does when it
   * publishes a SnapStart version. */
  snapStart?: boolean;
  /** Kill the runtime when its resident memory exceeds memorySizeMb, reported as Lambda reports an
   * out-of-memory death (Runtime.OutOfMemory). An RSS watchdog sampled every 50 ms. Default false. */
  enforceMemory?: boolean;
  /** When the memory limit is also enforced outside the emulator (the npm tool runs the runtime in
   * a memory cgroup of memorySizeMb, as Lambda's sandbox is): called as a runtime exits; true means
   * the kernel killed it at that limit, reported as Runtime.OutOfMemory like the watchdog's kill. */
  killedAtMemoryLimit?: (exit: ProcessExit) => boolean;
  /** The account id in ARNs and in register answers. Default 123456789012. */
  accountId?: string;
  /** Give every delivery a Lambda-Runtime-Invocation-Id and check its echo (the Runtime API since
   * July 2026). Default true; false stands for the service before it. */
  invocationIds?: boolean;
  /** How many characters of the runtime's stdout, stderr and output `stdout`/`stderr`/`output`
   * keep (the newest). Default OUTPUT_HISTORY_CHARS (emulator/limits.ts); a one-shot run passes
   * Infinity, since it prints all of it. */
  outputHistoryChars?: number;
  /** External extensions (executables; each registers under its file name), started with every
   * runtime process as Lambda starts /opt/extensions/* (emulator/external-extensions.ts). */
  externalExtensions?: ExternalExtensionSpec[];
  /** A debugger may hold the runtime paused (the npm tool's --inspect): the function timeout and
   * the init timeout are not enforced; the deadline the runtime is given stays timeoutMs. */
  debugging?: boolean;
}

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

export interface ShutdownResult {
  sigterm: boolean;
  exitedWithinMs: number | undefined;
  killed: boolean;
}

/** An internal extension the runtime process registered (core/internalagent.go). */
interface Extension {
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

/** One runtime process and what the service knows about it. */
interface Sandbox {
  process: FunctionProcess;
  /** The runtime state machine (emulator/state-table.ts). */
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
  restoreRelease: (() => void) | undefined;
  firstNext: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
  /** Resolvers of outcomes' logsComplete: called when the runtime next asks for work, or dies. */
  afterResult: (() => void)[];
  /** The in-flight invocations it was handed. */
  serving: Set<Invocation>;
  /** Resolves when everything its death settles has been settled. */
  buried: Promise<void>;
}

const SHUTDOWN_GRACE_MS = 500;
/** The longest delay setTimeout takes (2^31 - 1 ms, about 24.8 days): "never" for a timer. */
const MAX_TIMER_MS = 2_147_483_647;
const INIT_ERROR_EXIT_GRACE_MS = 500;
// Lambda allows 10 s of init, then retries init inside the invoke, under the function timeout.
const DEFAULT_INIT_TIMEOUT_MS = 10_000;
// Output counts as complete once the runtime asked for more work and its pipes stayed quiet this long.
const OUTPUT_QUIET_MS = 25;
const OUTPUT_QUIET_LIMIT_MS = 1_000;

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
  private readonly timers = new Map<Invocation, NodeJS.Timeout>();
  /** Managed Instances: attempts that timed out, whose late result gets 410 InvokeTimeout. */
  private readonly timedOut = new TimedOutAttempts();
  private sandbox: Sandbox | undefined;
  private spawning: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly functionOutput: FunctionOutput;

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
      this.settle(invocation, {
        kind: 'exited',
        body: Buffer.from(apiError('Runtime.ExitError', `RequestId: ${invocation.requestId} Error: the emulator was stopped`)),
        errorType: 'Runtime.ExitError',
        recordedErrorType: 'Runtime.ExitError',
      });
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
    const child = await FunctionProcess.spawn({
      command: this.options.command,
      args: this.options.args ?? [],
      cwd: this.config.taskRoot,
      env: runtimeEnvironment(this.config, api),
      onStdout: (text) => this.captureOutput(text, 'stdout'),
      onStderr: (text) => this.captureOutput(text, 'stderr'),
    });
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
    this.sandbox = sandbox;
    this.queue.hold(false);
    child.onExit((exit) => {
      if (!sandbox.outOfMemory && this.options.killedAtMemoryLimit?.(exit) === true) sandbox.outOfMemory = true;
      void this.bury(sandbox, exit).then(markBuried);
    });
    if (this.options.enforceMemory === true) {
      const limitKb = this.config.memorySizeMb * 1024;
      child.onSample((rssKb) => {
        if (rssKb <= limitKb || sandbox.outOfMemory) return;
        sandbox.outOfMemory = true;
        child.kill('SIGKILL');
      });
    }
    // Init has a limit of its own (Lambda: 10 s). A retry inside the invoke runs under the
    // function timeout instead, and what still waits then times out.
    const limitMs = this.options.debugging === true ? MAX_TIMER_MS : retryOfTimedOutInit ? this.timeoutMs : (this.options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS);
    const initGuard = setTimeout(() => {
      if (sandbox.initDoneAtMs !== undefined || this.sandbox !== sandbox || !child.alive) return;
      if (retryOfTimedOutInit) {
        for (const invocation of this.queue.waitingInvocations()) invocation.timedOut = true;
      } else {
        sandbox.initTimedOut = true;
        this.platformLine(`INIT_REPORT Init Duration: ${limitMs.toFixed(2)} ms\tPhase: init\tStatus: timeout`);
      }
      child.kill('SIGKILL');
    }, limitMs);
    initGuard.unref();
    void child.exited.then(() => clearTimeout(initGuard));
    const externalSpecs = this.options.externalExtensions ?? [];
    if (externalSpecs.length > 0) {
      // Lambda starts them with the runtime (here after its exit is watched, so that a runtime
      // dying meanwhile is buried); the runtime's first /next waits for their registration. Their
      // names are known before any starts, so each registers as external.
      const externals = new ExternalExtensions(externalSpecs);
      sandbox.externals = externals;
      try {
        await externals.start(runtimeEnvironment(this.config, api), this.config.taskRoot, (text, stream) => this.captureOutput(text, stream), () => this.wake(sandbox));
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
    this.wake(sandbox);
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
    if (sandbox?.outOfMemory === true) {
      // What Lambda records for a sandbox killed at its memory limit.
      const errorMessage = `RequestId: ${invocation.requestId} Error: Runtime exited with error: signal: killed`;
      this.settle(invocation, {
        kind: 'exited',
        body: Buffer.from(JSON.stringify({ errorType: 'Runtime.OutOfMemory', errorMessage })),
        errorType: 'Runtime.OutOfMemory',
        recordedErrorType: 'Runtime.OutOfMemory',
        exit,
      });
      return;
    }
    const fatal = sandbox?.firstFatalError;
    if (fatal !== undefined) {
      // An extension's init/exit error came first (appctx.StoreFirstFatalError keeps the first).
      const errorMessage = `RequestId: ${invocation.requestId} Error: ${fatal === 'Extension.InitError' ? 'an extension reported an init error' : 'an extension reported an exit error'}`;
      this.settle(invocation, {
        kind: 'exited',
        body: Buffer.from(JSON.stringify({ errorType: fatal, errorMessage })),
        errorType: fatal,
        recordedErrorType: fatal,
        exit,
      });
      return;
    }
    this.settle(invocation, {
      kind: 'exited',
      body: Buffer.from(exitErrorBody(invocation.requestId, exit)),
      errorType: 'Runtime.ExitError',
      recordedErrorType: 'Runtime.ExitError',
      exit,
    });
  }

  private settleTimeout(invocation: Invocation, exit: ProcessExit | undefined): void {
    // With a caller-chosen deadline, the time allowed is from delivery to that deadline.
    let allowedMs = this.timeoutMs;
    if (invocation.options.deadlineMs !== undefined && invocation.deliveredAtMs !== undefined) {
      const deliveredAtEpochMs = Date.now() - (performance.now() - invocation.deliveredAtMs);
      allowedMs = Math.max(0, invocation.options.deadlineMs - deliveredAtEpochMs);
    }
    // Lambda's own log line for a timeout, in the function's log, before END/REPORT.
    this.platformLine(`${new Date().toISOString()} ${invocation.requestId} Task timed out after ${(allowedMs / 1000).toFixed(2)} seconds`, invocation.requestId);
    this.settle(invocation, {
      kind: 'timeout',
      body: Buffer.from(timeoutBody(invocation.requestId, allowedMs)),
      recordedErrorType: 'Sandbox.Timedout',
      exit,
    });
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
    const timer = this.timers.get(invocation);
    if (timer !== undefined) clearTimeout(timer);
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
    const status = settlement.kind === 'timeout' ? 'timeout' : settlement.kind === 'exited' ? 'error' : undefined;
    const report = reportLine({
      requestId: invocation.requestId,
      durationMs,
      memorySizeMb: this.config.memorySizeMb,
      maxMemoryUsedMb,
      initDurationMs,
      status,
      errorType: settlement.kind === 'exited' ? (settlement.errorType ?? 'Runtime.ExitError') : undefined,
    });
    // The invocation's output is complete once the runtime asks for more work or exits
    // (Lambda attributes everything up to then to this invocation).
    const requestId = invocation.requestId;
    const logsComplete = (
      sandbox !== undefined && sandbox.process.alive
        ? new Promise<void>((resolve) => sandbox.afterResult.push(() => void this.outputQuiet().then(resolve)))
        : this.outputQuiet()
    ).then(() => this.functionOutput.end(requestId));
    const body = settlement.body;
    invocation.resolve({
      requestId: invocation.requestId,
      kind: settlement.kind,
      body,
      headers: settlement.headers ?? {},
      trailers: settlement.trailers ?? {},
      chunks: invocation.chunks,
      errorType: settlement.errorType,
      recordedErrorType: settlement.recordedErrorType,
      streaming: settlement.streaming ?? false,
      durationMs,
      initDurationMs,
      maxMemoryUsedMb,
      exit: settlement.exit,
      report,
      logsComplete,
      json: () => JSON.parse(body.toString('utf8')) as unknown,
    });
  }

  private lastOutputAtMs = 0;

  private captureOutput(text: string, stream: 'stdout' | 'stderr'): void {
    this.lastOutputAtMs = performance.now();
    this.functionOutput.capture(text, stream);
    const echo = this.options.echoOutput;
    if (echo === 'stderr') process.stderr.write(text);
    else if (echo === true) (stream === 'stdout' ? process.stdout : process.stderr).write(text);
  }

  /** A line the service itself writes to the function's log (INIT_REPORT, "Task timed out"). */
  private platformLine(line: string, requestId?: string): void {
    this.functionOutput.platformLine(line, requestId);
    if (this.options.echoOutput !== undefined && this.options.echoOutput !== false) process.stderr.write(`${line}\n`);
  }

  /** Resolves once no output has arrived for OUTPUT_QUIET_MS: what the runtime wrote before it
   * asked for more work is then read from its pipes (data in a pipe is readable within one poll). */
  private async outputQuiet(): Promise<void> {
    // Measured from now at the earliest: bytes already in a pipe arrive in a later event-loop turn.
    const started = performance.now();
    while (performance.now() - started < OUTPUT_QUIET_LIMIT_MS) {
      const quietFor = performance.now() - Math.max(this.lastOutputAtMs, started);
      if (quietFor >= OUTPUT_QUIET_MS) return;
      await sleep(OUTPUT_QUIET_MS - quietFor);
    }
  }

  private wake(sandbox: Sandbox): void {
    for (const waiter of [...sandbox.changed]) waiter();
  }

  /** Resolves true once `ready()` holds, false if `signal` aborts or the sandbox dies first. */
  private until(sandbox: Sandbox, ready: () => boolean, signal: AbortSignal): Promise<boolean> {
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

  /** Init is done when the runtime is ready and every registered extension has walked the init
   * gate (core/flow.go initFlow: runtimeReadyGate + agentReadyGate). */
  private checkInit(sandbox: Sandbox): void {
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
    this.wake(sandbox);
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
        const timer = this.timers.get(invocation);
        if (timer !== undefined) clearTimeout(timer);
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
      initError: (settlement) => this.initError(settlement),
      snapStart: this.options.snapStart === true,
      restoreNext: (signal) => this.restoreNext(signal),
      restoreError: (settlement) => this.restoreError(settlement),
      registerExtension: (request) => this.registerExtension(request),
      extensionNext: (identifier, signal) => this.extensionNext(identifier, signal),
      extensionError: (identifier, kind, errorType) => this.extensionError(identifier, kind, errorType),
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
    const externals = sandbox.externals;
    if (sandbox.runtimeState === 'Started' && externals !== undefined) {
      // Registration closes at the runtime's first /next; Lambda has every external extension
      // registered by then (it starts them before the runtime), so that /next waits for them.
      const registered = (): boolean =>
        externals.names.every((name) => !externals.alive(name) || [...sandbox.extensions.values()].some((e) => e.name === name));
      if (!(await this.until(sandbox, registered, signal))) return { kind: 'aborted' };
      if (sandbox.runtimeState !== 'Started') return { kind: 'answer', answer: row(runtimeRow(sandbox.runtimeState, 'next')) };
    }
    switch (sandbox.runtimeState) {
      case 'Started':
        sandbox.runtimeState = 'Ready';
        sandbox.registrationClosed = true;
        sandbox.runtimeReady = true;
        this.checkInit(sandbox);
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
    if (!(await this.until(sandbox, () => sandbox.initDoneAtMs !== undefined, signal))) return { kind: 'aborted' };
    // An invoke ends only when every INVOKE subscriber is ready again (core/flow.go invokeFlow).
    const idle = (): boolean => [...sandbox.extensions.values()].every((e) => !e.events.has('INVOKE') || e.state !== 'Running');
    if (!(await this.until(sandbox, idle, signal))) return { kind: 'aborted' };
    const invocation = await this.nextInvocation(signal);
    if (invocation === undefined) return { kind: 'aborted' };
    if (this.sandbox === sandbox) {
      sandbox.runtimeState = 'Running';
      sandbox.current = invocation;
      this.sendInvokeEvent(sandbox, invocation);
    }
    return { kind: 'event', invocation };
  }

  /** The INVOKE event for extensions subscribed to it (rendering.go newAgentInvokeEvent). */
  private sendInvokeEvent(sandbox: Sandbox, invocation: Invocation): void {
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
    if (status === 413) {
      const message = `Response payload size exceeded maximum allowed payload size (${6_291_556} bytes).`;
      this.settle(invocation, {
        kind: 'error',
        body: Buffer.from(goMarshal({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: message })),
        errorType: 'Function.ResponseSizeTooLarge',
        recordedErrorType: 'Function.ResponseSizeTooLarge',
      });
      return;
    }
    const message = `RequestId: ${invocation.requestId} Error: the service refused the runtime's result (status ${status}) and recorded none`;
    this.protocolViolations.push(message);
    this.settle(invocation, {
      kind: 'error',
      body: Buffer.from(apiError('Runtime.NoResult', message)),
      errorType: 'Runtime.NoResult',
      recordedErrorType: 'Runtime.NoResult',
    });
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
    // Under a debugger the time spent paused at a breakpoint is not the function's: no timeout.
    const timer = setTimeout(() => this.onTimeout(invocation), this.options.debugging === true ? MAX_TIMER_MS : Math.max(0, invocation.deadlineMs - Date.now()));
    this.timers.set(invocation, timer);
    this.functionOutput.begin(invocation.requestId);
    return invocation;
  }

  /** POST /runtime/init/error (handler/initerror.go). */
  private initError(settlement: Settlement): Answer {
    const sandbox = this.sandbox;
    if (sandbox === undefined || !sandbox.process.alive) return row(runtimeRow('InitError', 'init/error'));
    if (sandbox.runtimeState === 'Restoring') return this.restoreFailed(sandbox, settlement, 'init/error');
    const verdict = runtimeRow(sandbox.runtimeState, 'init/error');
    if (verdict.status !== 202) return row(verdict);
    sandbox.runtimeState = 'InitError';
    this.holdAfterInitError(sandbox, { ...settlement, kind: 'init-error' });
    return row(verdict);
  }

  private holdAfterInitError(sandbox: Sandbox, settlement: Settlement): void {
    sandbox.initError = settlement;
    sandbox.initErrorAtMs = performance.now();
    // No events go to a process that failed its init; Lambda resets it if it does not exit itself.
    this.queue.hold(true);
    const reset = setTimeout(() => sandbox.process.kill('SIGKILL'), INIT_ERROR_EXIT_GRACE_MS);
    reset.unref();
    void sandbox.process.exited.then(() => clearTimeout(reset));
  }

  private restoreFailed(sandbox: Sandbox, settlement: Settlement, request: 'init/error' | 'restore/error'): Answer {
    const verdict = runtimeRow('Restoring', request);
    sandbox.runtimeState = 'RuntimeRestoreErrorState';
    this.holdAfterInitError(sandbox, { ...settlement, kind: 'init-error' });
    return row(verdict);
  }

  /** GET /runtime/restore/next (handler/restorenext.go). */
  private async restoreNext(signal: AbortSignal): Promise<Answer | undefined> {
    const sandbox = this.sandbox;
    if (sandbox === undefined || !sandbox.process.alive) return undefined;
    if (sandbox.runtimeState !== 'Started') return row(runtimeRow(sandbox.runtimeState, 'restore/next'));
    sandbox.runtimeState = 'RestoreReady';
    sandbox.registrationClosed = true;
    sandbox.runtimeReady = true;
    const released = new Promise<boolean>((resolve) => {
      sandbox.restoreRelease = () => resolve(true);
      signal.addEventListener('abort', () => resolve(false), { once: true });
    });
    this.checkInit(sandbox);
    if (!(await released)) return undefined;
    return { status: 200, body: '' };
  }

  /** POST /runtime/restore/error (handler/restoreerror.go). */
  private restoreError(settlement: Settlement): Answer {
    const sandbox = this.sandbox;
    if (sandbox === undefined || !sandbox.process.alive) return row(runtimeRow('Started', 'restore/error'));
    if (sandbox.runtimeState !== 'Restoring') return row(runtimeRow(sandbox.runtimeState, 'restore/error'));
    return this.restoreFailed(sandbox, settlement, 'restore/error');
  }

  /** POST /extension/register for an internal extension (handler/agentregister.go registerInternalAgent). */
  private registerExtension(request: RegisterRequest): Answer {
    const external = this.sandbox?.externals?.has(request.name) === true;
    for (const event of request.events) {
      if (event === 'INVOKE' || (external && event === 'SHUTDOWN')) continue;
      const id = event === 'SHUTDOWN' ? 'extension.register.internal-shutdown' : 'extension.register.unknown-event';
      return row(extensionRow(id), { event });
    }
    const sandbox = this.sandbox;
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
    const params = {
      functionName: this.config.functionName,
      functionVersion: this.config.functionVersion,
      handler: this.config.handler,
      accountId: this.accountId,
    };
    const verdict = extensionRow(request.wantsAccountId ? 'extension.started.register-account-id' : 'extension.started.register');
    this.wake(sandbox);
    return { ...row(verdict, params), headers: { 'Lambda-Extension-Identifier': identifier } };
  }

  /** GET /extension/event/next (handler/agentnext.go, core/internalagent_states.go). */
  private async extensionNext(identifier: string, signal: AbortSignal): Promise<Answer | undefined> {
    const sandbox = this.sandbox;
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
    this.checkInit(sandbox);
    this.wake(sandbox);
    return answered;
  }

  /** POST /extension/init/error and /extension/exit/error (handler/agentiniterror.go, agentexiterror.go). */
  private extensionError(identifier: string, kind: 'init' | 'exit', _errorType: string): Answer {
    const sandbox = this.sandbox;
    const extension = sandbox?.extensions.get(identifier);
    if (sandbox === undefined || extension === undefined) return row(extensionRow('extension.unknown.error'));
    const verdict = extensionStateRow(extension.state, kind === 'init' ? 'init/error' : 'exit/error');
    if (verdict.status === 202) {
      extension.state = kind === 'init' ? 'InitError' : 'ExitError';
      sandbox.firstFatalError ??= kind === 'init' ? 'Extension.InitError' : 'Extension.ExitError';
      this.wake(sandbox);
    }
    return row(verdict, { extensionId: identifier });
  }
}

function validateOptions(options: EmulatorOptions): void {
  const problems: string[] = [];
  if (typeof options.command !== 'string' || !isAbsolute(options.command)) {
    problems.push(`command must be an absolute path to the runtime executable, got ${JSON.stringify(options.command)}`);
  }
  if (typeof options.handler !== 'string' || options.handler === '') problems.push('handler must be a non-empty string');
  if (typeof options.taskRoot !== 'string' || !isAbsolute(options.taskRoot)) {
    problems.push(`taskRoot must be an absolute directory path, got ${JSON.stringify(options.taskRoot)}`);
  } else if (!isDirectory(options.taskRoot)) {
    problems.push(`taskRoot ${options.taskRoot} is not an existing directory`);
  }
  for (const key of ['memorySizeMb', 'timeoutMs', 'maxConcurrency', 'initTimeoutMs'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) problems.push(`${key} must be a positive number, got ${value}`);
  }
  if (options.maxConcurrency !== undefined && !Number.isInteger(options.maxConcurrency)) {
    problems.push(`maxConcurrency must be an integer, got ${options.maxConcurrency}`);
  }
  if (problems.length > 0) throw new TypeError(`Emulator.start: invalid options: ${problems.join('; ')}`);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
