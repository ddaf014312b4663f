// How long the local service really waits for a durable wait or retry delay. On Lambda a
// `context.wait({ days: 1 })` ends a day later; locally a developer wants it sooner:
//   skipTime   — every wait and retry delay ends at once (as the testing SDK's `skipTime`);
//   timeScale  — N: time runs N times faster (86400: a day passes in a second);
//   neither    — real time, as on Lambda.
// The same clock runs callback and heartbeat timeouts and the execution timeout (virtual-clock.ts).

export interface DurableClock {
  /** End waits and retry delays at once. Default false. */
  skipTime?: boolean;
  /** Run waits and retry delays this many times faster than real time (> 0). Default 1. */
  timeScale?: number;
  /** The function's DurableConfig.ExecutionTimeout in seconds (1…31622400), timed on the same
   * clock; none when undefined (`--execution-timeout`). */
  executionTimeout?: number;
}

/** Milliseconds to really wait until `due` (a service timestamp), under the clock's settings. Never negative. */
export function realDelayMs(due: Date | undefined, clock: DurableClock, now = Date.now()): number {
  if (clock.skipTime === true || due === undefined) return 0;
  const remaining = Math.max(0, due.getTime() - now);
  return Math.ceil(remaining / (clock.timeScale ?? 1));
}

/** Parses a `--time-scale` value: a positive number. Throws a sentence naming the flag otherwise. */
export function parseTimeScale(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`--time-scale must be a positive number (86400 makes a day pass in a second), got "${text}"`);
  }
  return value;
}
