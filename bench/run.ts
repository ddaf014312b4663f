// make bench: measures dist/bootstrap against the floor and its peers in ONE run, interleaved
// (each round runs every runtime in a fresh random order; round 1 is discarded as warm-up), and
// writes bench/results/latest.{md,json,svg}.
// Usage: node bench/run.ts [--smoke] [--baseline <old dist/bootstrap>] [--rounds N] [--starts N] [--only id,id]
// (--only binary,binary-node26: just those rows and the floor, into bench/.work/only/; the Node 26 rows need make bootstrap NODE=26)
//                          [--warm N] [--invokes N] [--out DIR]
// BASELINE=<path> works like --baseline: a before/after comparison of two builds in one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LeanRuntimeApi } from './driver.ts';
import { measureThroughEmulator } from './emulator-check.ts';
import { describeMachine } from './machine.ts';
import { measureCold, measureSession, measureStart, timeToExit } from './measure.ts';
import type { ColdSample, SessionSample, StartSample } from './measure.ts';
import { writeMarkdown } from './report-markdown.ts';
import { realisticMarkdown, runRealistic } from './realistic.ts';
import type { RealisticResults } from './realistic.ts';
import { writeSvg } from './report-svg.ts';
import type { BenchResults, MetricKey, RuntimeResult, Settings } from './results.ts';
import { managedInstancesMarkdown, runManagedInstances } from './managed-instances.ts';
import type { ManagedInstancesResults } from './managed-instances.ts';
import { READ_AHEAD_KIB, lambdaLikeVariants, measureLambdaLike, packageListing } from './lambda-like.ts';
import { realisticLambdaLikeVariants } from './lambda-like-realistic.ts';
import { PREFETCH_BASES, buildPrefetch, prefetchTwin, recordWorkingSet } from './prefetch.ts';
import { issue25Targets, realisticLambdaLikeMarkdown } from './report-issue25.ts';
import type { LambdaLikeSample, LambdaLikeVariant } from './lambda-like.ts';
import { LAMBDA_PERF, fitModel, predictInit, publishedInit } from './lambda-model.ts';
import { PackageDevice } from './package-device.ts';
import type { LambdaLikeKey, LambdaLikeSection } from './results.ts';
import { BENCH_DIR, MEMORY_SIZE_MB, WORK_DIR, binaryRuntime, bunRuntime, bundleRuntime, floorRuntime, isUnavailable, ricRuntime, wrapperRuntime } from './runtimes.ts';
import type { Runtime, Unavailable } from './runtimes.ts';
import { RIC_DIR, buildMincore, buildRic, coldCopies, compileWithBun, findBun, findVmtouch, installPeers, layerZipBytes, snapshotDist } from './setup.ts';
import { shuffle, summarize } from './stats.ts';

interface Options {
  smoke: boolean;
  baseline: string | undefined;
  rounds: number;
  starts: number;
  warmInvokes: number;
  totalInvokes: number;
  out: string;
  /** --only binary,binary-node26: just these runtimes (and the floor), for checking new rows; no peers installed. */
  only: string[] | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      baseline: { type: 'string' },
      rounds: { type: 'string' },
      starts: { type: 'string' },
      warm: { type: 'string' },
      invokes: { type: 'string' },
      out: { type: 'string' },
      only: { type: 'string' },
    },
  });
  const smoke = values.smoke === true;
  const count = (name: string, text: string | undefined, fallback: number, min: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got '${text}'`);
    return n;
  };
  const warmInvokes = count('warm', values.warm, smoke ? 100 : 2_000, 1);
  const options: Options = {
    smoke,
    baseline: values.baseline ?? (process.env.BASELINE || undefined),
    rounds: count('rounds', values.rounds, smoke ? 3 : 8, 2),
    starts: count('starts', values.starts, smoke ? 1 : 3, 0),
    warmInvokes,
    totalInvokes: count('invokes', values.invokes, smoke ? 300 : 20_000, 3 + warmInvokes),
    out: resolve(values.out ?? (smoke || values.only !== undefined ? join(WORK_DIR, values.only !== undefined ? 'only' : 'smoke') : join(BENCH_DIR, 'results'))),
    only: values.only?.split(',').filter(Boolean),
  };
  return options;
}

/** Everything measured about one runtime: samples per metric, from the kept rounds. */
class Samples {
  readonly values = new Map<MetricKey, number[]>();
  failure: string | undefined;
  add(key: MetricKey, value: number): void {
    const list = this.values.get(key) ?? [];
    list.push(value);
    this.values.set(key, list);
  }
}

type Task =
  | { kind: 'start'; runtime: Runtime }
  | { kind: 'session'; runtime: Runtime }
  | { kind: 'cold'; runtime: Runtime }
  | { kind: 'emulator'; runtime: Runtime }
  | { kind: 'lambda'; runtime: Runtime; variant: LambdaLikeVariant };

async function collectRuntimes(options: Options, log: (line: string) => void): Promise<{ runtimes: Runtime[]; unavailable: Unavailable[]; notes: string[] }> {
  const found: (Runtime | Unavailable)[] = [floorRuntime()];
  const notes: string[] = [];
  const dist = snapshotDist();
  found.push(binaryRuntime('binary', 'dist/bootstrap', join(dist, 'bootstrap')));
  // Node 26 beside Node 24 (issue 21): the same runtime built with make bootstrap NODE=26 (not in the smoke run).
  if (!options.smoke) found.push(binaryRuntime('binary-node26', 'dist/node26/bootstrap (Node 26)', join(dist, 'node26', 'bootstrap')));
  if (!options.smoke) {
    // The default transport is net; http was the default before it, so it stays in the run as the baseline.
    found.push(binaryRuntime('binary-http', 'dist/bootstrap, http transport', join(dist, 'bootstrap'), { LAMBDA_BOOTSTRAP_TRANSPORT: 'http' }));
  }
  if (options.baseline !== undefined) found.push(binaryRuntime('baseline', `baseline ${options.baseline}`, resolve(options.baseline)));
  found.push(bundleRuntime(dist));
  found.push(wrapperRuntime(dist, RIC_DIR));

  const install = !options.smoke && options.only === undefined;
  const peers = installPeers(install, log);
  if (!peers.ok) {
    found.push({ id: 'ric', label: 'aws-lambda-ric (node 24)', reason: peers.reason }, { id: 'bun', label: 'bun --compile bootstrap.ts', reason: peers.reason });
  } else {
    const ric = buildRic(install, log);
    found.push(ric.ok ? ricRuntime(ric.value) : { id: 'ric', label: 'aws-lambda-ric (node 24)', reason: ric.reason });
    const bun = findBun();
    const compiled = bun.ok ? compileWithBun(bun.value) : bun;
    found.push(compiled.ok ? bunRuntime(compiled.value) : { id: 'bun', label: 'bun --compile bootstrap.ts', reason: compiled.reason });
  }
  const runtimes = found.filter((r): r is Runtime => !isUnavailable(r) && (options.only === undefined || r.id === 'floor' || options.only.includes(r.id)));
  // Deflating a 100 MB executable takes seconds: only the full run sizes the layer zips.
  if (!options.smoke) {
    const zipped = new Map<string, number>();
    for (const runtime of runtimes) {
      const binary = runtime.files.bootstrap;
      if (binary === undefined) continue;
      if (!zipped.has(binary)) zipped.set(binary, await layerZipBytes(binary));
      runtime.artifact.layerZipBytes = zipped.get(binary);
    }
  }
  const unavailable = found.filter(isUnavailable);
  for (const u of unavailable) log(`unavailable: ${u.label}: ${u.reason}`);
  return { runtimes, unavailable, notes };
}

interface LambdaLikeSetup {
  variants: LambdaLikeVariant[];
  device: PackageDevice | undefined;
  mincore: string | undefined;
  unavailable: string | undefined;
}

/** The package device holding every Lambda-like variant's package, or why there is none. */
function setUpLambdaLike(runtimes: Runtime[], smoke: boolean, log: (line: string) => void, only?: string[], extra: LambdaLikeVariant[] = [], prefetchTool?: string): LambdaLikeSetup {
  const byId = new Map(runtimes.map((r) => [r.id, r]));
  const binary = byId.get('binary')?.files.bootstrap;
  if (binary === undefined) return { variants: [], device: undefined, mincore: undefined, unavailable: 'dist/bootstrap is missing' };
  const wrapper = byId.get('wrapper');
  const all = lambdaLikeVariants({
    binary,
    binary26: byId.get('binary-node26')?.files.bootstrap,
    wrapperLayer: wrapper === undefined ? undefined : join(WORK_DIR, 'dist', 'wrapper-layer'),
    ricDir: byId.has('ric') ? RIC_DIR : undefined,
    bun: byId.get('bun')?.files.bootstrap,
  }).concat(extra);
  // The smoke run keeps the section alive with its two cheapest packages.
  // --only keeps the packages of the runtimes it names (binary-node26: the binary26 ones).
  const flavours = only === undefined ? undefined : new Set(only.map((id) => (id === 'binary-node26' ? 'binary26' : id)));
  const chosen = flavours === undefined ? all : all.filter((v) => flavours.has(v.flavour));
  const variants = smoke ? chosen.filter((v) => v.id === 'binary-zip' || v.id === 'wrapper-zip') : chosen;
  if (prefetchTool !== undefined) variants.push(...variants.filter((v) => PREFETCH_BASES.includes(v.id)).map((v) => prefetchTwin(v, prefetchTool)));
  const mincore = buildMincore();
  if (!mincore.ok) return { variants: [], device: undefined, mincore: undefined, unavailable: mincore.reason };
  log(`setup: package device for the Lambda-like starts (${variants.length} packages, ext4 on a loop device with direct I/O) ...`);
  // The smoke run (make test) has an image of its own: a full run in the same tree keeps its device.
  const device = PackageDevice.create(join(WORK_DIR, smoke ? 'lambda-like-smoke' : 'lambda-like'), variants.flatMap((v) => v.files));
  if (device instanceof Error) {
    log(`unavailable: Lambda-like cold starts: ${device.message}`);
    return { variants: [], device: undefined, mincore: undefined, unavailable: device.message };
  }
  return { variants, device, mincore: mincore.value, unavailable: undefined };
}

function addLambdaSample(values: Map<LambdaLikeKey, number[]>, r: LambdaLikeSample): void {
  const add = (key: LambdaLikeKey, value: number): void => {
    values.set(key, [...(values.get(key) ?? []), value]);
  };
  add('firstNextMs', r.firstNextMs);
  add('firstResponseMs', r.firstResponseMs);
  add('firstResponseCpuMs', r.firstResponseCpuMs);
  add('readMiB', r.readBytes / 1024 / 1024);
  add('readRequests', r.readRequests);
  add('chunks', r.chunks);
  add('residentMiB', r.residentBytes / 1024 / 1024);
}

function lambdaLikeSection(
  lambda: LambdaLikeSetup,
  lambdaSamples: Map<string, { values: Map<LambdaLikeKey, number[]>; failure: string | undefined }>,
  samples: Map<string, Samples>,
): LambdaLikeSection {
  const median = (values: number[] | undefined): number | undefined => (values === undefined ? undefined : summarize(values)?.median);
  const warm: Record<string, number | undefined> = {};
  for (const flavour of ['binary', 'wrapper', 'ric', 'bun']) warm[flavour] = median(samples.get(flavour)?.values.get('firstNextMs'));
  warm.binary26 = median(samples.get('binary-node26')?.values.get('firstNextMs'));
  const readMiB: Record<string, number> = {};
  const chunks: Record<string, number> = {};
  for (const [id, s] of lambdaSamples) {
    const m = median(s.values.get('readMiB'));
    const c = median(s.values.get('chunks'));
    if (m !== undefined) readMiB[id] = m;
    if (c !== undefined) chunks[id] = c;
  }
  const model = fitModel({ warmFirstNextMs: warm, readMiB, chunks });
  return {
    unavailable: lambda.unavailable,
    storage:
      `ext4 image on a loop device with direct I/O (reads go to this machine's virtual disk, uncached), read-ahead ` +
      `${READ_AHEAD_KIB.zip} KiB (zip-like) or ${READ_AHEAD_KIB.image} KiB (image-like) on that device only; mounted fresh, read-only, for every start`,
    variants: lambda.variants.map((v) => {
      const s = lambdaSamples.get(v.id)!;
      const metrics: LambdaLikeSection['variants'][number]['metrics'] = {};
      for (const [key, values] of s.values) {
        const summary = summarize(values);
        if (summary !== undefined) metrics[key] = summary;
      }
      const t = warm[v.flavour];
      const predicted =
        model instanceof Error || v.realistic === true || t === undefined || readMiB[v.id] === undefined || chunks[v.id] === undefined
          ? undefined
          : predictInit(model, v.packaging, t, readMiB[v.id]!, chunks[v.id]!);
      return {
        id: v.id,
        label: v.label,
        flavour: v.flavour,
        packaging: v.packaging,
        realistic: v.realistic,
        readAheadKiB: READ_AHEAD_KIB[v.packaging],
        files: packageListing(v),
        unpackedBytes: v.unpackedBytes,
        metrics,
        predictedInitMs: predicted,
        publishedInitMs: publishedInit(v.flavour, v.packaging),
        failure: s.failure,
      };
    }),
    model: model instanceof Error ? undefined : { ...model, source: LAMBDA_PERF.source },
    modelError: model instanceof Error ? model.message : undefined,
  };
}

function fmt(ms: number): string {
  return ms.toFixed(1);
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  const log = (line: string): void => console.log(line);
  const began = performance.now();
  const machine = describeMachine();
  log(`bench: ${options.smoke ? 'smoke' : 'full'} run on ${machine.cpu} (${machine.cores} cores), ${machine.kernel}, node ${machine.node}, load ${machine.loadAverage.start.toFixed(2)}`);

  const { runtimes, unavailable, notes } = await collectRuntimes(options, log);
  const reference = runtimes.find((r) => r.id === 'binary');
  if (reference === undefined) {
    console.error('bench: dist/bootstrap is missing: run `make bootstrap` first');
    return 1;
  }
  const vmtouch = findVmtouch(!options.smoke, log);
  if (!vmtouch.ok) notes.push(`cold disk not measured: ${vmtouch.reason}`);
  const copies = new Map<string, Record<string, string>>();
  if (vmtouch.ok) for (const runtime of runtimes) copies.set(runtime.id, coldCopies(runtime));

  const api = await LeanRuntimeApi.start();
  // The realistic function's zip-like rows (bench/lambda-like-realistic.ts, issue 25): not in the smoke run.
  const realisticLike = options.smoke
    ? undefined
    : await realisticLambdaLikeVariants({
        binary: reference.files.bootstrap!,
        wrapperLayer: runtimes.some((r) => r.id === 'wrapper') ? join(WORK_DIR, 'dist', 'wrapper-layer') : undefined,
        ricDir: runtimes.some((r) => r.id === 'ric') ? RIC_DIR : undefined,
        bun: ((): string | undefined => {
          const bun = findBun();
          return bun.ok ? bun.value : undefined;
        })(),
        install: true,
        log,
      });
  for (const reason of realisticLike?.unavailable ?? []) notes.push(`Lambda-like, not measured: ${reason}`);
  // Issue 25 part 4: a prefetch twin for a few variants (bench/prefetch.ts); full runs only.
  const prefetchTool = options.smoke ? undefined : buildPrefetch();
  if (prefetchTool?.ok === false) notes.push(`Lambda-like, prefetch not measured: ${prefetchTool.reason}`);
  const lambda = setUpLambdaLike(runtimes, options.smoke, log, options.only, realisticLike?.variants, prefetchTool?.ok === true ? prefetchTool.value : undefined);
  if (lambda.device !== undefined && prefetchTool?.ok === true) {
    for (const twin of lambda.variants.filter((v) => v.id.endsWith('-prefetch'))) {
      const base = lambda.variants.find((v) => `${v.id}-prefetch` === twin.id)!;
      try {
        const recorded = await recordWorkingSet(base, lambda.device, api, lambda.mincore!, prefetchTool.value);
        log(`prefetch: recorded ${base.id}'s working set: ${recorded.mib.toFixed(1)} MiB in ${recorded.runs} runs of pages`);
        notes.push(`prefetch: ${base.id}'s recorded working set is ${recorded.mib.toFixed(1)} MiB in ${recorded.runs} runs of pages`);
      } catch (error) {
        lambda.variants.splice(lambda.variants.indexOf(twin), 1);
        notes.push(`Lambda-like, ${twin.id} not measured: recording failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    }
  }
  const lambdaSamples = new Map<string, { values: Map<LambdaLikeKey, number[]>; failure: string | undefined }>(
    lambda.variants.map((v) => [v.id, { values: new Map(), failure: undefined }]),
  );

  const samples = new Map<string, Samples>(runtimes.map((r) => [r.id, new Samples()]));
  const emulatorSamples = { firstNextMs: [] as number[], firstResponseMs: [] as number[], perInvokeUs: [] as number[], leanPerInvokeUs: [] as number[] };
  const emulatorInvokes = Math.min(options.warmInvokes, 2_000);
  const addSession = (s: Samples, id: string, r: SessionSample): void => {
    s.add('warmRoundTripUs', r.warmRoundTripUs);
    s.add('invocationsPerSecond', r.invocationsPerSecond);
    s.add('cpuPerInvokeMs', r.cpuPerInvokeMs);
    s.add('rssAfter3Mb', r.rssAfter3Mb);
    s.add('rssAfterAllMb', r.rssAfterAllMb);
    if (id === 'binary') emulatorSamples.leanPerInvokeUs.push(1e6 / r.invocationsPerSecond);
  };
  let realistic: RealisticResults | undefined;
  let managedInstances: ManagedInstancesResults | undefined;
  const settings: Settings = {
    mode: options.smoke ? 'smoke' : 'full',
    rounds: options.rounds,
    warmInvokes: options.warmInvokes,
    totalInvokes: options.totalInvokes,
    memorySizeMb: MEMORY_SIZE_MB,
    driver: 'bench/driver.ts (lean Runtime API on 127.0.0.1); bench/emulator-check.ts compares the full Emulator',
  };
  log(`bench: ${runtimes.map((r) => r.id).join(', ')}; ${options.rounds} rounds (first discarded), ${options.starts + 1} starts + ${options.totalInvokes} invokes per runtime per round`);

  try {
    for (let round = 1; round <= options.rounds; round++) {
      const keep = round > 1;
      const roundStart = performance.now();
      const active = runtimes.filter((r) => samples.get(r.id)?.failure === undefined);
      const nodeRuntimes = active.filter((r) => r.role !== 'floor');
      const tasks: Task[] = [];
      for (let i = 0; i < options.starts; i++) tasks.push(...shuffle([...active]).map((runtime): Task => ({ kind: 'start', runtime })));
      const sessions: Task[] = nodeRuntimes.map((runtime) => ({ kind: 'session', runtime }));
      if (!options.smoke && samples.get('binary')?.failure === undefined) sessions.push({ kind: 'emulator', runtime: reference });
      tasks.push(...shuffle(sessions));
      if (vmtouch.ok) tasks.push(...shuffle(active.filter((r) => Object.keys(r.files).length > 0)).map((runtime): Task => ({ kind: 'cold', runtime })));
      const lambdaTasks = lambda.variants.filter((v) => lambdaSamples.get(v.id)?.failure === undefined).map((variant): Task => ({ kind: 'lambda', runtime: reference, variant }));
      tasks.push(...shuffle(lambdaTasks));

      const firstNext = new Map<string, number>();
      for (const task of tasks) {
        if (task.kind === 'lambda') {
          const ls = lambdaSamples.get(task.variant.id)!;
          try {
            const sent = realisticLike?.counts();
            const r = await measureLambdaLike(task.variant, lambda.device!, api, lambda.mincore!);
            if (task.variant.realistic === true) realisticLike!.checkSent(sent!);
            if (keep) addLambdaSample(ls.values, r);
            firstNext.set(task.variant.id, r.firstNextMs);
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            ls.failure = `round ${round}: ${reason}`;
            log(`bench: Lambda-like ${task.variant.label} failed and is dropped from later rounds: ${reason}`);
          }
          continue;
        }
        const s = samples.get(task.runtime.id)!;
        if (s.failure !== undefined) continue;
        try {
          if (task.kind === 'emulator') {
            const e = await measureThroughEmulator(task.runtime, emulatorInvokes);
            if (keep) {
              emulatorSamples.firstNextMs.push(e.firstNextMs);
              emulatorSamples.firstResponseMs.push(e.firstResponseMs);
              emulatorSamples.perInvokeUs.push(e.perInvokeUs);
            }
          } else if (task.kind === 'cold') {
            const c: ColdSample = await measureCold(task.runtime, copies.get(task.runtime.id)!, api, vmtouch.ok ? vmtouch.value : '');
            if (keep) {
              s.add('coldFirstNextMs', c.firstNextMs);
              s.add('coldResidentMb', c.residentMb);
            }
          } else if (task.runtime.role === 'floor') {
            const ms = await timeToExit(task.runtime.launch(task.runtime.files));
            firstNext.set(task.runtime.id, ms);
            if (keep) s.add('firstNextMs', ms);
          } else {
            const r: StartSample = task.kind === 'start' ? await measureStart(task.runtime, api) : await measureSession(task.runtime, api, options).then((session) => {
              if (keep) addSession(s, task.runtime.id, session);
              return session;
            });
            firstNext.set(task.runtime.id, r.firstNextMs);
            if (!keep) continue;
            s.add('firstNextMs', r.firstNextMs);
            s.add('firstResponseMs', r.firstResponseMs);
          }
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          s.failure = `round ${round}, ${task.kind}: ${reason}`;
          log(`bench: ${task.runtime.label} failed and is dropped from later rounds: ${reason}`);
        }
      }
      const seconds = ((performance.now() - roundStart) / 1000).toFixed(1);
      const line = [...active.map((r) => r.id), ...lambda.variants.map((v) => v.id)].map((id) => `${id} ${firstNext.has(id) ? fmt(firstNext.get(id)!) : '-'}`).join(', ');
      log(`round ${round}/${options.rounds}${keep ? '' : ' (warm-up, discarded)'}: first /next ms: ${line} [${seconds} s]`);
    }
    // Issue 14's realistic function: its own interleaved rounds, after the hello-world ones.
    // --only checks a few hello-world rows: the realistic and Managed Instances sections are not its.
    if (!options.smoke && options.only === undefined) {
      realistic = await runRealistic({ rounds: options.rounds, starts: options.starts + 1, install: true, dist: join(WORK_DIR, 'dist'), api, log });
    }
    // Issue 19: Managed Instances throughput with 1 and 2 worker threads, ours and AWS's client.
    if (options.only === undefined) {
      managedInstances = await runManagedInstances({
        runtimes: runtimes.filter((r) => r.id === 'binary' || r.id === 'ric'),
        rounds: options.smoke ? 2 : Math.min(options.rounds, 6),
        invokes: options.smoke ? 24 : 400,
        log,
      });
    }
  } finally {
    await api.close();
    lambda.device?.close();
    await realisticLike?.close();
  }

  machine.loadAverage.end = loadavg()[0];
  const results: BenchResults = {
    schema: 1,
    date: new Date().toISOString(),
    durationS: Math.round((performance.now() - began) / 1000),
    machine,
    settings,
    reference: 'binary',
    runtimes: runtimes.map((runtime): RuntimeResult => {
      const s = samples.get(runtime.id)!;
      const metrics: RuntimeResult['metrics'] = {};
      for (const [key, values] of s.values) {
        const summary = summarize(values);
        if (summary !== undefined) metrics[key] = summary;
      }
      return { id: runtime.id, label: runtime.label, role: runtime.role, artifact: runtime.artifact, metrics, failure: s.failure };
    }),
    unavailable,
    lambdaLike: lambdaLikeSection(lambda, lambdaSamples, samples),
    realistic,
    managedInstances,
    emulatorCheck: options.smoke
      ? undefined
      : {
          runtime: 'binary',
          invokes: emulatorInvokes,
          emulator: {
            firstNextMs: summarize(emulatorSamples.firstNextMs),
            firstResponseMs: summarize(emulatorSamples.firstResponseMs),
            perInvokeUs: summarize(emulatorSamples.perInvokeUs),
          },
          leanPerInvokeUs: summarize(emulatorSamples.leanPerInvokeUs),
        },
    notes: [
      ...notes,
      'floor: `node -e 0` is timed from spawn to exit; it has no /next.',
      'CPU per invoke: /proc/<pid>/stat utime+stime over every invoke after the third, divided by their count.',
      'cold disk: each runtime starts from private copies of its files (node, script, addon or binary) just evicted with vmtouch -e, on this machine\'s disk (8 MiB read-ahead): a warm-ish figure kept for comparison with earlier runs; the Lambda-like section is the one that puts the bytes where Lambda does.',
      'aws-lambda-ric and the wrapper layer start through build/managed-runtime/bootstrap, the stand-in for the managed nodejs24.x bootstrap script: --expose-gc --max-http-header-size 81920 and heap sizes from the memory size.',
    ],
  };

  mkdirSync(options.out, { recursive: true });
  writeFileSync(join(options.out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  const issue25 = [...realisticLambdaLikeMarkdown(results.lambdaLike), ...(options.smoke ? [] : issue25Targets(results))];
  const markdown =
    writeMarkdown(results) +
    (issue25.length === 0 ? '' : `\n${issue25.join('\n')}\n`) +
    (realistic === undefined ? '' : `\n${realisticMarkdown(realistic).join('\n')}\n`) +
    (managedInstances === undefined ? '' : `\n${managedInstancesMarkdown(managedInstances).join('\n')}\n`);
  writeFileSync(join(options.out, 'latest.md'), markdown);
  writeFileSync(join(options.out, 'latest.svg'), writeSvg(results));
  log('');
  log(markdown);
  log(`bench: wrote ${join(options.out, 'latest.{md,json,svg}')} in ${results.durationS} s`);
  const broken = results.runtimes.filter((r) => r.failure !== undefined && r.role === 'ours');
  return broken.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
