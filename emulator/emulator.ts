// The Emulator: a local stand-in for the Lambda service. It serves the Runtime API, spawns the
// runtime process (again after it dies), hands it invocations, and turns what happens into one
// InvocationOutcome per invoke, with Lambda's REPORT line.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, FaultRoute } from './faults.ts';
import { FunctionProcess } from './function-process.ts';
import { Invocation } from './invocation.ts';
import type { InvocationOutcome, InvokeOptions, ProcessExit, Settlement } from './invocation.ts';
import { InvocationQueue } from './invocation-queue.ts';
import { reportLine } from './report.ts';
import { RestoreGate } from './restore.ts';
import { RuntimeApiServer } from './runtime-api-server.ts';
import type { RecordedRequest, ResultTarget, RuntimeApiBackend } from './runtime-api-server.ts';
import { defaultFunctionArn, runtimeEnvironment } from './runtime-environment.ts';
import type { FunctionConfig } from './runtime-environment.ts';
import { apiError, describeExit, exitErrorBody, timeoutBody } from './service-errors.ts';

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
  echoOutput?: boolean;
}

export interface ShutdownResult {
  sigterm: boolean;
  exitedWithinMs: number | undefined;
  killed: boolean;
}

/** One runtime process and what the service knows about it. */
interface Sandbox {
  process: FunctionProcess;
  firstNextAtMs: number | undefined;
  initReported: boolean;
  initError: Settlement | undefined;
  initErrorAtMs: number | undefined;
  initErrorDelivered: boolean;
  extensions: Map<string, string>;
  extensionWaiters: Set<(event: string) => void>;
  firstNext: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
  /** The in-flight invocations it was handed. */
  serving: Set<Invocation>;
  /** Resolves when everything its death settles has been settled. */
  buried: Promise<void>;
}

const SHUTDOWN_GRACE_MS = 500;
const INIT_ERROR_EXIT_GRACE_MS = 500;
// Lambda allows 10 s of init, then retries init inside the invoke, under the function timeout.
const INIT_LIMIT_MS = 10_000;

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
  private sandbox: Sandbox | undefined;
  private spawning: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private stdoutText = '';
  private stderrText = '';
  private outputText = '';

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
      env: options.env ?? {},
    };
    this.queue = new InvocationQueue(options.maxConcurrency ?? 1);
    this.server = new RuntimeApiServer(this.backend());
    this.requests = this.server.requests;
  }

  /** `host:port` of the Runtime API: the runtime's AWS_LAMBDA_RUNTIME_API. */
  get runtimeApi(): string {
    return this.server.address;
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  get output(): string {
    return this.outputText;
  }

  /** The live runtime process's pid. */
  get pid(): number | undefined {
    return this.sandbox?.process.alive === true ? this.sandbox.process.pid : undefined;
  }

  /** Extension names the current (or last) runtime process registered. */
  get registeredExtensions(): string[] {
    return [...(this.sandbox?.extensions.values() ?? [])];
  }

  /** Spawns the runtime now (invoke() does it lazily). Fails if one is already running. */
  async spawn(): Promise<void> {
    if (this.stopping !== undefined) throw new Error('Emulator.spawn: the emulator has been stopped');
    if (this.spawning !== undefined) return this.spawning;
    if (this.sandbox?.process.alive === true) {
      throw new Error(`Emulator.spawn: a runtime process is already running (pid ${this.sandbox.process.pid}); call shutdown() first`);
    }
    this.spawning = this.startProcess().finally(() => {
      this.spawning = undefined;
    });
    return this.spawning;
  }

  /** Resolves at the current process's first /next (the end of its init); rejects if it dies first. */
  waitForNext(): Promise<void> {
    if (this.spawning !== undefined) return this.spawning.then(() => this.waitForNext());
    if (this.sandbox === undefined) return Promise.reject(new Error('Emulator.waitForNext: no runtime process; call spawn() or invoke() first'));
    return this.sandbox.firstNext.promise;
  }

  async invoke(payload: string | Buffer, options: InvokeOptions = {}): Promise<InvocationOutcome> {
    if (this.stopping !== undefined) throw new Error('Emulator.invoke: the emulator has been stopped');
    const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
    const invocation = new Invocation(body, options, defaultFunctionArn(this.config.functionName));
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

  /** Ends the runtime process the way Lambda does: SIGTERM only when an extension registered
   * (then SIGKILL after 500 ms), otherwise SIGKILL straight away. */
  async shutdown(): Promise<ShutdownResult> {
    if (this.spawning !== undefined) await this.spawning.catch(() => {});
    const sandbox = this.sandbox;
    if (sandbox === undefined || !sandbox.process.alive) return { sigterm: false, exitedWithinMs: undefined, killed: false };
    const deadlineMs = Date.now() + SHUTDOWN_GRACE_MS;
    const event = JSON.stringify({ eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs });
    for (const waiter of sandbox.extensionWaiters) waiter(event);
    sandbox.extensionWaiters.clear();
    const proc = sandbox.process;
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

  /** SnapStart (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start): the current process's restore routes. */
  get restoreGate(): RestoreGate | undefined {
    return this.server.restoreGate;
  }

  private async startProcess(): Promise<void> {
    const api = this.runtimeApi;
    this.server.restoreGate = this.config.env.AWS_LAMBDA_INITIALIZATION_TYPE === 'snap-start' ? new RestoreGate() : undefined;
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
      firstNextAtMs: undefined,
      initReported: false,
      initError: undefined,
      initErrorAtMs: undefined,
      initErrorDelivered: false,
      extensions: new Map(),
      extensionWaiters: new Set(),
      firstNext: { promise: firstNextPromise, resolve: resolveFirst, reject: rejectFirst },
      serving: new Set(),
      buried: new Promise<void>((resolve) => {
        markBuried = resolve;
      }),
    };
    this.sandbox = sandbox;
    this.queue.hold(false);
    child.onExit((exit) => {
      void this.bury(sandbox, exit).then(markBuried);
    });
    // A process that never finishes init must not leave invokes waiting forever.
    const initGuard = setTimeout(() => {
      if (sandbox.firstNextAtMs !== undefined || this.sandbox !== sandbox) return;
      for (const invocation of this.queue.waitingInvocations()) invocation.timedOut = true;
      child.kill('SIGKILL');
    }, INIT_LIMIT_MS + this.timeoutMs);
    initGuard.unref();
    void child.exited.then(() => clearTimeout(initGuard));
  }

  /** The process died: everything it owed an answer settles (as 'timeout', 'init-error' or 'exited'). */
  private async bury(sandbox: Sandbox, exit: ProcessExit): Promise<void> {
    if (sandbox.firstNextAtMs === undefined) {
      const reason = sandbox.initError !== undefined ? 'after reporting an init error' : `(${describeExit(exit)})`;
      sandbox.firstNext.reject(new Error(`the runtime process ${sandbox.process.pid} exited ${reason} before asking for its first invocation`));
    }
    sandbox.extensionWaiters.clear();
    // Detach at once so that an invoke arriving while the output drains gets a fresh process.
    const victims = [...sandbox.serving];
    for (const invocation of victims) this.queue.release(invocation);
    const orphans = this.sandbox === sandbox ? this.queue.takeWaiting() : [];
    await sandbox.process.exited;
    for (const invocation of victims) {
      if (invocation.timedOut) this.settleTimeout(invocation, exit);
      else this.settleExited(invocation, exit);
    }
    for (const invocation of orphans) {
      if (invocation.timedOut) {
        this.settleTimeout(invocation, exit);
      } else if (sandbox.initError !== undefined) {
        sandbox.initErrorDelivered = true;
        this.settle(invocation, { ...sandbox.initError, exit });
      } else {
        this.settleExited(invocation, exit);
      }
    }
  }

  private settleExited(invocation: Invocation, exit: ProcessExit | undefined): void {
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
    const sandbox = this.servedBy.get(invocation) ?? this.sandbox;
    sandbox?.serving.delete(invocation);
    sandbox?.process.sampleMemory();
    const durationMs = invocation.deliveredAtMs === undefined ? 0 : performance.now() - invocation.deliveredAtMs;
    let initDurationMs = invocation.initDurationMs;
    if (settlement.kind === 'init-error' && sandbox?.initErrorAtMs !== undefined && sandbox.initError !== undefined) {
      initDurationMs = sandbox.initErrorAtMs - sandbox.process.spawnedAtMs;
    }
    const maxMemoryUsedMb = sandbox?.process.maxMemoryUsedMb;
    const status = settlement.kind === 'timeout' ? 'timeout' : settlement.kind === 'exited' ? 'error' : undefined;
    const report = reportLine({
      requestId: invocation.requestId,
      durationMs,
      memorySizeMb: this.config.memorySizeMb,
      maxMemoryUsedMb,
      initDurationMs,
      status,
      errorType: settlement.kind === 'exited' ? 'Runtime.ExitError' : undefined,
    });
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
      json: () => JSON.parse(body.toString('utf8')) as unknown,
    });
  }

  private captureOutput(text: string, stream: 'stdout' | 'stderr'): void {
    if (stream === 'stdout') this.stdoutText += text;
    else this.stderrText += text;
    this.outputText += text;
    if (this.options.echoOutput === true) (stream === 'stdout' ? process.stdout : process.stderr).write(text);
  }

  /** The Runtime API server's view of the service. */
  private backend(): RuntimeApiBackend {
    return {
      onRequest: () => this.sandbox?.process.sampleMemory(),
      nextArrived: () => {
        const sandbox = this.sandbox;
        if (sandbox === undefined || sandbox.firstNextAtMs !== undefined || !sandbox.process.alive) return;
        sandbox.firstNextAtMs = performance.now();
        sandbox.process.sampleMemory();
        sandbox.firstNext.resolve();
      },
      nextInvocation: (signal) => this.nextInvocation(signal),
      redeliver: (invocation) => {
        const timer = this.timers.get(invocation);
        if (timer !== undefined) clearTimeout(timer);
        this.timers.delete(invocation);
        this.servedBy.get(invocation)?.serving.delete(invocation);
        invocation.deliveredAtMs = undefined;
        invocation.deadlineMs = undefined;
        this.queue.putBack(invocation);
      },
      lookup: (requestId) => this.lookup(requestId),
      settle: (invocation, settlement) => this.settle(invocation, settlement),
      initError: (settlement) => this.acceptInitError(settlement),
      registerExtension: (name) => {
        const identifier = randomUUID();
        this.sandbox?.extensions.set(identifier, name);
        const body = JSON.stringify({
          functionName: this.config.functionName,
          functionVersion: this.config.functionVersion,
          handler: this.config.handler,
        });
        return { identifier, body };
      },
      extensionNext: (identifier, signal) => {
        const sandbox = this.sandbox;
        if (sandbox === undefined || !sandbox.extensions.has(identifier)) return undefined;
        return new Promise<string | undefined>((resolve) => {
          const waiter = (event: string): void => resolve(event);
          sandbox.extensionWaiters.add(waiter);
          signal.addEventListener('abort', () => {
            sandbox.extensionWaiters.delete(waiter);
            resolve(undefined);
          });
        });
      },
    };
  }

  private lookup(requestId: string): ResultTarget {
    const invocation = this.open.get(requestId);
    if (invocation !== undefined && invocation.state === 'in-flight') return { kind: 'open', invocation };
    if (this.settledIds.has(requestId)) return { kind: 'settled' };
    return { kind: 'unknown' };
  }

  private async nextInvocation(signal: AbortSignal): Promise<Invocation | undefined> {
    if (this.queue.capacity === 1) {
      for (const abandoned of this.queue.inFlightInvocations()) {
        if (abandoned.resultInProgress) continue;
        const message = `RequestId: ${abandoned.requestId} Error: the runtime asked for the next invocation without posting a result for this one`;
        this.protocolViolations.push(message);
        this.settle(abandoned, {
          kind: 'error',
          body: Buffer.from(apiError('Runtime.NoResult', message)),
          errorType: 'Runtime.NoResult',
          recordedErrorType: 'Runtime.NoResult',
        });
      }
    }
    const invocation = await this.queue.poll(signal);
    if (invocation === undefined) return undefined;
    invocation.deliveredAtMs = performance.now();
    invocation.deadlineMs = invocation.options.deadlineMs ?? Date.now() + this.timeoutMs;
    const current = this.sandbox;
    if (current !== undefined) {
      this.servedBy.set(invocation, current);
      current.serving.add(invocation);
      if (!current.initReported && current.firstNextAtMs !== undefined) {
        current.initReported = true;
        invocation.initDurationMs = current.firstNextAtMs - current.process.spawnedAtMs;
      }
    }
    const timer = setTimeout(() => this.onTimeout(invocation), Math.max(0, invocation.deadlineMs - Date.now()));
    this.timers.set(invocation, timer);
    return invocation;
  }

  private acceptInitError(settlement: Settlement): boolean {
    const sandbox = this.sandbox;
    if (sandbox === undefined || !sandbox.process.alive) return false;
    if (sandbox.firstNextAtMs !== undefined || sandbox.initError !== undefined) return false;
    sandbox.initError = settlement;
    sandbox.initErrorAtMs = performance.now();
    // No events go to a process that failed its init; Lambda resets it if it does not exit itself.
    this.queue.hold(true);
    const reset = setTimeout(() => sandbox.process.kill('SIGKILL'), INIT_ERROR_EXIT_GRACE_MS);
    reset.unref();
    void sandbox.process.exited.then(() => clearTimeout(reset));
    return true;
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
  for (const key of ['memorySizeMb', 'timeoutMs', 'maxConcurrency'] as const) {
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
