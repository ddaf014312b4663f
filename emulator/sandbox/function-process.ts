// The runtime as an operating-system process: spawn it, capture its output, learn how it ended,
// and read its peak resident memory (VmHWM) from /proc while it lives.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ProcessExit } from '../invocation.ts';

export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  onStdout: (text: string) => void;
  onStderr: (text: string) => void;
}

export class SpawnError extends Error {
  override name = 'SpawnError';
}

// After 'exit', how long to wait for the pipes to drain ('close') before giving up: a grandchild
// holding them open must not stall the emulator.
const DRAIN_GRACE_MS = 250;

// Runtimes live in their own process groups, so nothing else ends them with the emulator: the
// emulator's own exit does.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
const MEMORY_SAMPLE_MS = 50;

export class FunctionProcess {
  /** The operating system's pid; undefined until started (FunctionProcess.prepare). */
  pid: number | undefined;
  /** performance.now() at spawn; for a prepared process, when it was prepared (its sandbox's init
   * began: with external extensions that is before they start, as Lambda's init duration counts). */
  spawnedAtMs: number;
  exitedAtMs: number | undefined;
  exitStatus: ProcessExit | undefined;
  /** Resolves once the process has exited and its output has been read (or it was killed before
   * it started, or could not be started). */
  readonly exited: Promise<ProcessExit>;
  private child: ChildProcess | undefined;
  private readonly spec: SpawnSpec;
  private readonly prepared: boolean;
  private resolveExited: (exit: ProcessExit) => void = () => {};
  private readonly exitListeners: ((exit: ProcessExit) => void)[] = [];
  private peakKb: number | undefined;
  private readonly sampleListeners: ((rssKb: number) => void)[] = [];
  private sampler: NodeJS.Timeout | undefined;

  /** Spawns the process. Errors: SpawnError when it cannot be started. */
  static async spawn(spec: SpawnSpec): Promise<FunctionProcess> {
    const process = new FunctionProcess(spec, false);
    await process.start();
    return process;
  }

  /**
   * The process, not started yet: alive (it is going to run) until start(), or until kill(),
   * which ends it without ever starting it (its exit: no code, the signal). The emulator prepares
   * the runtime this way when its sandbox starts external extensions first, as Lambda does.
   */
  static prepare(spec: SpawnSpec): FunctionProcess {
    return new FunctionProcess(spec, true);
  }

  private constructor(spec: SpawnSpec, prepared: boolean) {
    this.spec = spec;
    this.prepared = prepared;
    this.spawnedAtMs = performance.now();
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
  }

  /** True once the operating system's process exists. */
  get started(): boolean {
    return this.child !== undefined;
  }

  /**
   * Starts a prepared process (nothing when it is started already or was killed). Errors:
   * SpawnError when it cannot be started; it is then no longer alive (its exit listeners are not
   * called: it never ran).
   */
  start(): Promise<void> {
    if (this.child !== undefined || !this.alive) return Promise.resolve();
    const spec = this.spec;
    return new Promise((resolve, reject) => {
      const child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group: Ctrl-C in a terminal signals the emulator's group, and the emulator
        // then runs Lambda's shutdown sequence; the runtime must not get SIGINT directly.
        detached: true,
      });
      child.once('error', (error) => {
        if (this.child !== undefined) return;
        this.ended({ code: null, signal: null }, false);
        reject(
          new SpawnError(
            `Cannot start the runtime '${spec.command}' (cwd ${spec.cwd}): ${error.message}. ` +
              'Check that EmulatorOptions.command is an absolute path to an executable file.',
          ),
        );
      });
      child.once('spawn', () => {
        if (child.pid === undefined) {
          this.ended({ code: null, signal: null }, false);
          reject(new SpawnError(`the runtime '${spec.command}' has no pid after spawning`));
          return;
        }
        this.attach(child);
        resolve();
      });
    });
  }

  private attach(child: ChildProcess): void {
    const spec = this.spec;
    this.child = child;
    this.pid = child.pid;
    live.add(child);
    if (!this.prepared) this.spawnedAtMs = performance.now();
    child.on('error', () => {}); // a failed kill() of an already-dead process; nothing to do
    child.stdout?.setEncoding('utf8').on('data', (text: string) => spec.onStdout(text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => spec.onStderr(text));
    const sampler = setInterval(() => this.sampleMemory(), MEMORY_SAMPLE_MS);
    sampler.unref();
    this.sampler = sampler;
    this.sampleMemory();

    let closed = false;
    const closedPromise = new Promise<void>((resolve) =>
      child.once('close', () => {
        closed = true;
        resolve();
      }),
    );
    child.once('exit', (code, signal) => {
      live.delete(child);
      clearInterval(sampler);
      const exit: ProcessExit = { code, signal };
      this.exitedAtMs = performance.now();
      this.exitStatus = exit;
      for (const listener of this.exitListeners) listener(exit);
      if (closed) return this.resolveExited(exit);
      const grace = setTimeout(() => this.resolveExited(exit), DRAIN_GRACE_MS);
      void closedPromise.then(() => {
        clearTimeout(grace);
        this.resolveExited(exit);
      });
    });
  }

  /** The end of a process that never ran: killed before start(), or start() failed. */
  private ended(exit: ProcessExit, notify: boolean): void {
    this.exitedAtMs = performance.now();
    this.exitStatus = exit;
    if (notify) for (const listener of this.exitListeners) listener(exit);
    this.resolveExited(exit);
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  /** Called synchronously when the process exits (before its output has necessarily drained). */
  onExit(listener: (exit: ProcessExit) => void): void {
    this.exitListeners.push(listener);
  }

  /** Called with the resident set size (VmRSS, kB) at every memory sample (every 50 ms). */
  onSample(listener: (rssKb: number) => void): void {
    this.sampleListeners.push(listener);
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    if (this.child === undefined) this.ended({ code: null, signal }, true);
    else this.child.kill(signal);
  }

  /** Reads VmHWM (peak resident set) from /proc; keeps the last good reading after death. */
  sampleMemory(): void {
    if (!this.alive || this.pid === undefined) return;
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
      if (match?.[1] !== undefined) this.peakKb = Number(match[1]);
      const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      if (rss?.[1] !== undefined) for (const listener of this.sampleListeners) listener(Number(rss[1]));
    } catch {
      // the process is gone or /proc is unavailable: keep the last reading
    }
  }

  /** Peak resident memory in MB (rounded up), as Lambda's "Max Memory Used". */
  get maxMemoryUsedMb(): number | undefined {
    return this.peakKb === undefined ? undefined : Math.ceil(this.peakKb / 1024);
  }
}
