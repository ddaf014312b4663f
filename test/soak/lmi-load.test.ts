// The Managed Instances load run (test/soak/lmi-load.ts): concurrency 8 on 2 worker threads, with
// /next failures (500 and closed connections), failed result posts, a 2 s period in which the
// Runtime API refuses connections and resets the open ones, and late answers the service refuses
// with 410. `make test` runs 2,000 invocations with the faults packed closer; `make soak` the
// issue's 80,000 (LMI_LOAD_INVOCATIONS=80000; also `node_modules/.bin/node test/soak/lmi-load.ts`).
import { describe, expect, test } from 'vitest';
import { bootstrapCommand, fixturePath } from '../integration/harness.ts';
import { runLoad } from './lmi-load.ts';

const INVOCATIONS = Number(process.env.LMI_LOAD_INVOCATIONS ?? 2_000);
const SMALL = INVOCATIONS < 20_000;
const EVERY = SMALL ? { next: 200, response: 500, late: 400 } : { next: 1_000, response: 5_000, late: 4_000 };

/** How many of the invocation numbers 1 … INVOCATIONS-1 `at` picks (faults are planted before those). */
function count(at: (i: number) => boolean): number {
  let n = 0;
  for (let i = 1; i < INVOCATIONS; i++) if (at(i)) n += 1;
  return n;
}

describe(`Managed Instances under a misbehaving Runtime API (${INVOCATIONS} invocations, 2 workers, concurrency 8)`, () => {
  test('nothing is lost but the results whose own post failed, no record carries another invocation\'s id, no fd leak, still serving', async () => {
    const runtime = bootstrapCommand();
    const results = await runLoad({
      command: runtime.command,
      args: runtime.args,
      env: runtime.env,
      taskRoot: fixturePath('soak'),
      invocations: INVOCATIONS,
      nextFaultEvery: EVERY.next,
      responseFaultEvery: EVERY.response,
      lateEvery: EVERY.late,
    });
    const report = JSON.stringify(results, null, 2);
    const lateCount = Math.floor(INVOCATIONS / EVERY.late);
    expect(results.injected, report).toMatchObject({
      nextFaults: count((i) => i % EVERY.next === 0),
      responseFaults: count((i) => i % EVERY.response === EVERY.response / 2),
      refusedMs: 2_000,
    });
    // The only invocations without their response: those whose result post was failed on
    // purpose, and those whose event the reset cut on its way in (the handler never ran).
    expect(results.lostUnexplained, report).toEqual([]);
    expect(results.lost, report).toBe(results.lostWithFailedPost + results.lostInTransit.length);
    // A post is failed on purpose by a planted 500, or by the reset (it then logs no answer).
    expect(results.lostWithFailedPost, report).toBeLessThanOrEqual(results.injected.responseFaults + (results.failedPostReasons['no answer'] ?? 0));
    expect(results.outcomes.response, report).toBe(INVOCATIONS - lateCount - results.lost);
    // Every late answer timed out; the runtime logged the refusals and went on.
    expect(results.late.count).toBe(lateCount);
    expect(results.late.timedOut, report).toBe(lateCount);
    // Each failed /next was asked again after a backoff, and logged.
    expect(results.nextRetriesLogged, report).toBeGreaterThanOrEqual(results.injected.nextFaults);
    expect(results.recordsChecked, report).toBeGreaterThanOrEqual(2 * INVOCATIONS);
    expect(results.wrongIdRecords, report).toBe(0);
    // No fd leak: at the end no more open than with every connection open before the faults.
    expect(results.fdsWarm, report).not.toBeNaN();
    expect(results.fds.last, report).toBeLessThanOrEqual(results.fdsWarm + 4);
    expect(results.servingAfter, report).toBe(true);
    expect(results.protocolViolations, report).toBe(0);
  }, SMALL ? 300_000 : 3_600_000);
});
