// How a stopped runtime ended, in one line: what the emulator CLI and the npm tool print when
// Ctrl-C or SIGTERM ends them (both run Lambda's shutdown sequence, Emulator.shutdown()).
import type { ShutdownResult } from './emulator.ts';

/**
 * `<prefix>: <signal>: …` with the time from SIGTERM to the runtime's exit (ms), or why SIGKILL
 * came instead (no extension registered: Lambda sends no SIGTERM; still running after Lambda's
 * 500 ms grace). `prefix` names the program printing it ('emulator', 'lambda-bootstrap').
 */
export function shutdownLine(prefix: string, signal: string, result: ShutdownResult): string {
  if (!result.sigterm) {
    return result.killed
      ? `${prefix}: ${signal}: no extension registered, so the runtime got SIGKILL (as on Lambda)`
      : `${prefix}: ${signal}: no runtime was running`;
  }
  if (result.killed) return `${prefix}: ${signal}: SIGTERM sent; the runtime was still running after 500 ms and got SIGKILL`;
  return `${prefix}: ${signal}: SIGTERM sent; the runtime exited ${(result.exitedWithinMs ?? 0).toFixed(1)} ms later`;
}
