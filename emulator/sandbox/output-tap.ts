// Function output as the service reads it off the runtime's pipes: every chunk goes to the
// attribution in function-output.ts (and, when asked, is echoed to this process), the service's
// own log lines (INIT_REPORT, "Task timed out") join it, and `quiet()` says when what the runtime
// wrote before asking for more work has been read, so an invocation's log can be closed.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FunctionOutput } from './function-output.ts';

// Output counts as complete once the runtime asked for more work and its pipes stayed quiet this long.
const OUTPUT_QUIET_MS = 25;
const OUTPUT_QUIET_LIMIT_MS = 1_000;

export class OutputTap {
  private lastOutputAtMs = 0;
  private readonly functionOutput: FunctionOutput;
  private readonly echo: boolean | 'stderr' | undefined;

  /** `echo`: EmulatorOptions.echoOutput (true = each pipe to its own; 'stderr' = both to stderr). */
  constructor(functionOutput: FunctionOutput, echo: boolean | 'stderr' | undefined) {
    this.functionOutput = functionOutput;
    this.echo = echo;
  }

  /** A chunk the runtime (or an external extension) wrote to `stream`. */
  capture(text: string, stream: 'stdout' | 'stderr'): void {
    this.lastOutputAtMs = performance.now();
    this.functionOutput.capture(text, stream);
    const echo = this.echo;
    if (echo === 'stderr') process.stderr.write(text);
    else if (echo === true) (stream === 'stdout' ? process.stdout : process.stderr).write(text);
  }

  /** A line the service itself writes to the function's log (INIT_REPORT, "Task timed out"). */
  platformLine(line: string, requestId?: string): void {
    this.functionOutput.platformLine(line, requestId);
    if (this.echo !== undefined && this.echo !== false) process.stderr.write(`${line}\n`);
  }

  /** Resolves once no output has arrived for OUTPUT_QUIET_MS: what the runtime wrote before it
   * asked for more work is then read from its pipes (data in a pipe is readable within one poll).
   * Gives up waiting after OUTPUT_QUIET_LIMIT_MS of steady output. */
  async quiet(): Promise<void> {
    // Measured from now at the earliest: bytes already in a pipe arrive in a later event-loop turn.
    const started = performance.now();
    while (performance.now() - started < OUTPUT_QUIET_LIMIT_MS) {
      const quietFor = performance.now() - Math.max(this.lastOutputAtMs, started);
      if (quietFor >= OUTPUT_QUIET_MS) return;
      await sleep(OUTPUT_QUIET_MS - quietFor);
    }
  }
}
