// The shape of bench/results/latest.json, and the metrics every report writer walks through.
import type { Machine } from './machine.ts';
import type { Artifact, Role, Unavailable } from './runtimes.ts';
import type { ManagedInstancesResults } from './managed-instances.ts';
import type { RealisticResults } from './realistic.ts';
import type { Summary } from './stats.ts';

export type MetricKey =
  | 'firstNextMs'
  | 'firstResponseMs'
  | 'warmRoundTripUs'
  | 'invocationsPerSecond'
  | 'cpuPerInvokeMs'
  | 'rssAfter3Mb'
  | 'rssAfterAllMb'
  | 'coldFirstNextMs'
  | 'coldResidentMb';

export interface Metric {
  key: MetricKey;
  label: string;
  unit: string;
  digits: number;
  better: 'lower' | 'higher';
}

/** In report order. Labels take the run's settings (invoke counts) where they matter. */
export function metrics(settings: Settings): Metric[] {
  return [
    { key: 'firstNextMs', label: 'spawn → first /next', unit: 'ms', digits: 1, better: 'lower' },
    { key: 'firstResponseMs', label: 'spawn → first response', unit: 'ms', digits: 1, better: 'lower' },
    { key: 'warmRoundTripUs', label: `warm round trip (mean of ${settings.warmInvokes})`, unit: 'µs', digits: 0, better: 'lower' },
    { key: 'invocationsPerSecond', label: 'invocations/s (sequential)', unit: '/s', digits: 0, better: 'higher' },
    { key: 'cpuPerInvokeMs', label: 'CPU per invoke (user+sys)', unit: 'ms', digits: 3, better: 'lower' },
    { key: 'rssAfter3Mb', label: 'peak RSS after 3 invokes', unit: 'MiB', digits: 1, better: 'lower' },
    { key: 'rssAfterAllMb', label: `peak RSS after ${settings.totalInvokes} invokes`, unit: 'MiB', digits: 1, better: 'lower' },
    { key: 'coldFirstNextMs', label: 'cold disk: spawn → first /next', unit: 'ms', digits: 1, better: 'lower' },
    { key: 'coldResidentMb', label: 'cold disk: MiB of its files paged in', unit: 'MiB', digits: 1, better: 'lower' },
  ];
}

export interface Settings {
  mode: 'full' | 'smoke';
  /** Rounds run, the first of which is discarded. */
  rounds: number;
  warmInvokes: number;
  totalInvokes: number;
  memorySizeMb: number;
  driver: string;
}

export interface RuntimeResult {
  id: string;
  label: string;
  role: Role;
  artifact: Artifact;
  metrics: Partial<Record<MetricKey, Summary>>;
  /** Set when the runtime broke during the run: the numbers cover the rounds before. */
  failure: string | undefined;
}

export interface EmulatorCheck {
  runtime: string;
  invokes: number;
  emulator: { firstNextMs: Summary | undefined; firstResponseMs: Summary | undefined; perInvokeUs: Summary | undefined };
  leanPerInvokeUs: Summary | undefined;
}

/** Lambda-like cold-start metrics (bench/lambda-like.ts), medians over the kept rounds. */
export type LambdaLikeKey = 'firstNextMs' | 'firstResponseMs' | 'firstResponseCpuMs' | 'readMiB' | 'readRequests' | 'chunks' | 'residentMiB';

export interface LambdaLikeResult {
  id: string;
  label: string;
  /** The warm runtime whose CPU time the model uses: binary, wrapper, ric, bun. */
  flavour: string;
  packaging: 'zip' | 'image';
  /** A row of the realistic function (issue 25): reported in its own table. */
  realistic?: boolean;
  readAheadKiB: number;
  /** The cold files, relative to the package root. */
  files: string;
  unpackedBytes: number;
  metrics: Partial<Record<LambdaLikeKey, Summary>>;
  /** The model's estimate of Lambda's init duration (ms), when the model could be fitted. */
  predictedInitMs: number | undefined;
  /** lambda-perf's published p50 init for this runtime and packaging, when it has one. */
  publishedInitMs: number | undefined;
  failure: string | undefined;
}

export interface LambdaLikeSection {
  /** Why the section was not measured (no root, no loop device, ...). */
  unavailable: string | undefined;
  storage: string;
  variants: LambdaLikeResult[];
  model: { s: number; kZipMsPerMiB: number; kImageMsPerChunk: number; imageResiduals: { nodejs24: number; bun: number }; source: string } | undefined;
  modelError: string | undefined;
}

export interface BenchResults {
  schema: 1;
  date: string;
  durationS: number;
  machine: Machine;
  settings: Settings;
  /** The runtime ratios are taken against ('binary': dist/bootstrap). */
  reference: string;
  runtimes: RuntimeResult[];
  unavailable: Unavailable[];
  emulatorCheck: EmulatorCheck | undefined;
  lambdaLike: LambdaLikeSection | undefined;
  /** Issue 14's realistic function (bench/realistic.ts); full runs only. */
  realistic?: RealisticResults | undefined;
  /** Issue 19: a CPU-bound handler on Managed Instances, 1 vs 2 worker threads (bench/managed-instances.ts). */
  managedInstances?: ManagedInstancesResults | undefined;
  notes: string[];
}
