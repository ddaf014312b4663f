// `lambda-bootstrap bench`: cold and warm numbers for YOUR function with the built binary, on this
// machine, through the emulator on 127.0.0.1. Each cold start is a fresh runtime process (the
// binary's pages are in the page cache after the first: these are warm-page-cache cold starts, as
// the output says); warm invokes are sequential round trips on one process. The repository's
// `make bench` is the full benchmark (evicted page cache, peers, CPU time).
import { performance } from 'node:perf_hooks';
import { Emulator } from '../../emulator/index.ts';
import type { EmulatorOptions } from '../../emulator/index.ts';

export interface BenchOptions {
  cold: number;
  warm: number;
  event: string;
}

export interface BenchResult {
  /** Init Duration of each cold start (spawn → first GET /next), ms. */
  initMs: number[];
  /** invoke() call → response of the first invoke after each spawn (spawn included), ms. */
  coldInvokeMs: number[];
  /** Round trips of the warm invokes, ms. */
  warmMs: number[];
  maxMemoryUsedMb: number;
  errors: number;
}

export async function benchFunction(options: EmulatorOptions, bench: BenchOptions): Promise<BenchResult> {
  const result: BenchResult = { initMs: [], coldInvokeMs: [], warmMs: [], maxMemoryUsedMb: 0, errors: 0 };
  for (let i = 0; i < bench.cold; i++) {
    const emulator = await Emulator.start({ ...options, echoOutput: false });
    try {
      const start = performance.now();
      const outcome = await emulator.invoke(bench.event);
      result.coldInvokeMs.push(performance.now() - start);
      if (outcome.initDurationMs !== undefined) result.initMs.push(outcome.initDurationMs);
      if (outcome.kind !== 'response') result.errors++;
      if (i === bench.cold - 1) {
        for (let w = 0; w < bench.warm; w++) {
          const t = performance.now();
          const warm = await emulator.invoke(bench.event);
          result.warmMs.push(performance.now() - t);
          if (warm.kind !== 'response') result.errors++;
          result.maxMemoryUsedMb = Math.max(result.maxMemoryUsedMb, warm.maxMemoryUsedMb ?? 0);
        }
      }
      result.maxMemoryUsedMb = Math.max(result.maxMemoryUsedMb, outcome.maxMemoryUsedMb ?? 0);
    } finally {
      await emulator.stop();
    }
  }
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export function formatBench(result: BenchResult, bench: BenchOptions): string {
  const row = (label: string, values: number[], unit: 'ms' | 'µs'): string => {
    const scale = unit === 'µs' ? 1000 : 1;
    const f = (v: number): string => (v * scale).toFixed(unit === 'µs' ? 0 : 1);
    return `| ${label} | ${values.length} | ${f(percentile(values, 50))} ${unit} | ${f(percentile(values, 90))} ${unit} | ${f(Math.min(...values))} ${unit} |`;
  };
  return [
    `cold starts: ${bench.cold} (fresh runtime process each; binary in the page cache: warm-page-cache cold starts), warm invokes: ${bench.warm}`,
    '',
    '| measure | n | median | p90 | min |',
    '| --- | --- | --- | --- | --- |',
    row('Init Duration (spawn → first GET /next)', result.initMs, 'ms'),
    row('cold invoke (spawn + init + first invoke)', result.coldInvokeMs, 'ms'),
    ...(result.warmMs.length > 0 ? [row('warm invoke round trip', result.warmMs, 'µs')] : []),
    '',
    `Max Memory Used: ${result.maxMemoryUsedMb} MB; function errors: ${result.errors}`,
  ].join('\n');
}
