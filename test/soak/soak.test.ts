// Issue 6, soak: thousands of invocations in one runtime process, alternating success, error and
// a 1 MiB result, while its resident memory and open file descriptors are sampled from /proc.
// `make test` runs 2,000 invocations; `make soak` runs 20,000 (SOAK_INVOCATIONS=20000).
import { readFileSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { afterAll, expect, test } from 'vitest';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import { describeOutcome, startFunction, stopAll } from '../integration/harness.ts';

afterAll(stopAll);

const INVOCATIONS = Number(process.env.SOAK_INVOCATIONS ?? 2_000);
const SAMPLE_EVERY = Number(process.env.SOAK_SAMPLE_EVERY ?? (INVOCATIONS >= 10_000 ? 1_000 : 250));
// Allocators, JIT and the first large strings settle in first; growth is measured after that.
const WARM_UP = Math.min(2_000, INVOCATIONS / 4);
const MAX_RSS_GROWTH_KB = 20 * 1024;
const ONE_MIB = 1024 * 1024;
// The emulator keeps a bounded request log (emulator/limits.ts: REQUEST_HISTORY_COUNT requests and
// REQUEST_HISTORY_BYTES of bodies); it is checked and emptied this often, so that every result post
// is still in it: 6 invocations are at most 12 requests and two 1 MiB results, well inside both.
const CHECK_EVERY = 6;

interface Sample {
  invocations: number;
  vmRssKb: number;
  vmHwmKb: number;
  fds: number;
  elapsedMs: number;
}

function sample(pid: number, invocations: number, startedAt: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match?.[1] === undefined) throw new Error(`/proc/${pid}/status has no ${field} line`);
    return Number(match[1]);
  };
  return {
    invocations,
    vmRssKb: kb('VmRSS'),
    vmHwmKb: kb('VmHWM'),
    fds: readdirSync(`/proc/${pid}/fd`).length,
    elapsedMs: Math.round(performance.now() - startedAt),
  };
}

/** What invocation i must end with; undefined when it did. */
function mismatch(i: number, outcome: InvocationOutcome): string | undefined {
  const body = outcome.body.toString('utf8');
  switch (i % 3) {
    case 0:
      return outcome.kind === 'response' && body === `{"i":${i},"ok":true}` ? undefined : 'a small result';
    case 1:
      return outcome.kind === 'error' && outcome.errorType === 'Error' && body.includes(`"errorMessage":"soak error ${i}"`)
        ? undefined
        : 'an Error';
    default:
      return outcome.kind === 'response' && outcome.body.length === ONE_MIB + 2 && body.startsWith(`"${i}.`)
        ? undefined
        : 'a 1 MiB string';
  }
}

/** Every invocation in `ids` got exactly one result post, accepted; then forgets the log. */
function checkPostsAndForget(emulator: Emulator, ids: string[]): void {
  const posts = new Map<string, number[]>();
  for (const r of emulator.requests) {
    if (r.method !== 'POST') continue;
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(r.path);
    if (match?.[1] === undefined) continue;
    const id = decodeURIComponent(match[1]);
    posts.set(id, [...(posts.get(id) ?? []), r.status]);
  }
  for (const id of ids) expect(posts.get(id), `result posts for ${id}`).toEqual([202]);
  emulator.requests.splice(0);
}

test(
  `soak: ${INVOCATIONS} invocations alternating success, error and a 1 MiB result; memory and fds stay bounded`,
  async () => {
    const emulator = await startFunction('faults', 'soak.handler', {}, { waitForInit: true });
    const pid = emulator.pid;
    if (pid === undefined) throw new Error('the runtime process did not start');
    const startedAt = performance.now();
    const samples: Sample[] = [sample(pid, 0, startedAt)];
    let batch: string[] = [];
    for (let i = 1; i <= INVOCATIONS; i++) {
      const requestId = `soak-${i}`;
      const outcome = await emulator.invoke(`{"i":${i}}`, { requestId });
      const wrong = mismatch(i, outcome);
      if (wrong !== undefined) expect.fail(`invocation ${i} should have ended with ${wrong}: ${describeOutcome(outcome, emulator)}`);
      batch.push(requestId);
      if (i % CHECK_EVERY === 0) {
        checkPostsAndForget(emulator, batch);
        batch = [];
      }
      if (i % SAMPLE_EVERY === 0) samples.push(sample(pid, i, startedAt));
    }
    checkPostsAndForget(emulator, batch);
    expect(emulator.pid, 'the same process served every invocation').toBe(pid);
    expect(emulator.protocolViolations).toEqual([]);

    const table = samples.map((s) => `${s.invocations}\t${s.vmRssKb}\t${s.vmHwmKb}\t${s.fds}\t${s.elapsedMs}`).join('\n');
    console.log(`invocations\tVmRSS kB\tVmHWM kB\tfds\tms\n${table}`);
    const baseline = samples.find((s) => s.invocations >= WARM_UP);
    if (baseline === undefined) throw new Error(`no sample at or after the warm-up (${WARM_UP} invocations)`);
    const after = samples.filter((s) => s.invocations >= WARM_UP);
    const rssGrowth = Math.max(...after.map((s) => s.vmRssKb)) - baseline.vmRssKb;
    const hwmGrowth = Math.max(...after.map((s) => s.vmHwmKb)) - baseline.vmHwmKb;
    expect(rssGrowth, `VmRSS growth after warm-up (kB)\n${table}`).toBeLessThan(MAX_RSS_GROWTH_KB);
    expect(hwmGrowth, `VmHWM growth after warm-up (kB)\n${table}`).toBeLessThan(MAX_RSS_GROWTH_KB);
    expect(new Set(samples.slice(1).map((s) => s.fds)).size, `open fds must stay constant\n${table}`).toBe(1);
  },
  60_000 + INVOCATIONS * 25,
);
