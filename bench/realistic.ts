// The "realistic function" section of make bench (issue 14): bench/realistic (AWS SDK v3 S3 +
// DynamoDB DocumentClient, middy, Powertools logger; clients built at init; the first invoke sends
// to bench/fake-aws.ts on 127.0.0.1), started cold under every way we can ship it, interleaved in
// one run: dist/bootstrap plain and with the packaged code cache (unbundled and esbuild-bundled),
// the per-function snapshot executable (build/snapshot/snapshot.ts), AWS's aws-lambda-ric 4.0.2, and Bun's
// `build --compile --bytecode` of runtime + function.
// Reported: spawn → first /next and spawn → first response, median (min–max), ratio to ric.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CompileCacheError, generateCompileCache } from '../build/compile-cache.ts';
import { SnapshotError, buildSnapshotExecutable } from '../build/snapshot/snapshot.ts';
import { REGION } from '../emulator/runtime-environment.ts';
import type { LeanRuntimeApi } from './driver.ts';
import { FakeAws } from './fake-aws.ts';
import { measureStart } from './measure.ts';
import { BENCH_DIR, FUNCTION_DIR, MANAGED_BOOTSTRAP, REPO_ROOT, WORK_DIR, binaryRuntime, bunRuntime, isUnavailable, ricRuntime, wrapperRuntime } from './runtimes.ts';
import type { Runtime, Unavailable } from './runtimes.ts';
import { buildRic, findBun, installPeers } from './setup.ts';
import type { Ready } from './setup.ts';
import { ratioText, shuffle, summarize } from './stats.ts';
import type { Summary } from './stats.ts';

const SOURCE_DIR = join(BENCH_DIR, 'realistic');
const WORK = join(WORK_DIR, 'realistic');
const HANDLER = 'index.handler';
const BUN_GLOBAL = '__lambdaBootstrapBenchHandler';
/** Lambda sets these from the execution role; the SDK signs with them. */
export const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDBENCHREALISTIC00',
  AWS_SECRET_ACCESS_KEY: 'bench/secret/key/not/real/0000000000000',
  AWS_SESSION_TOKEN: 'bench-session-token',
};

export interface RealisticRow {
  id: string;
  label: string;
  firstNextMs: Summary | undefined;
  firstResponseMs: Summary | undefined;
  firstResponseCpuMs: Summary | undefined;
  failure: string | undefined;
}

export interface RealisticResults {
  rounds: number;
  startsPerRound: number;
  rows: RealisticRow[];
  unavailable: Unavailable[];
  /** What `make package` wrote, per variant. */
  caches: { id: string; entries: number; kib: number }[];
  notes: string[];
}

export interface RealisticOptions {
  rounds: number;
  /** Cold starts per runtime per round. */
  starts: number;
  install: boolean;
  /** The copied dist/ of this run (bench/.work/dist). */
  dist: string;
  api: LeanRuntimeApi;
  log: (line: string) => void;
  /** Just these rows (and the hello-world floor), e.g. ['wrapper', 'wrapper-cache']: for checking new rows. */
  only?: string[] | undefined;
}

function run(command: string, args: string[], cwd: string): { ok: boolean; output: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** `npm ci` of bench/realistic from its lock file (npm 11 runs no install scripts; none are needed). */
export function installFunction(install: boolean, log: (line: string) => void): Ready<string> {
  if (existsSync(join(SOURCE_DIR, 'node_modules', '.package-lock.json'))) return { ok: true, value: SOURCE_DIR };
  if (!install) return { ok: false, reason: 'bench/realistic is not installed (smoke mode installs nothing; `make bench` does)' };
  log('realistic: npm ci --prefix bench/realistic (AWS SDK v3, middy, Powertools) ...');
  const r = run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', SOURCE_DIR], REPO_ROOT);
  if (!r.ok) return { ok: false, reason: `npm ci --prefix bench/realistic failed: ${r.output.trim().split('\n').slice(-4).join(' ')}` };
  return { ok: true, value: SOURCE_DIR };
}

export function copyFunction(target: string): void {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const name of ['index.mjs', 'package.json', 'node_modules']) cpSync(join(SOURCE_DIR, name), join(target, name), { recursive: true });
}

/** What a CDK NodejsFunction or SAM esbuild build ships: one CommonJS file, no node_modules. */
export async function bundleFunction(source: string, target: string): Promise<void> {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(source, 'index.mjs')],
    outfile: join(target, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    logLevel: 'error',
  });
  // On Lambda no package.json above /var/task decides; here the repository's ("type": "module") would.
  writeFileSync(join(target, 'package.json'), '{"type":"commonjs"}\n');
}

/** Runtime + function in one Bun executable with bytecode: Bun's best case for this function. */
export async function compileBun(bun: string, functionDir: string, work = WORK): Promise<Ready<{ binary: string; shim: string }>> {
  const src = join(work, 'bun-src');
  const shim = join(work, 'bun-shim');
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  mkdirSync(shim, { recursive: true });
  // Imported first, so the function's init runs before the runtime starts, as in any runtime.
  writeFileSync(join(src, 'function.ts'), `import { handler } from ${JSON.stringify(join(functionDir, 'index.mjs'))};\n(globalThis as Record<string, unknown>).${BUN_GLOBAL} = handler;\n`);
  writeFileSync(join(src, 'entry.ts'), `import './function.ts';\nimport ${JSON.stringify(join(REPO_ROOT, 'bootstrap.ts'))};\n`);
  // The runtime still loads _HANDLER from disk: a one-line module handing over the compiled-in handler.
  writeFileSync(join(shim, 'index.mjs'), `export const handler = globalThis.${BUN_GLOBAL};\n`);
  // Bun has no node:sea (the runtime asks whether it is a Node single executable): esbuild joins
  // everything into one ES module with node:sea answered "no", then Bun compiles that.
  const joined = join(src, 'app.mjs');
  const esbuild = await import('esbuild');
  try {
    await esbuild.build({
      entryPoints: [join(src, 'entry.ts')],
      outfile: joined,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'esnext',
      logLevel: 'error',
      banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
      plugins: [
        {
          name: 'no-node-sea',
          setup(build) {
            build.onResolve({ filter: /^node:sea$/ }, () => ({ path: 'node:sea', namespace: 'no-sea' }));
            build.onLoad({ filter: /.*/, namespace: 'no-sea' }, () => ({ contents: 'export const isSea = () => false;\n', loader: 'js' }));
          },
        },
      ],
    });
  } catch (error) {
    return { ok: false, reason: `esbuild of runtime + function for Bun failed: ${String(error).split('\n')[0]}` };
  }
  const binary = join(work, 'bootstrap-bun-bytecode');
  rmSync(binary, { force: true });
  const r = run(bun, ['build', '--compile', '--bytecode', '--format=esm', joined, '--outfile', binary], REPO_ROOT);
  if (!r.ok || !existsSync(binary)) return { ok: false, reason: `bun build --compile --bytecode failed: ${r.output.trim().split('\n').slice(-4).join(' ')}` };
  return { ok: true, value: { binary, shim } };
}

function withFunction(runtime: Runtime, id: string, label: string, taskRoot: string, env: Record<string, string>): Runtime {
  return { ...runtime, id, label, taskRoot, handler: HANDLER, env: { ...runtime.env, ...env } };
}

async function prepare(options: RealisticOptions, fake: FakeAws): Promise<{ runtimes: Runtime[]; unavailable: Unavailable[]; caches: RealisticResults['caches'] }> {
  const { log } = options;
  const unavailable: Unavailable[] = [];
  const runtimes: Runtime[] = [];
  const caches: RealisticResults['caches'] = [];
  const installed = installFunction(options.install, log);
  if (!installed.ok) return { runtimes, unavailable: [{ id: 'realistic', label: 'realistic function', reason: installed.reason }], caches };
  const env = { ...CREDENTIALS, AWS_ENDPOINT_URL: fake.url };
  const bootstrap = join(options.dist, 'bootstrap');
  const ours = binaryRuntime('rl-plain', '', bootstrap);
  if (isUnavailable(ours)) return { runtimes, unavailable: [ours], caches };

  const want = (id: string): boolean => options.only === undefined || options.only.includes(id);
  const dirs = {
    plain: join(WORK, 'unbundled'),
    cached: join(WORK, 'unbundled-cache'),
    bundled: join(WORK, 'bundled'),
    bundledCached: join(WORK, 'bundled-cache'),
    snapshot: join(WORK, 'unbundled-snapshot'),
    wrapperCached: join(WORK, 'unbundled-wrapper-cache'),
  };
  log('realistic: copying, bundling (esbuild) and packaging (code cache) the function ...');
  copyFunction(dirs.plain);
  copyFunction(dirs.cached);
  copyFunction(dirs.snapshot);
  copyFunction(dirs.wrapperCached);
  await bundleFunction(dirs.plain, dirs.bundled);
  await bundleFunction(dirs.plain, dirs.bundledCached);

  runtimes.push(withFunction(ours, 'hello', 'dist/bootstrap, hello world (the floor)', FUNCTION_DIR, {}));
  runtimes[0]!.handler = 'index.handler';
  if (want('plain')) runtimes.push(withFunction(ours, 'plain', 'dist/bootstrap', dirs.plain, env));
  for (const [id, label, dir] of [['cache', 'dist/bootstrap + code cache', dirs.cached], ['bundled-cache', 'dist/bootstrap, bundled + code cache', dirs.bundledCached]] as const) {
    if (!want(id)) continue;
    const report = await generateCompileCache({ functionDir: dir, handler: HANDLER, bootstrap, env, event: '{"packaging":true}' });
    if (report instanceof CompileCacheError) {
      unavailable.push({ id, label, reason: report.message });
      continue;
    }
    caches.push({ id, entries: report.entries, kib: Math.round(report.bytes / 1024) });
    runtimes.push(withFunction(ours, id, label, dir, env));
  }
  if (want('bundled')) runtimes.push(withFunction(ours, 'bundled', 'dist/bootstrap, bundled', dirs.bundled, env));
  // Lever 2: this run's runtime bundle + the function's dependencies evaluated into a V8 startup
  // snapshot, one executable for this function (build/snapshot/snapshot.ts); the handler itself loads from
  // disk. Built with its training run (the default) and without, to measure what training gains.
  // Init at build (issue 25 part 2): the handler module's init (the clients) runs at build too,
  // with the deployment's non-secret configuration (the endpoint) and no credentials.
  for (const [id, label, training, initAtBuild] of [
    ['snapshot', 'snapshot executable (dependencies evaluated and trained at build)', true, false],
    ['snapshot-untrained', 'snapshot executable, no training run', false, false],
    ['snapshot-init-at-build', 'snapshot executable, init at build', true, true],
  ] as const) {
    if (!want(id)) continue;
    log(`realistic: building the ${label} (build/snapshot/snapshot.ts) ...`);
    const snapshot = await buildSnapshotExecutable({
      functionDir: dirs.snapshot,
      handler: HANDLER,
      runtimeBundle: join(options.dist, 'bootstrap.js'),
      outDir: join(WORK, `${id}-out`),
      training,
      initAtBuild,
      // Every variable init reads is guarded at start (docs/pre-initialised.md, "Init at build"):
      // the SDK's clients and Powertools read the region and the initialisation type at init, which
      // the bench's sandboxes have as the emulator sets them (runtimeEnvironment).
      ...(initAtBuild ? { env: { AWS_ENDPOINT_URL: fake.url, AWS_REGION: REGION, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' } } : {}),
    });
    if (snapshot instanceof SnapshotError) {
      // The report keeps one line: the build's own error, when its output has one, says more than "exited 1".
      const cause = snapshot.message.split('\n').find((line) => /^\w*Error: /.test(line));
      unavailable.push({ id, label, reason: cause === undefined ? snapshot.message : `${cause} (${snapshot.message.split('\n')[0]})` });
    }
    else {
      const snapshotRuntime = binaryRuntime(id, '', snapshot.executable);
      if (isUnavailable(snapshotRuntime)) unavailable.push(snapshotRuntime);
      else runtimes.push(withFunction(snapshotRuntime, id, label, dirs.snapshot, env));
    }
  }

  const peers = installPeers(options.install, log);
  const ric = peers.ok ? buildRic(options.install, log) : peers;
  if (ric.ok) {
    if (want('ric')) runtimes.push(withFunction(ricRuntime(ric.value), 'ric', 'aws-lambda-ric 4.0.2', dirs.plain, env));
    if (want('ric-bundled')) runtimes.push(withFunction(ricRuntime(ric.value), 'ric-bundled', 'aws-lambda-ric 4.0.2, bundled', dirs.bundled, env));
  } else {
    unavailable.push({ id: 'ric', label: 'aws-lambda-ric 4.0.2', reason: ric.reason });
  }
  // The zip path (issue 25 part 3): the wrapper flavour on the managed node (the stand-in managed
  // bootstrap with AWS's client as its runtime directory), the function unbundled as a zip ships
  // it, without and with a packaged compile cache made under the same flavour (its V8 flags, e.g.
  // --expose-gc, are part of the cache's tag, so a cache made under dist/bootstrap would miss).
  if (ric.ok && (want('wrapper') || want('wrapper-cache'))) {
    const wrapper = wrapperRuntime(options.dist, ric.value);
    if (isUnavailable(wrapper)) unavailable.push(wrapper);
    else {
      const wrapperEnv = wrapper.launch({}).env ?? {};
      if (want('wrapper')) runtimes.push(withFunction(wrapper, 'wrapper', 'wrapper layer on managed node 24', dirs.plain, env));
      if (want('wrapper-cache')) {
        const label = 'wrapper layer on managed node 24 + packaged code cache';
        const report = await generateCompileCache({ functionDir: dirs.wrapperCached, handler: HANDLER, bootstrap: MANAGED_BOOTSTRAP, env: { ...env, ...wrapperEnv }, event: '{"packaging":true}' });
        if (report instanceof CompileCacheError) unavailable.push({ id: 'wrapper-cache', label, reason: report.message });
        else {
          caches.push({ id: 'wrapper-cache', entries: report.entries, kib: Math.round(report.bytes / 1024) });
          runtimes.push(withFunction(wrapper, 'wrapper-cache', label, dirs.wrapperCached, env));
        }
      }
    }
  }
  const bun = peers.ok && want('bun-bytecode') ? findBun() : peers.ok ? ({ ok: false, reason: 'not asked for (--only)' } as const) : peers;
  const compiled = bun.ok ? await compileBun(bun.value, dirs.plain) : bun;
  if (compiled.ok) {
    runtimes.push(withFunction(bunRuntime(compiled.value.binary), 'bun-bytecode', 'bun build --compile --bytecode (runtime + function)', compiled.value.shim, env));
  } else {
    unavailable.push({ id: 'bun-bytecode', label: 'bun --compile --bytecode', reason: compiled.reason });
  }
  return { runtimes, unavailable, caches };
}

/** Prepares every variant, then `rounds` interleaved rounds of `starts` cold starts each (round 1 discarded). */
export async function runRealistic(options: RealisticOptions): Promise<RealisticResults> {
  const loadAtStart = loadavg()[0]!;
  const fake = await FakeAws.start();
  try {
    const { runtimes, unavailable, caches } = await prepare(options, fake);
    const first = new Map<string, { next: number[]; response: number[]; cpu: number[]; failure: string | undefined }>(runtimes.map((r) => [r.id, { next: [], response: [], cpu: [], failure: undefined }]));
    for (let round = 1; round <= options.rounds; round++) {
      const line: string[] = [];
      for (let i = 0; i < options.starts; i++) {
        for (const runtime of shuffle(runtimes.filter((r) => first.get(r.id)!.failure === undefined))) {
          const samples = first.get(runtime.id)!;
          const before = { ...fake.counts };
          try {
            const sample = await measureStart(runtime, options.api);
            // A start whose first invoke did not reach the fake endpoint measured a different function.
            if (runtime.id !== 'hello' && (fake.counts.s3Put !== before.s3Put + 1 || fake.counts.dynamoGet !== before.dynamoGet + 1)) {
              throw new Error(`the first invoke did not send PutObject + GetItem to the fake endpoint (counts ${JSON.stringify(fake.counts)})`);
            }
            if (i === 0) line.push(`${runtime.id} ${sample.firstResponseMs.toFixed(0)}`);
            if (round === 1) continue;
            samples.next.push(sample.firstNextMs);
            samples.response.push(sample.firstResponseMs);
            samples.cpu.push(sample.firstResponseCpuMs);
          } catch (error) {
            samples.failure = `round ${round}: ${error instanceof Error ? error.message : String(error)}`;
            options.log(`realistic: ${runtime.label} failed and is dropped: ${samples.failure}`);
          }
        }
      }
      options.log(`realistic round ${round}/${options.rounds}${round === 1 ? ' (warm-up, discarded)' : ''}: first response ms: ${line.join(', ')}`);
    }
    return {
      rounds: options.rounds,
      startsPerRound: options.starts,
      rows: runtimes.map((r) => {
        const s = first.get(r.id)!;
        return { id: r.id, label: r.label, firstNextMs: summarize(s.next), firstResponseMs: summarize(s.response), firstResponseCpuMs: summarize(s.cpu), failure: s.failure };
      }),
      unavailable,
      caches,
      notes: [
        `Load average (1 min) ${loadAtStart.toFixed(2)} at the start of this section, ${loadavg()[0]!.toFixed(2)} at its end, on ${cpus().length} cores.`,
        `The function: bench/realistic/index.mjs, dependencies from bench/realistic/package-lock.json (npm ci). Bundled = esbuild, one CommonJS file. Every start's first invoke sent one PutObject and one GetItem to ${'`bench/fake-aws.ts`'} (checked).`,
        'Code cache: `make package` (build/compile-cache.ts) ran init + one invocation under dist/bootstrap and wrote .lambda-bootstrap/compile-cache into the function dir.',
        'Snapshot: `make package SNAPSHOT=1` (build/snapshot/snapshot.ts): one executable for this function whose V8 startup snapshot holds its five packages evaluated, and (unless "no training run") the bytecode compiled by the build\'s training run (clients built, one request each through the SDK\'s middleware to an in-memory stub, the logger, middy); the handler module and its init (clients) run at start.',
        'Wrapper rows: the wrapper layer (make layer-wrapper) started by the stand-in managed bootstrap on the pinned node 24, the function unbundled; "+ packaged code cache" is build/compile-cache.ts run under that same flavour.',
        'Warm page cache: every file was read moments before; Lambda fetches code lazily on a real cold start.',
        'CPU to first response: utime + stime of the process (all threads, /proc/<pid>/stat, 10 ms ticks) when its first response arrived. On a loaded machine wall times stretch with the load; CPU time much less, so its ratios are the steadier ones.',
      ],
    };
  } finally {
    await fake.close();
  }
}

/** The section of latest.md. */
export function realisticMarkdown(results: RealisticResults): string[] {
  const num = (v: number): string => v.toFixed(1);
  const cell = (s: Summary | undefined): string => (s === undefined ? '—' : `${num(s.median)} (${num(s.min)}–${num(s.max)})`);
  const ric = results.rows.find((r) => r.id === 'ric')?.firstResponseMs?.median;
  const hello = results.rows.find((r) => r.id === 'hello')?.firstResponseMs?.median;
  const ricCpu = results.rows.find((r) => r.id === 'ric')?.firstResponseCpuMs?.median;
  const helloCpu = results.rows.find((r) => r.id === 'hello')?.firstResponseCpuMs?.median;
  const ratio = (s: Summary | undefined, to: number | undefined): string => ratioText(s?.median, to);
  const out = [
    '## Realistic function (issue 14): AWS SDK v3 S3 + DynamoDB DocumentClient, middy, Powertools logger',
    '',
    `${results.rounds} rounds (the first discarded) × ${results.startsPerRound} cold starts per runtime, interleaved in a new random order. ` +
      'Cells: median (min–max) in ms; ratios of the first-response medians.',
    '',
    '| runtime | spawn → first /next | spawn → first response | ÷ ric | ÷ hello-world floor | CPU to first response | ÷ ric | ÷ floor |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const row of results.rows) {
    const cpu = row.firstResponseCpuMs;
    out.push(
      `| ${row.label} | ${cell(row.firstNextMs)} | ${cell(row.firstResponseMs)} | ${ratio(row.firstResponseMs, ric)} | ${ratio(row.firstResponseMs, hello)} | ` +
        `${cpu === undefined ? '—' : `${cpu.median.toFixed(0)} (${cpu.min.toFixed(0)}–${cpu.max.toFixed(0)})`} | ${ratio(cpu, ricCpu)} | ${ratio(cpu, helloCpu)} |`,
    );
  }
  out.push('');
  for (const c of results.caches) out.push(`- code cache of \`${c.id}\`: ${c.entries} entries, ${c.kib} KiB in the function dir`);
  for (const u of results.unavailable) out.push(`- not measured: ${u.label}: ${u.reason.split('\n')[0]}`);
  for (const r of results.rows) if (r.failure !== undefined) out.push(`- ${r.label} broke: ${r.failure.split('\n')[0]}`);
  out.push(...results.notes.map((n) => `- ${n}`), '');
  return out;
}

// `node bench/realistic.ts [--rounds N] [--starts N] [--out DIR] [--only wrapper,wrapper-cache]`: this section alone (make bench runs it too);
// --only checks a few rows (and the hello-world floor), written to bench/.work/realistic-only.
async function main(argv: string[]): Promise<number> {
  const { parseArgs } = await import('node:util');
  const { LeanRuntimeApi } = await import('./driver.ts');
  const { snapshotDist } = await import('./setup.ts');
  const { values } = parseArgs({ args: argv, options: { rounds: { type: 'string', default: '6' }, starts: { type: 'string', default: '3' }, out: { type: 'string' }, only: { type: 'string' } } });
  const rounds = Number(values.rounds);
  const starts = Number(values.starts);
  if (!Number.isInteger(rounds) || rounds < 2 || !Number.isInteger(starts) || starts < 1) {
    console.error('--rounds must be a whole number ≥ 2 and --starts ≥ 1');
    return 2;
  }
  const api = await LeanRuntimeApi.start();
  try {
    const only = values.only?.split(',').filter(Boolean);
    const results = await runRealistic({ rounds, starts, install: true, dist: snapshotDist(), api, log: (line) => console.log(line), only });
    const out = values.out ?? (only === undefined ? join(BENCH_DIR, 'results') : join(WORK_DIR, 'realistic-only'));
    mkdirSync(out, { recursive: true });
    const markdown = realisticMarkdown(results).join('\n');
    writeFileSync(join(out, 'realistic.md'), `${markdown}\n`);
    writeFileSync(join(out, 'realistic.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n${markdown}`);
    return results.rows.some((r) => r.failure !== undefined && !r.id.startsWith('ric') && !r.id.startsWith('bun')) ? 1 : 0;
  } finally {
    await api.close();
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
