// Ctrl-C and SIGTERM to the tool: Lambda's shutdown sequence, not a kill. A terminal's Ctrl-C
// signals the tool's process group; the runtime lives in its own (emulator/sandbox/function-process.ts),
// so only the tool hears it, and then stops the runtime the way the Lambda service does
// (Emulator.shutdown(): SIGTERM when an extension is registered, 500 ms, then SIGKILL), as the
// emulator's own CLI does.

// SIGHUP too: a closed terminal would otherwise end the tool without its exit handlers, and the
// runtime, in its own process group, would live on with the developer's credentials.
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

// The parent's exit too. `npx lambda-bootstrap serve` runs the tool under npm and a `sh -c`; a
// script or test runner that kills npx's pid ends npm and the shell, but the shell does not pass
// the signal on, so the tool (and the function with the developer's credentials) went on serving,
// reparented to init. Linux's PR_SET_PDEATHSIG is not reachable from Node: the parent's pid is
// polled instead (a getppid() a second, unref'd so it never keeps the tool alive).
const PARENT_POLL_MS = 1_000;

/**
 * An AbortSignal that aborts at the first SIGINT, SIGTERM or SIGHUP, its reason the signal's name,
 * or when the process that started the tool exits (reason `parent process <pid> exited`). While it
 * is listened for, those signals no longer end the process by themselves: the caller shuts down
 * and exits. Later signals are ignored (the shutdown takes at most Lambda's 500 ms grace plus the
 * output's drain). `dispose()` restores the default behaviour.
 */
export function stopSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = (reason: string): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  for (const name of STOP_SIGNALS) process.on(name, stop);
  const parent = process.ppid;
  const poll = setInterval(() => {
    if (process.ppid !== parent) stop(`parent process ${parent} exited`);
  }, PARENT_POLL_MS);
  poll.unref();
  return {
    signal: controller.signal,
    dispose: () => {
      clearInterval(poll);
      for (const name of STOP_SIGNALS) process.off(name, stop);
    },
  };
}
