// One execution's clock under --skip-time / --time-scale, so that every duration of the execution
// runs on the same time: waits and retry delays, callback and heartbeat timeouts, the execution
// timeout. On Lambda they all run on the wall clock; locally the developer asks for time to pass
// faster, and a timeout must not keep real time while the wait beside it is skipped (a callback
// with a 1-hour timeout beside a skipped 1-day wait has timed out when the wait ends, as on Lambda).
//   real       — virtual time is real time;
//   timeScale  — virtual time runs N times faster from the execution's start;
//   skipTime   — virtual time is real time plus what was skipped: once the execution is idle (no
//                invocation in flight), the earliest *skippable* timer (a wait or a retry delay)
//                fires and moves the clock to its due time, every other timer due by then firing
//                first, in due order; then the next, once the execution is idle again. (Idle
//                first, as a fake clock advances: everything the invocation starts is on the clock
//                before time jumps.) A timeout is not skippable: it fires when the clock reaches
//                it, by real time passing or by a skip.
// Why hand-written: the fake-timer libraries (@sinonjs/fake-timers, which the testing SDK's
// skipTime uses) replace the process's global timers; here each execution has its own clock
// while the server's own timers keep real time.
import type { DurableClock } from './time-scale.ts';

/** A scheduled timer; cancel() is idempotent. */
export interface ClockTimer {
  cancel(): void;
}

interface Entry {
  due: number;
  skippable: boolean;
  run: () => void;
  real: NodeJS.Timeout | undefined;
  done: boolean;
}

export class VirtualClock {
  private readonly skip: boolean;
  private readonly scale: number;
  private readonly origin = Date.now();
  /** Milliseconds of virtual time skipped so far (skipTime). */
  private offset = 0;
  private readonly entries = new Set<Entry>();
  private busy = false;
  private drainScheduled = false;

  constructor(clock: DurableClock) {
    this.skip = clock.skipTime === true;
    this.scale = this.skip ? 1 : (clock.timeScale ?? 1);
  }

  /** Virtual now, in epoch milliseconds. */
  now(): number {
    const real = Date.now();
    return this.skip ? real + this.offset : this.origin + (real - this.origin) * this.scale;
  }

  /**
   * Runs `run` once `ms` of virtual time have passed. `skippable` (waits, retry delays): under
   * skipTime it fires at once, moving the clock to its due time. Returns a handle to cancel it.
   */
  after(ms: number, skippable: boolean, run: () => void): ClockTimer {
    const entry: Entry = { due: this.now() + Math.max(0, ms), skippable, run, real: undefined, done: false };
    this.entries.add(entry);
    if (this.skip && skippable) this.scheduleDrain();
    else {
      entry.real = setTimeout(() => {
        entry.real = undefined;
        this.fire(entry);
      }, Math.ceil(Math.max(0, ms) / this.scale));
    }
    return { cancel: () => this.cancel(entry) };
  }

  /** Whether an invocation is in flight: under skipTime, time jumps only while none is. */
  setBusy(busy: boolean): void {
    this.busy = busy;
    if (!busy) this.scheduleDrain();
  }

  /** Milliseconds of virtual time until a service timestamp (the checkpoint server's, in real time), as seen now. */
  untilServiceTime(due: Date | undefined): number {
    return due === undefined ? 0 : Math.max(0, due.getTime() - Date.now());
  }

  /** Cancels every timer (the execution has ended). */
  clear(): void {
    for (const entry of [...this.entries]) this.cancel(entry);
  }

  private cancel(entry: Entry): void {
    entry.done = true;
    if (entry.real !== undefined) clearTimeout(entry.real);
    entry.real = undefined;
    this.entries.delete(entry);
  }

  private fire(entry: Entry): void {
    if (entry.done) return;
    this.cancel(entry);
    entry.run();
  }

  /** skipTime: soon (after what this turn still records), skip to the earliest skippable timer if idle. */
  private scheduleDrain(): void {
    if (!this.skip || this.drainScheduled) return;
    this.drainScheduled = true;
    setTimeout(() => {
      this.drainScheduled = false;
      if (this.busy) return;
      const next = [...this.entries].filter((e) => e.skippable).sort((a, b) => a.due - b.due)[0];
      if (next !== undefined) this.skipTo(next);
    }, 0);
  }

  /** skipTime: moves the clock to `target`'s due time, firing everything due by then in due order. */
  private skipTo(target: Entry): void {
    if (target.done) return;
    const due = [...this.entries].filter((e) => e.due <= target.due).sort((a, b) => a.due - b.due);
    for (const entry of due) {
      if (entry.done) continue;
      const gap = entry.due - this.now();
      if (gap > 0) this.offset += gap;
      this.fire(entry);
    }
  }
}
