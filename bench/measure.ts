// One measured process at a time: start it with a hello-world invocation already waiting (a cold
// start as Lambda runs it), time its first /next and first response, then keep invoking it for the
// warm, CPU and memory numbers. The floor (`node -e 0`) is timed from spawn to exit.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runtimeEnvironment } from '../emulator/runtime-environment.ts';
import { InvokeFailed } from './driver.ts';
import type { LeanRuntimeApi } from './driver.ts';
import { cpuTimeMs, evict, peakRssMb, residentMb } from './proc.ts';
import { FUNCTION_DIR, HANDLER, MEMORY_SIZE_MB } from './runtimes.ts';
import type { Launch, Runtime } from './runtimes.ts';

const EVENT = Buffer.from('{"hello":"world"}');
/** A measured process that has not asked for /next by then is reported as broken. */
const INIT_LIMIT_MS = 20_000;

export interface StartSample {
  firstNextMs: number;
  firstResponseMs: number;
  /** utime + stime (all threads, 10 ms ticks) when the first response has arrived. */
  firstResponseCpuMs: number;
}

export interface SessionSample extends StartSample {
  rssAfter3Mb: number;
  /** Mean time from handing over an event to its response arriving, over `warmInvokes`. */
  warmRoundTripUs: number;
  invocationsPerSecond: number;
  /** (user+sys) / invokes, over every invoke after the third. */
  cpuPerInvokeMs: number;
  rssAfterAllMb: number;
}

export interface ColdSample {
  firstNextMs: number;
  residentMb: number;
}

export interface SessionPlan {
  warmInvokes: number;
  /** Invokes in all, counting the first three and the warm ones. */
  totalInvokes: number;
}

interface Started {
  child: ChildProcess;
  pid: number;
  spawnedAtMs: number;
  output: () => string;
  exited: Promise<void>;
}

function start(runtime: Runtime, launch: Launch, api: LeanRuntimeApi): Started {
  const taskRoot = launch.taskRoot ?? runtime.taskRoot ?? FUNCTION_DIR;
  const env = runtimeEnvironment(
    {
      handler: runtime.handler ?? HANDLER,
      taskRoot,
      functionName: 'bench',
      functionVersion: '$LATEST',
      memorySizeMb: MEMORY_SIZE_MB,
      maxConcurrency: undefined,
      env: { ...runtime.env, ...launch.env },
    },
    api.address,
  );
  let output = '';
  const spawnedAtMs = performance.now();
  const child = spawn(launch.command, launch.args, { cwd: taskRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      api.fail(new InvokeFailed(`${runtime.label} exited (${signal ?? `code ${code}`}) while being measured; its last output:\n${output}`));
      resolve();
    });
    child.once('error', (error) => {
      api.fail(new InvokeFailed(`${runtime.label} could not be started (${launch.command}): ${error.message}`));
      resolve();
    });
  });
  if (child.pid === undefined) throw new InvokeFailed(`${runtime.label} has no pid after spawn (${launch.command})`);
  return { child, pid: child.pid, spawnedAtMs, output: () => output, exited };
}

async function stop(started: Started): Promise<void> {
  started.child.kill('SIGKILL');
  await started.exited;
}

async function withInitLimit<T>(runtime: Runtime, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InvokeFailed(`${runtime.label} did not ask for /next within ${INIT_LIMIT_MS} ms`)), INIT_LIMIT_MS);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** A cold start with an event waiting: spawn → first /next, spawn → first response. */
async function coldStart(runtime: Runtime, started: Started, api: LeanRuntimeApi): Promise<StartSample> {
  const first = api.invoke(EVENT);
  const [nextAtMs, trip] = await withInitLimit(runtime, Promise.all([api.firstNext(), first])).catch((error: unknown) => {
    // A start that hung says what it printed (an init error, a refusal) beside the limit.
    const output = started.output().trim();
    throw output === '' || !(error instanceof InvokeFailed) || error.message.includes(output) ? error : new InvokeFailed(`${error.message}; its last output:\n${output}`);
  });
  // CPU the process used up to its first response: unlike wall time, barely moved by other load.
  return { firstNextMs: nextAtMs - started.spawnedAtMs, firstResponseMs: trip.postedAtMs - started.spawnedAtMs, firstResponseCpuMs: cpuTimeMs(started.pid) };
}

/** Only the cold start: spawn → first /next, spawn → first response; then the process is killed. */
export async function measureStart(runtime: Runtime, api: LeanRuntimeApi): Promise<StartSample> {
  api.reset('a new process is being measured');
  const started = start(runtime, runtime.launch(runtime.files), api);
  try {
    return await coldStart(runtime, started, api);
  } finally {
    await stop(started);
  }
}

/**
 * A cold start from `launch` (files somewhere else than the runtime's own, e.g. on the package
 * device): spawn → first /next, → first response, and what `atFirstResponse` observes the moment
 * the response has arrived (before the process is killed).
 */
export async function measureStartFrom<T>(runtime: Runtime, launch: Launch, api: LeanRuntimeApi, atFirstResponse: () => T): Promise<StartSample & { observed: T }> {
  api.reset('a new process is being measured');
  const started = start(runtime, launch, api);
  try {
    const sample = await coldStart(runtime, started, api);
    return { ...sample, observed: atFirstResponse() };
  } finally {
    await stop(started);
  }
}

/** Cold start, then 3 invokes in all (peak RSS), `warmInvokes` timed ones, the rest up to `totalInvokes`. */
export async function measureSession(runtime: Runtime, api: LeanRuntimeApi, plan: SessionPlan): Promise<SessionSample> {
  api.reset('a new process is being measured');
  const started = start(runtime, runtime.launch(runtime.files), api);
  try {
    const init = await coldStart(runtime, started, api);
    await api.invoke(EVENT);
    await api.invoke(EVENT);
    const rssAfter3Mb = peakRssMb(started.pid);

    const cpuBeforeMs = cpuTimeMs(started.pid);
    let roundTripMs = 0;
    const warmStart = performance.now();
    for (let i = 0; i < plan.warmInvokes; i++) {
      const trip = await api.invoke(EVENT);
      roundTripMs += trip.postedAtMs - trip.deliveredAtMs;
    }
    const warmElapsedMs = performance.now() - warmStart;
    const rest = Math.max(0, plan.totalInvokes - 3 - plan.warmInvokes);
    for (let i = 0; i < rest; i++) await api.invoke(EVENT);
    const cpuMs = cpuTimeMs(started.pid) - cpuBeforeMs;
    return {
      ...init,
      rssAfter3Mb,
      warmRoundTripUs: (roundTripMs / plan.warmInvokes) * 1000,
      invocationsPerSecond: plan.warmInvokes / (warmElapsedMs / 1000),
      cpuPerInvokeMs: cpuMs / (plan.warmInvokes + rest),
      rssAfterAllMb: peakRssMb(started.pid),
    };
  } finally {
    await stop(started);
  }
}

/** Starts from private copies whose pages were just evicted: spawn → first /next, MiB read by then. */
export async function measureCold(runtime: Runtime, copies: Record<string, string>, api: LeanRuntimeApi, vmtouch: string): Promise<ColdSample> {
  const files = Object.values(copies);
  evict(vmtouch, files);
  if (runtime.role === 'floor') {
    const firstNextMs = await timeToExit(runtime.launch(copies));
    return { firstNextMs, residentMb: residentMb(vmtouch, files) };
  }
  api.reset('a new process is being measured');
  const started = start(runtime, runtime.launch(copies), api);
  try {
    const nextAtMs = await withInitLimit(runtime, api.firstNext());
    return { firstNextMs: nextAtMs - started.spawnedAtMs, residentMb: residentMb(vmtouch, files) };
  } finally {
    await stop(started);
  }
}

/** The floor: spawn → exit, in ms. */
export async function timeToExit(launch: Launch): Promise<number> {
  const spawnedAtMs = performance.now();
  const child = spawn(launch.command, launch.args, { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('exit', (c) => resolve(c));
    child.once('error', reject);
  });
  const ms = performance.now() - spawnedAtMs;
  if (code !== 0) throw new Error(`${launch.command} ${launch.args.join(' ')} exited ${code}`);
  return ms;
}
