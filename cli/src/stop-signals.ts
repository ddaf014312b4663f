// Ctrl-C and SIGTERM to the tool: Lambda's shutdown sequence, not a kill. A terminal's Ctrl-C
// signals the tool's process group; the runtime lives in its own (emulator/function-process.ts),
// so only the tool hears it, and then stops the runtime the way the Lambda service does
// (Emulator.shutdown(): SIGTERM when an extension is registered, 500 ms, then SIGKILL), as the
// emulator's own CLI does.

// SIGHUP too: a closed terminal would otherwise end the tool without its exit handlers, and the
// runtime, in its own process group, would live on with the developer's credentials.
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * An AbortSignal that aborts at the first SIGINT, SIGTERM or SIGHUP, its reason the signal's name. While
 * it is listened for, those signals no longer end the process by themselves: the caller shuts down
 * and exits. Later signals are ignored (the shutdown takes at most Lambda's 500 ms grace plus the
 * output's drain). `dispose()` restores the default behaviour.
 */
export function stopSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const listener = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) controller.abort(signal);
  };
  for (const name of STOP_SIGNALS) process.on(name, listener);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, listener);
    },
  };
}

/** Resolves with the signal's name when `signal` aborts. */
export function stopped(signal: AbortSignal): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason as NodeJS.Signals);
    else signal.addEventListener('abort', () => resolve(signal.reason as NodeJS.Signals), { once: true });
  });
}
