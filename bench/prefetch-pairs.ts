// `node bench/prefetch-pairs.ts [--pairs N] id...` (root): the prefetch experiment paired (issue 25
// part 4). For each Lambda-like variant id, N pairs of cold starts on the package device, its
// prefetch twin and itself in turn (A B A B ..., the order within a pair alternating), after one
// warm-up pair; prints the medians of spawn → first response and the median of the pair-by-pair
// ratios, which stays meaningful while a shared machine's speed drifts.
import { parseArgs } from 'node:util';
import { LeanRuntimeApi } from './driver.ts';
import { lambdaLikeVariants, measureLambdaLike } from './lambda-like.ts';
import { realisticLambdaLikeVariants } from './lambda-like-realistic.ts';
import { PackageDevice } from './package-device.ts';
import { buildPrefetch, prefetchTwin, recordWorkingSet } from './prefetch.ts';
import { RIC_DIR, buildMincore, findBun, snapshotDist } from './setup.ts';
import { WORK_DIR } from './runtimes.ts';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { summarize } from './stats.ts';

const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { pairs: { type: 'string', default: '15' } } });
const pairs = Number(values.pairs);
const tool = buildPrefetch();
const mincore = buildMincore();
if (!tool.ok || !mincore.ok) throw new Error(tool.ok ? (mincore as { reason: string }).reason : tool.reason);
const dist = snapshotDist();
const bun = findBun();
const api = await LeanRuntimeApi.start();
const realistic = positionals.some((id) => id.includes('realistic'))
  ? await realisticLambdaLikeVariants({ binary: join(dist, 'bootstrap'), wrapperLayer: join(WORK_DIR, 'dist', 'wrapper-layer'), ricDir: RIC_DIR, bun: bun.ok ? bun.value : undefined, install: false, log: console.log })
  : undefined;
const all = [...lambdaLikeVariants({ binary: join(dist, 'bootstrap'), wrapperLayer: join(WORK_DIR, 'dist', 'wrapper-layer'), ricDir: RIC_DIR, bun: undefined }), ...(realistic?.variants ?? [])];
const bases = positionals.map((id) => all.find((v) => v.id === id) ?? (() => { throw new Error(`no variant ${id}`); })());
// Its own image: a make bench running meanwhile keeps its device.
const device = PackageDevice.create(join(WORK_DIR, 'lambda-like-pairs'), bases.flatMap((v) => v.files));
if (device instanceof Error) throw device;
console.log(`load ${loadavg()[0]!.toFixed(2)}`);
try {
  for (const base of bases) {
    const recorded = await recordWorkingSet(base, device, api, mincore.value, tool.value);
    const twin = prefetchTwin(base, tool.value);
    const a: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i <= pairs; i++) {
      const order = i % 2 === 0 ? [twin, base] : [base, twin];
      const got = new Map<string, number>();
      for (const v of order) got.set(v.id, (await measureLambdaLike(v, device, api, mincore.value)).firstResponseMs);
      if (i === 0) continue;
      a.push(got.get(twin.id)!);
      b.push(got.get(base.id)!);
      ratios.push(got.get(twin.id)! / got.get(base.id)!);
    }
    const m = (x: number[]): string => summarize(x)!.median.toFixed(1);
    console.log(`${base.id}: working set ${recorded.mib.toFixed(1)} MiB in ${recorded.runs} runs; ${pairs} pairs: with prefetch ${m(a)} ms, without ${m(b)} ms; median paired ratio ×${summarize(ratios)!.median.toFixed(3)}, faster in ${ratios.filter((r) => r < 1).length} of ${pairs}`);
  }
} finally {
  device.close();
  await api.close();
  await realistic?.close();
  console.log(`load ${loadavg()[0]!.toFixed(2)}`);
}
