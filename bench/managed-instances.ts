// Lambda Managed Instances throughput (issue 19): a CPU-bound handler (bench/managed-instances/)
// at AWS_LAMBDA_MAX_CONCURRENCY=8, served by 1 and by 2 worker threads
// (AWS_LAMBDA_NODEJS_WORKER_COUNT), through the full Emulator. Each measurement starts a fresh
// sandbox, warms every worker, then keeps 8 invocations in flight until `invokes` have been
// answered: invocations/s is those over the wall time. Rounds interleave the configurations in a
// new random order; the first round is discarded; cells are median (min–max).
// Usage: node bench/managed-instances.ts [--rounds N] [--invokes N] [--bootstrap path] [--ric] (prints the table)
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Emulator } from '../emulator/index.ts';
import { cpuTimeMs } from './proc.ts';
import { binaryRuntime, BENCH_DIR, REPO_ROOT, ricRuntime } from './runtimes.ts';
import type { Runtime } from './runtimes.ts';
import { shuffle, summarize } from './stats.ts';
import type { Summary } from './stats.ts';

const FUNCTION_DIR = join(BENCH_DIR, 'managed-instances');
const HANDLER = 'index.handler';
/** Invocations in flight at once: the sandbox's AWS_LAMBDA_MAX_CONCURRENCY. */
export const CONCURRENCY = 8;
export const WORKER_COUNTS = [1, 2] as const;
/** Iterations of the handler's loop per invocation: ~10 ms of one core on the bench machine. */
const WORK_ROUNDS = 4_000_000;
/** Invocations before timing starts: every worker has run the handler (JIT) a few times. */
const WARM_INVOKES = 4 * CONCURRENCY;

export interface ManagedInstancesRow {
  runtime: string;
  label: string;
  workers: number;
  invocationsPerSecond: Summary | undefined;
  /** Process CPU (all threads) per invocation, ms: the work itself plus the runtime's. */
  cpuPerInvokeMs: Summary | undefined;
  failure: string | undefined;
}

export interface ManagedInstancesResults {
  concurrency: number;
  invokesPerMeasurement: number;
  rounds: number;
  workRounds: number;
  loadAverage: { start: number; end: number };
  rows: ManagedInstancesRow[];
}

interface Sample {
  invocationsPerSecond: number;
  cpuPerInvokeMs: number;
}

/** One sandbox: start, warm, then `invokes` invocations with CONCURRENCY in flight. */
async function measure(runtime: Runtime, workers: number, invokes: number): Promise<Sample> {
  const launch = runtime.launch(runtime.files);
  const emulator = await Emulator.start({
    command: launch.command,
    args: launch.args,
    handler: HANDLER,
    taskRoot: FUNCTION_DIR,
    memorySizeMb: 1024,
    functionName: 'bench-managed-instances',
    maxConcurrency: CONCURRENCY,
    timeoutMs: 120_000,
    env: { ...launch.env, ...runtime.env, AWS_LAMBDA_NODEJS_WORKER_COUNT: String(workers) },
  });
  try {
    const event = JSON.stringify({ rounds: WORK_ROUNDS });
    const run = async (count: number): Promise<void> => {
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < count) {
          next += 1;
          const outcome = await emulator.invoke(event);
          if (outcome.kind !== 'response') throw new Error(`${runtime.label}, ${workers} worker(s): ${outcome.kind} ${outcome.body.toString('utf8').slice(0, 300)}`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    };
    await run(WARM_INVOKES);
    const pid = emulator.pid;
    if (pid === undefined) throw new Error(`${runtime.label}, ${workers} worker(s): the runtime process is gone`);
    const cpuBefore = cpuTimeMs(pid);
    const started = performance.now();
    await run(invokes);
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = cpuTimeMs(pid) - cpuBefore;
    return { invocationsPerSecond: invokes / seconds, cpuPerInvokeMs: cpuMs / invokes };
  } finally {
    await emulator.stop();
  }
}

export interface ManagedInstancesOptions {
  runtimes: Runtime[];
  rounds: number;
  invokes: number;
  log: (line: string) => void;
}

export async function runManagedInstances(options: ManagedInstancesOptions): Promise<ManagedInstancesResults> {
  const loadStart = loadavg()[0] ?? 0;
  const configs = options.runtimes.flatMap((runtime) => WORKER_COUNTS.map((workers) => ({ runtime, workers })));
  const samples = new Map(configs.map((c) => [c, [] as Sample[]]));
  const failures = new Map<(typeof configs)[number], string>();
  for (let round = 1; round <= options.rounds; round++) {
    const line: string[] = [];
    for (const config of shuffle([...configs])) {
      if (failures.has(config)) continue;
      try {
        const sample = await measure(config.runtime, config.workers, options.invokes);
        if (round > 1) samples.get(config)!.push(sample);
        line.push(`${config.runtime.id}×${config.workers} ${sample.invocationsPerSecond.toFixed(1)}/s`);
      } catch (error) {
        failures.set(config, error instanceof Error ? error.message : String(error));
      }
    }
    options.log(`managed instances round ${round}/${options.rounds}${round === 1 ? ' (warm-up, discarded)' : ''}: ${line.join(', ')}`);
  }
  return {
    concurrency: CONCURRENCY,
    invokesPerMeasurement: options.invokes,
    rounds: options.rounds,
    workRounds: WORK_ROUNDS,
    loadAverage: { start: loadStart, end: loadavg()[0] ?? 0 },
    rows: configs.map((config) => ({
      runtime: config.runtime.id,
      label: config.runtime.label,
      workers: config.workers,
      invocationsPerSecond: summarize(samples.get(config)!.map((s) => s.invocationsPerSecond)),
      cpuPerInvokeMs: summarize(samples.get(config)!.map((s) => s.cpuPerInvokeMs)),
      failure: failures.get(config),
    })),
  };
}

export function managedInstancesMarkdown(results: ManagedInstancesResults): string[] {
  const cell = (s: Summary | undefined, digits: number): string =>
    s === undefined ? '—' : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  const out = [
    `## Lambda Managed Instances: a CPU-bound handler, 1 vs 2 worker threads (issue 19)`,
    '',
    `AWS_LAMBDA_MAX_CONCURRENCY=${results.concurrency}, ${results.invokesPerMeasurement} invocations per measurement with ${results.concurrency} in flight ` +
      `(after ${WARM_INVOKES} warm-up ones), each ${results.workRounds.toLocaleString('en-US')} rounds of integer hashing on its thread; ` +
      `${results.rounds} rounds (the first discarded), fresh sandbox each, interleaved; median (min–max). ` +
      `Load average ${results.loadAverage.start.toFixed(2)} → ${results.loadAverage.end.toFixed(2)}.`,
    '',
    '| runtime | worker threads | invocations/s | × 1 worker | CPU per invocation, ms | cores busy |',
    '|---|---|---|---|---|---|',
  ];
  for (const row of results.rows) {
    const one = results.rows.find((r) => r.runtime === row.runtime && r.workers === 1)?.invocationsPerSecond?.median;
    const ratio = one === undefined || row.invocationsPerSecond === undefined ? '—' : `×${(row.invocationsPerSecond.median / one).toFixed(2)}`;
    // invocations/s × CPU seconds per invocation: how many cores the sandbox kept busy.
    const busy = row.invocationsPerSecond === undefined || row.cpuPerInvokeMs === undefined ? '—' : ((row.invocationsPerSecond.median * row.cpuPerInvokeMs.median) / 1000).toFixed(2);
    out.push(`| ${row.label} | ${row.workers} | ${cell(row.invocationsPerSecond, 1)} | ${ratio} | ${cell(row.cpuPerInvokeMs, 1)} | ${busy} |`);
  }
  for (const row of results.rows) if (row.failure !== undefined) out.push(`- ${row.label}, ${row.workers} worker(s) broke: ${row.failure.split('\n')[0]}`);
  out.push('');
  return out;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { rounds: { type: 'string' }, invokes: { type: 'string' }, bootstrap: { type: 'string' }, ric: { type: 'boolean' } },
  });
  const runtime = binaryRuntime('binary', 'dist/bootstrap', resolve(values.bootstrap ?? join(REPO_ROOT, 'dist', 'bootstrap')));
  if (!('launch' in runtime)) throw new Error(runtime.reason);
  // --ric: AWS's client too, as bench/run.ts builds it into bench/peers (make bench).
  const ric = join(BENCH_DIR, 'peers', 'node_modules', 'aws-lambda-ric');
  const runtimes = values.ric === true && existsSync(join(ric, 'rapid-client.node')) ? [runtime, ricRuntime(ric)] : [runtime];
  const results = await runManagedInstances({
    runtimes,
    rounds: Number(values.rounds ?? 4),
    invokes: Number(values.invokes ?? 200),
    log: (line) => console.log(line),
  });
  console.log(managedInstancesMarkdown(results).join('\n'));
}
