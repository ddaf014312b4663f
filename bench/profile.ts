// Where a runtime's time goes: runs it under V8's CPU profiler (--cpu-prof, through NODE_OPTIONS so
// that the SEA binary is profiled as shipped), serves it `--invokes` hello-world invocations, then
// closes the Runtime API so that it exits and writes the profile. Prints self time by module and
// by function, for the start-up (until the process has answered its first invocation) and the rest.
// Usage: node bench/profile.ts <binary|bundle|ric> [--invokes N] [--out DIR] [--transport fetch]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { runtimeEnvironment } from '../emulator/runtime-environment.ts';
import { LeanRuntimeApi } from './driver.ts';
import { FUNCTION_DIR, HANDLER, MEMORY_SIZE_MB, REPO_ROOT, WORK_DIR, binaryRuntime, bundleRuntime, isUnavailable, ricRuntime } from './runtimes.ts';
import type { Runtime } from './runtimes.ts';
import { RIC_DIR } from './setup.ts';

const INTERVAL_US = 100;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function pickRuntime(name: string, transport: string | undefined): Runtime {
  const env: Record<string, string> = transport === undefined ? {} : { LAMBDA_BOOTSTRAP_TRANSPORT: transport };
  const dist = join(REPO_ROOT, 'dist');
  const runtime = name === 'binary' ? binaryRuntime('binary', 'dist/bootstrap', join(dist, 'bootstrap'), env) : name === 'bundle' ? bundleRuntime(dist) : name === 'ric' ? ricRuntime(RIC_DIR) : undefined;
  if (runtime === undefined) throw new Error(`unknown runtime '${name}': use binary, bundle or ric`);
  if (isUnavailable(runtime)) throw new Error(runtime.reason);
  runtime.env = { ...runtime.env, ...env };
  return runtime;
}

/**
 * Self time (ms) per key, over the samples whose timestamp falls in [fromUs, toUs): each sample
 * counts one sampling interval. (Weighting by the gap to the next sample would charge a function
 * for the time the profiler itself could not sample, e.g. while the process was blocked.)
 */
function selfTime(profile: CpuProfile, key: (node: ProfileNode) => string, fromUs: number, toUs: number): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < fromUs || t >= toUs) continue;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined) continue;
    const k = key(node);
    totals.set(k, (totals.get(k) ?? 0) + INTERVAL_US / 1000);
  }
  return totals;
}

function moduleOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native or builtin)';
  const internal = /node:internal\/(deps\/[^/]+|[^/]+)/.exec(url);
  if (internal) return `node:internal/${internal[1]}`;
  return url.replace(/^file:\/\//, '').replace(REPO_ROOT, '.');
}

function functionOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${url.replace(/^file:\/\//, '').replace(REPO_ROOT, '.')}:${lineNumber + 1}`;
}

function top(totals: Map<string, number>, count: number): string[] {
  return [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([k, ms]) => `  ${ms.toFixed(1).padStart(8)} ms  ${k}`);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { invokes: { type: 'string' }, out: { type: 'string' }, transport: { type: 'string' } } });
  const runtime = pickRuntime(positionals[0] ?? 'binary', values.transport);
  const invokes = Number(values.invokes ?? 2_000);
  const out = values.out ?? join(WORK_DIR, 'profiles', runtime.id);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const api = await LeanRuntimeApi.start();
  const env = runtimeEnvironment(
    { handler: HANDLER, taskRoot: FUNCTION_DIR, functionName: 'bench', functionVersion: '$LATEST', memorySizeMb: MEMORY_SIZE_MB, maxConcurrency: undefined, env: runtime.env },
    api.address,
  );
  // 100 µs sampling: start-up is a few tens of ms, the default 1 ms interval would see little of it.
  env.NODE_OPTIONS = `--cpu-prof --cpu-prof-dir=${out} --cpu-prof-interval=${INTERVAL_US}`;
  const launch = runtime.launch(runtime.files);
  const spawnedAt = performance.now();
  // V8's profile timestamps are CLOCK_MONOTONIC µs, the clock process.hrtime reads here too.
  const spawnedAtUs = Number(process.hrtime.bigint() / 1000n);
  const child = spawn(launch.command, launch.args, { cwd: FUNCTION_DIR, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const first = await api.invoke(Buffer.from('{"hello":"world"}'));
  const firstNext = (api.firstNextAtMs ?? 0) - spawnedAt;
  for (let i = 1; i < invokes; i++) await api.invoke(Buffer.from('{"hello":"world"}'));
  await api.close();
  await exited;
  const file = readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile was written to ${out} (did the runtime exit normally?)`);
  const profile = JSON.parse(readFileSync(join(out, file), 'utf8')) as CpuProfile;

  const startUpEndUs = spawnedAtUs + (first.postedAtMs - spawnedAt) * 1000;
  console.log(`${runtime.label}: spawn → first /next ${firstNext.toFixed(1)} ms, → first response ${(first.postedAtMs - spawnedAt).toFixed(1)} ms; profile ${join(out, file)}`);
  console.log(`the profiler started ${((profile.startTime - spawnedAtUs) / 1000).toFixed(1)} ms after spawn (native start-up before it is invisible to it)`);
  console.log('\nstart-up (profile start → first response), self time by module:');
  console.log(top(selfTime(profile, moduleOf, 0, startUpEndUs), 14).join('\n'));
  console.log('\nstart-up, self time by function:');
  console.log(top(selfTime(profile, functionOf, 0, startUpEndUs), 14).join('\n'));
  const warm = selfTime(profile, moduleOf, startUpEndUs, Number.POSITIVE_INFINITY);
  const warmTotal = [...warm.values()].reduce((a, b) => a + b, 0);
  console.log(`\nwarm (${invokes - 1} invokes; ${(warmTotal / (invokes - 1) * 1000).toFixed(0)} µs of samples per invoke, idle included), self time by module:`);
  console.log(top(warm, 12).join('\n'));
  console.log('\nwarm, self time by function:');
  console.log(top(selfTime(profile, functionOf, startUpEndUs, Number.POSITIVE_INFINITY), 16).join('\n'));
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
