// The clock of a runtime under a debugger (the npm tool's --inspect, issue 24): the service's time
// limits (the function timeout, the init limit) count only the time the runtime's JavaScript can
// run, not the time a debugger holds it paused at a breakpoint or while --inspect-brk waits for a
// debugger to attach. emulator/debugger-observer.ts tells the clock when the runtime is held; the
// emulator arms its limits on the clock with `timeout`. Without a debugger no clock exists and the
// limits are plain timers (nothing here is on that path).
import { performance } from 'node:perf_hooks';

/** Why the runtime is held: paused by a debugger, or waiting for one (--inspect-brk), or its
 * debugger cannot be observed (then no limit runs, as the safe side for a paused runtime). */
export type HoldReason = 'paused' | 'waiting' | 'unobserved';

export class PauseClock {
  private readonly holds = new Set<HoldReason>();
  private readonly listeners = new Set<() => void>();

  /** `waiting`: the runtime starts held until its debugger lets it run (--inspect-brk). */
  constructor(waiting: boolean) {
    if (waiting) this.holds.add('waiting');
  }

  /** True while some hold is on: the limits armed on this clock do not run. */
  get held(): boolean {
    return this.holds.size > 0;
  }

  /** Puts a hold on (`on` true) or takes it off; listeners hear of a change of `held` only. */
  set(reason: HoldReason, on: boolean): void {
    const was = this.held;
    if (on) this.holds.add(reason);
    else this.holds.delete(reason);
    if (was !== this.held) for (const listener of [...this.listeners]) listener();
  }

  /** Calls `fire` once `ms` milliseconds of unheld time have passed; the countdown stops while
   * the clock is held and goes on from where it stopped. `unref`: the countdown alone does not
   * keep the process alive (as Timeout.unref()). */
  timeout(ms: number, fire: () => void, unref = false): PausableTimeout {
    return new PausableTimeout(this, this.listeners, ms, fire, unref);
  }
}

/** A countdown on a PauseClock (PauseClock.timeout). */
export class PausableTimeout {
  private leftMs: number;
  private timer: NodeJS.Timeout | undefined;
  private startedAtMs = 0;
  private done = false;
  private readonly onChange: () => void;
  private readonly clock: PauseClock;
  private readonly listeners: Set<() => void>;
  private readonly fire: () => void;
  private readonly unref: boolean;

  constructor(clock: PauseClock, listeners: Set<() => void>, ms: number, fire: () => void, unref: boolean) {
    this.clock = clock;
    this.listeners = listeners;
    this.leftMs = Math.max(0, ms);
    this.fire = fire;
    this.unref = unref;
    this.onChange = () => (this.clock.held ? this.stop() : this.run());
    listeners.add(this.onChange);
    if (!clock.held) this.run();
  }

  /** Milliseconds of unheld time still to run. */
  get remainingMs(): number {
    return this.timer === undefined ? this.leftMs : Math.max(0, this.leftMs - (performance.now() - this.startedAtMs));
  }

  cancel(): void {
    this.done = true;
    this.stop();
    this.listeners.delete(this.onChange);
  }

  private run(): void {
    if (this.done || this.timer !== undefined) return;
    this.startedAtMs = performance.now();
    this.timer = setTimeout(() => {
      this.cancel();
      this.fire();
    }, this.leftMs);
    if (this.unref) this.timer.unref();
  }

  private stop(): void {
    if (this.timer === undefined) return;
    this.leftMs = this.remainingMs;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Cancels a limit armed either as a plain timer or on a PauseClock. */
export function cancelLimit(timer: NodeJS.Timeout | PausableTimeout | undefined): void {
  if (timer instanceof PausableTimeout) timer.cancel();
  else if (timer !== undefined) clearTimeout(timer);
}
