// One invocation from start to shutdown, printed the way a user debugging a function needs it:
// the `--invoke` of the emulator CLI and the `lambda-bootstrap invoke` command both use it.

import { constants } from 'node:os';
import { Emulator } from './emulator.ts';
import type { EmulatorOptions } from './emulator.ts';
import { shutdownLine } from './shutdown-line.ts';

/** Ends the invocation early: when `signal` aborts (its reason the signal's name, e.g. 'SIGINT'),
 * the runtime is stopped with Lambda's shutdown sequence and a `<prefix>: <signal>: …` line printed. */
export interface InvokeInterrupt {
  signal: AbortSignal;
  prefix: string;
}

/**
 * Starts the runtime, invokes it once with `event` (JSON text), and writes the response body to
 * stdout; to stderr, everything the runtime wrote for the invocation, the REPORT line, then what it
 * wrote while shutting down. Lambda attributes output to an invocation until the runtime asks for
 * the next event (or exits), so printing waits for that (`logsComplete`), and the runtime is then
 * stopped through Lambda's shutdown sequence, not killed. Resolves with the exit code: 0 for a
 * response, 1 for a function error, an init error or a dead runtime; 128 + the signal's number
 * when `interrupt` ended it first (what its output was so far, and the shutdown's, is printed).
 */
export async function invokeOnce(options: EmulatorOptions, event: string, interrupt?: InvokeInterrupt): Promise<number> {
  // One invocation and its shutdown: all of the output is printed, so all of it is kept.
  const emulator = await Emulator.start({ ...options, outputHistoryChars: Number.POSITIVE_INFINITY });
  try {
    const pending = emulator.invoke(event);
    const stopped = interrupt === undefined ? undefined : whenAborted(interrupt.signal);
    const first = await Promise.race(stopped === undefined ? [pending] : [pending, stopped]);
    if (typeof first === 'string' && interrupt !== undefined) {
      pending.catch(() => {}); // settled by the shutdown; nothing to print of it
      process.stderr.write(emulator.output);
      const printed = emulator.output.length;
      const result = await emulator.shutdown();
      process.stderr.write(emulator.output.slice(printed));
      process.stderr.write(`${shutdownLine(interrupt.prefix, first, result)}\n`);
      return 128 + (constants.signals[first as NodeJS.Signals] ?? 0);
    }
    const outcome = await pending;
    await outcome.logsComplete;
    // The invoke phase ends when the extensions subscribed to INVOKE are done with it too: their
    // lines belong before REPORT, and the shutdown sequence comes after.
    await emulator.invokePhaseEnded(options.timeoutMs ?? 30_000);
    // stdout carries only the response, so that it can be piped; everything else goes to stderr.
    const printed = emulator.output.length;
    process.stderr.write(emulator.output);
    process.stderr.write(`${outcome.report}\n`);
    process.stdout.write(outcome.body);
    if (outcome.body.length > 0 && !outcome.body.toString('utf8').endsWith('\n')) process.stdout.write('\n');
    await emulator.shutdown();
    process.stderr.write(emulator.output.slice(printed));
    return outcome.kind === 'response' ? 0 : 1;
  } finally {
    await emulator.stop();
  }
}

/** The abort's reason as text (a signal's name, the parent's exit), once `signal` aborts. */
export function whenAborted(signal: AbortSignal): Promise<string> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(String(signal.reason));
    else signal.addEventListener('abort', () => resolve(String(signal.reason)), { once: true });
  });
}
