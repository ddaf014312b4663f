// External extensions: the executables Lambda finds in /opt/extensions (a layer's extensions/
// folder) and starts in the execution environment before the runtime (emulator.ts starts the
// runtime once they registered), each with the function's environment and AWS_LAMBDA_RUNTIME_API,
// to register through the Extensions API under their file
// name (AWS docs, "Lambda Extensions API": "Lambda starts each extension ... The name must match
// the file name of the extension"; rapid's external agents). The emulator (emulator.ts) keeps
// their state in the same table as internal extensions; this file owns their processes: starting
// them, prefixing each line they write with their name (on Lambda their lines go to the function's
// log stream as written; locally the name says whose line it is), and ending them.
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FunctionProcess } from './function-process.ts';

/** One external extension: its executable (absolute path); its name is the file name. */
export interface ExternalExtensionSpec {
  path: string;
}

export type ExtensionOutput = (text: string, stream: 'stdout' | 'stderr') => void;

export class ExternalExtensions {
  private readonly processes = new Map<string, FunctionProcess>();
  private readonly specs: ReadonlyMap<string, ExternalExtensionSpec>;
  private killed = false;

  /** The extensions of `specs`, not started yet; a name seen twice is one file of /opt/extensions. */
  constructor(specs: readonly ExternalExtensionSpec[]) {
    const byName = new Map<string, ExternalExtensionSpec>();
    for (const spec of specs) if (!byName.has(basename(spec.path))) byName.set(basename(spec.path), spec);
    this.specs = byName;
  }

  /**
   * Starts every extension, in order. `onOutput` gets their output line by line, each line
   * prefixed with `[name] `; `onExit` is called when one exits. Once kill() was called none is
   * started any more. Errors: SpawnError when one cannot be started (those started are killed).
   */
  async start(env: Record<string, string>, cwd: string, onOutput: ExtensionOutput, onExit: () => void): Promise<void> {
    try {
      for (const [name, spec] of this.specs) {
        if (this.killed) return;
        const lines = { stdout: new LinePrefixer(name), stderr: new LinePrefixer(name) };
        const child = await FunctionProcess.spawn({
          command: spec.path,
          args: [],
          cwd,
          env,
          onStdout: (text) => onOutput(lines.stdout.feed(text), 'stdout'),
          onStderr: (text) => onOutput(lines.stderr.feed(text), 'stderr'),
        });
        void child.exited.then(() => {
          for (const [stream, prefixer] of Object.entries(lines) as ['stdout' | 'stderr', LinePrefixer][]) {
            const rest = prefixer.flush();
            if (rest !== '') onOutput(rest, stream);
          }
          onExit();
        });
        this.processes.set(name, child);
        if (this.killed) child.kill('SIGKILL');
      }
    } catch (error) {
      this.kill('SIGKILL');
      throw error;
    }
  }

  /** The extensions' names (their file names). */
  get names(): string[] {
    return [...this.specs.keys()];
  }

  has(name: string): boolean {
    return this.specs.has(name);
  }

  /** True while its process may still register: not started yet, or running. */
  alive(name: string): boolean {
    const child = this.processes.get(name);
    return child === undefined ? !this.killed && this.specs.has(name) : child.alive;
  }

  get anyAlive(): boolean {
    return [...this.processes.values()].some((p) => p.alive);
  }

  /** Resolves true once every process has exited, false when `ms` passed first. */
  async allExited(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const done = Promise.all([...this.processes.values()].map((p) => p.exited)).then(() => true as const);
    const result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return result;
  }

  kill(signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL') this.killed = true;
    for (const child of this.processes.values()) if (child.alive) child.kill(signal);
  }

  killOne(name: string, signal: NodeJS.Signals): void {
    const child = this.processes.get(name);
    if (child?.alive === true) child.kill(signal);
  }
}

/** Splits a pipe's text into lines and puts `[name] ` before each complete one. */
class LinePrefixer {
  private partial = '';
  private readonly prefix: string;

  constructor(name: string) {
    this.prefix = `[${name}] `;
  }

  feed(text: string): string {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map((line) => `${this.prefix}${line}\n`).join('');
  }

  flush(): string {
    const rest = this.partial;
    this.partial = '';
    return rest === '' ? '' : `${this.prefix}${rest}\n`;
  }
}

/** Lambda's shutdown limit with external extensions registered (AWS docs, "Shutdown phase": 500 ms
 * for the runtime alone or with internal extensions, 2,000 ms with one or more external ones). */
export const SHUTDOWN_WITH_EXTERNALS_MS = 2000;
/** Of which the runtime gets this long after its SIGTERM (rapid/shutdown.go: the runtime first). */
export const RUNTIME_SHUTDOWN_MS = 500;

/** What the shutdown sequence needs of the emulator's sandbox. */
export interface ShuttingDown {
  process: { kill(signal: NodeJS.Signals): void; readonly alive: boolean; readonly exited: Promise<unknown>; readonly exitedAtMs: number | undefined };
  extensions: Map<string, { name: string; external?: boolean; events: Set<string>; pending: ((answer: { status: number; body: string; headers?: Record<string, string> } | undefined) => void) | undefined; shutdownEvent?: string }>;
  externals?: ExternalExtensions;
  buried: Promise<void>;
  shuttingDown?: boolean;
}

/**
 * Lambda's shutdown sequence with external extensions (rapid/shutdown.go): SIGTERM to the runtime,
 * SIGKILL if it is still there after RUNTIME_SHUTDOWN_MS; then the SHUTDOWN event
 * (`{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":…}`) to every external
 * extension subscribed to it (at once when it waits in event/next, else on its next one); they
 * have until the deadline to exit, then SIGKILL, as are extensions not subscribed.
 * Returns the runtime's part: whether it got SIGTERM, how soon it exited, whether it was killed.
 */
export async function shutdownWithExternals(
  sandbox: ShuttingDown,
  marshal: (value: unknown) => string,
): Promise<{ sigterm: boolean; exitedWithinMs: number | undefined; killed: boolean }> {
  sandbox.shuttingDown = true;
  const started = performance.now();
  const deadlineMs = Date.now() + SHUTDOWN_WITH_EXTERNALS_MS;
  const proc = sandbox.process;
  proc.kill('SIGTERM');
  const exitedInTime = await Promise.race([proc.exited.then(() => true), delay(RUNTIME_SHUTDOWN_MS).then(() => false)]);
  const killed = !exitedInTime && proc.alive;
  if (killed) proc.kill('SIGKILL');
  const runtime = { sigterm: true, exitedWithinMs: killed ? undefined : (proc.exitedAtMs ?? performance.now()) - started, killed };
  const body = marshal({ eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs });
  for (const extension of sandbox.extensions.values()) {
    if (extension.external !== true || !extension.events.has('SHUTDOWN')) continue;
    const pending = extension.pending;
    extension.pending = undefined;
    if (pending !== undefined) pending({ status: 200, body, headers: { 'Lambda-Extension-Event-Identifier': randomUUID() } });
    else extension.shutdownEvent = body;
  }
  const externals = sandbox.externals;
  if (externals !== undefined) {
    const subscribed = new Set([...sandbox.extensions.values()].filter((e) => e.external === true && e.events.has('SHUTDOWN')).map((e) => e.name));
    for (const name of externals.names) if (!subscribed.has(name)) externals.killOne(name, 'SIGKILL');
    const left = Math.max(0, deadlineMs - Date.now());
    if (!(await externals.allExited(left))) externals.kill('SIGKILL');
    await externals.allExited(1000);
  }
  await sandbox.buried;
  return runtime;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
