// Unit tests of the local durable service's clock and history paging (emulator/durable/
// virtual-clock.ts, history-view.ts); test/integration/durable-service.test.ts runs them for real.
import { describe, expect, it } from 'vitest';
import { PageError, markerPosition, maxItemsOf, mergeHistory, page } from '../../emulator/durable/history-view.ts';
import { VirtualClock } from '../../emulator/durable/virtual-clock.ts';

const HOUR = 3_600_000;
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));

describe('VirtualClock under skipTime', () => {
  it('a skipped wait moves the clock to its end, firing what was due before it first, in due order', async () => {
    const clock = new VirtualClock({ skipTime: true });
    const fired: string[] = [];
    clock.after(HOUR, false, () => fired.push('callback timeout (1 h)'));
    clock.after(10 * HOUR, false, () => fired.push('heartbeat timeout (10 h)'));
    clock.after(48 * HOUR, false, () => fired.push('execution timeout (2 days)'));
    const before = clock.now();
    clock.after(24 * HOUR, true, () => fired.push('wait (1 day)'));
    await tick();
    expect(fired).toEqual(['callback timeout (1 h)', 'heartbeat timeout (10 h)', 'wait (1 day)']);
    expect(clock.now() - before).toBeGreaterThanOrEqual(24 * HOUR);
    clock.clear();
  });

  it('time jumps only while no invocation is in flight, one skippable timer at a time', async () => {
    const clock = new VirtualClock({ skipTime: true });
    const fired: string[] = [];
    clock.setBusy(true);
    clock.after(24 * HOUR, true, () => fired.push('1 day'));
    clock.after(HOUR, true, () => fired.push('1 h'));
    await tick();
    expect(fired).toEqual([]);
    clock.setBusy(false);
    await tick();
    expect(fired).toEqual(['1 h']);
    clock.setBusy(true);
    clock.setBusy(false);
    await tick();
    expect(fired).toEqual(['1 h', '1 day']);
  });

  it('a timeout alone keeps real time; a cancelled timer never fires', async () => {
    const clock = new VirtualClock({ skipTime: true });
    const fired: string[] = [];
    clock.after(HOUR, false, () => fired.push('timeout'));
    const cancelled = clock.after(1, true, () => fired.push('cancelled wait'));
    cancelled.cancel();
    await tick();
    expect(fired).toEqual([]);
    clock.clear();
  });
});

describe('VirtualClock under timeScale', () => {
  it('every timer runs N times faster, timeouts as waits', async () => {
    // 72000×: an hour is 50 ms, two hours 100 ms.
    const clock = new VirtualClock({ timeScale: 72_000 });
    const fired: string[] = [];
    clock.after(2 * HOUR, false, () => fired.push('2 h timeout'));
    clock.after(HOUR, true, () => fired.push('1 h wait'));
    while (fired.length < 2) await tick();
    expect(fired).toEqual(['1 h wait', '2 h timeout']);
  });
});

describe('history paging', () => {
  it('MaxItems: absent or 0 is 100, 1…1000, else ValidationException', () => {
    expect(maxItemsOf(null)).toBe(100);
    expect(maxItemsOf('0')).toBe(100);
    expect(maxItemsOf('1000')).toBe(1000);
    expect(() => maxItemsOf('1001')).toThrow(PageError);
    expect(() => maxItemsOf('-1')).toThrow(/at 'maxItems' failed to satisfy constraint/);
  });

  it('pages follow NextMarker to the end; a marker of another listing is refused', () => {
    const items = [1, 2, 3, 4, 5];
    const first = page(items, (n) => n, 'history', 2, undefined, false);
    expect(first.items).toEqual([1, 2]);
    const second = page(items, (n) => n, 'history', 2, markerPosition('history', first.nextMarker ?? null), false);
    expect(second.items).toEqual([3, 4]);
    const last = page(items, (n) => n, 'history', 2, markerPosition('history', second.nextMarker ?? null), false);
    expect(last).toEqual({ items: [5] });
    expect(() => markerPosition('list', first.nextMarker ?? null)).toThrow(/Invalid Marker/);
  });

  it("the service's own events go after the checkpoint server's event they followed, all numbered 1…n", () => {
    const merged = mergeHistory(
      [
        { EventId: 1, EventType: 'ExecutionStarted' },
        { EventId: 2, EventType: 'InvocationCompleted' },
        { EventId: 3, EventType: 'CallbackSucceeded' },
      ],
      [
        { after: 2, event: { EventId: 0, EventType: 'ExecutionPaused' } },
        { after: 3, event: { EventId: 0, EventType: 'ExecutionResumed' } },
      ],
      { executionTimeout: 60, chainedInvokes: new Map() },
    );
    expect(merged.map((e) => `${e.EventId} ${e.EventType}`)).toEqual(['1 ExecutionStarted', '2 InvocationCompleted', '3 ExecutionPaused', '4 CallbackSucceeded', '5 ExecutionResumed']);
    expect(merged[0]?.ExecutionStartedDetails).toEqual({ ExecutionTimeout: 60 });
  });
});
