// The clock of one durable execution's ExecutionTimeout, apart from the execution's driving
// (execution.ts), which decides what expiring means (it ends TIMED_OUT). The timeout runs on the
// execution's own clock (virtual-clock.ts), not skippable, so --time-scale scales it and
// --skip-time reaches it only when a skipped wait passes its due time. PauseDurableExecution with
// ExecutionTimeoutPaused stops it once the pause takes effect and keeps what it had left;
// ResumeDurableExecution starts it again with that much (docs/durable-functions.md).
import type { ClockTimer, VirtualClock } from './virtual-clock.ts';

/** One execution's timeout: started once, stopped by a pause that asks for it, restarted on resume. */
export class ExecutionTimeout {
  /** DurableConfig.ExecutionTimeout in seconds (1…31622400); undefined: the execution has none. */
  readonly seconds: number | undefined;
  private readonly clock: VirtualClock;
  private readonly expire: () => void;
  /** The running timer, and its due time in virtual epoch milliseconds. */
  private timer: ClockTimer | undefined;
  private due: number | undefined;
  /** Virtual milliseconds left, kept while a pause has stopped the timer. */
  private left: number | undefined;

  /** `expire` runs once, when the timeout passes (not after the timer was stopped or forgotten). */
  constructor(clock: VirtualClock, seconds: number | undefined, expire: () => void) {
    this.clock = clock;
    this.seconds = seconds;
    this.expire = expire;
  }

  /** Starts the timeout at the execution's start: `seconds` of virtual time. Nothing when there is none. */
  start(): void {
    if (this.seconds !== undefined) this.arm(this.seconds * 1000);
  }

  /** The pause took effect and asked for the timeout to stop: keeps what it has left. Nothing when it is not running. */
  pause(): void {
    if (this.timer === undefined || this.due === undefined) return;
    this.left = Math.max(0, this.due - this.clock.now());
    this.timer.cancel();
    this.timer = undefined;
  }

  /** The execution resumed: restarts a timeout that pause() stopped with what it had left. */
  resume(): void {
    if (this.left === undefined) return;
    this.arm(this.left);
    this.left = undefined;
  }

  /** The execution ended and its clock was cleared (the timer with it): drops the timer. */
  forget(): void {
    this.timer = undefined;
  }

  /** Starts (or, after a pause that stopped it, restarts) the timer: `ms` of virtual time. */
  private arm(ms: number): void {
    this.due = this.clock.now() + ms;
    this.timer = this.clock.after(ms, false, () => {
      this.timer = undefined;
      this.expire();
    });
  }
}
