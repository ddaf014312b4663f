// One invocation from start to shutdown, printed the way a user debugging a function needs it:
// the `--invoke` of the emulator CLI and the `lambda-bootstrap invoke` command both use it.

import { Emulator } from './emulator.ts';
import type { EmulatorOptions } from './emulator.ts';

/**
 * Starts the runtime, invokes it once with `event` (JSON text), and writes the response body to
 * stdout; to stderr, everything the runtime wrote for the invocation, the REPORT line, then what it
 * wrote while shutting down. Lambda attributes output to an invocation until the runtime asks for
 * the next event (or exits), so printing waits for that (`logsComplete`), and the runtime is then
 * stopped through Lambda's shutdown sequence, not killed. Resolves with the exit code: 0 for a
 * response, 1 for a function error, an init error or a dead runtime.
 */
export async function invokeOnce(options: EmulatorOptions, event: string): Promise<number> {
  // One invocation and its shutdown: all of the output is printed, so all of it is kept.
  const emulator = await Emulator.start({ ...options, outputHistoryChars: Number.POSITIVE_INFINITY });
  try {
    const outcome = await emulator.invoke(event);
    await outcome.logsComplete;
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
