// PauseClock (emulator/pause-clock.ts): a countdown stands still while the clock is held and goes
// on with what was left; holds of several reasons overlap; cancel stops it for good.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PauseClock, cancelLimit } from './pause-clock.ts';

describe('PauseClock', () => {
  it('a countdown does not fire while held, and fires once released with the time it had left', async () => {
    const clock = new PauseClock(false);
    let fired = 0;
    const countdown = clock.timeout(200, () => fired++);
    await sleep(50);
    clock.set('paused', true);
    const left = countdown.remainingMs;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(200); // some of it ran before the hold
    await sleep(300); // longer than the whole countdown
    expect(fired).toBe(0);
    expect(countdown.remainingMs).toBe(left);
    clock.set('paused', false);
    await sleep(left + 50);
    expect(fired).toBe(1);
  });

  it('starts held when waiting for a debugger; overlapping holds release only when all are off', async () => {
    const clock = new PauseClock(true);
    let fired = 0;
    clock.timeout(10, () => fired++);
    clock.set('paused', true);
    clock.set('waiting', false);
    await sleep(50);
    expect(clock.held).toBe(true);
    expect(fired).toBe(0);
    clock.set('paused', false);
    expect(clock.held).toBe(false);
    await sleep(50);
    expect(fired).toBe(1);
  });

  it('cancel (and cancelLimit on either kind of timer) stops a countdown for good', async () => {
    const clock = new PauseClock(false);
    let fired = 0;
    const countdown = clock.timeout(20, () => fired++);
    cancelLimit(countdown);
    cancelLimit(setTimeout(() => fired++, 20));
    cancelLimit(undefined);
    clock.set('paused', true);
    clock.set('paused', false);
    await sleep(80);
    expect(fired).toBe(0);
  });
});
