// The emulator's options: what a caller configures of the stand-in service (the function's
// configuration, the sandbox's limits, which service behaviours to model), and their check at
// Emulator.start, which names every bad option at once.
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { ProcessExit } from './invocation.ts';
import type { ExternalExtensionSpec } from './sandbox/external-extensions.ts';

export interface EmulatorOptions {
  command: string;
  args?: string[];
  /** The uid the runtime process runs as when `command` switches user (setpriv, runuser), as
   * Lambda runs functions as a user of their own: the Runtime API answers that user's processes
   * too. Default: this process's user only (emulator/peer-user.ts). */
  runtimeUid?: number;
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
   * runtime process as Lambda starts /opt/extensions/* (emulator/sandbox/external-extensions.ts). */
  externalExtensions?: ExternalExtensionSpec[];
  /** The runtime runs with Node's inspector (the npm tool's --inspect; `waitsForDebugger`:
   * --inspect-brk): the function timeout and the init limit count only the time the runtime is
   * not held by a debugger (emulator/debugger-observer.ts); the deadline the runtime is given
   * (Lambda-Runtime-Deadline-Ms) is still timeoutMs from its delivery. */
  debugging?: { waitsForDebugger?: boolean };
  /** Called as the runtime posts /runtime/init/error, with the error it reported (errorType from
   * the Lambda-Runtime-Function-Error-Type header or the body; errorMessage from the body, '' when
   * the body is not Lambda's error JSON): the npm tool explains it (cli/src/init-hint.ts). */
  onInitError?: (error: { errorType: string; errorMessage: string }) => void;
}

/** Throws a TypeError naming every invalid option (Emulator.start calls it before anything starts). */
export function validateOptions(options: EmulatorOptions): void {
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
