// How many worker threads Lambda Managed Instances runs, and how the sandbox's concurrency
// (AWS_LAMBDA_MAX_CONCURRENCY) is shared among them.
//
// The count is AWS's client 4.x rule (aws-lambda-ric 4.0.2, dist/utils/worker.js,
// getWorkerCount / getAvailableCpus): AWS_LAMBDA_NODEJS_WORKER_COUNT when set, otherwise
// 8 × the vCPUs, the vCPUs read from the cgroup's cpu.max quota/period (rounded up; "max" means
// no quota: the machine's cores), and 1 when cpu.max cannot be read.

import { readFileSync } from 'node:fs';
import { EnvironmentError } from '../environment.ts';

export const WORKER_COUNT_VARIABLE = 'AWS_LAMBDA_NODEJS_WORKER_COUNT';
/** cgroup v2's CPU bandwidth limit: "<quota µs|max> <period µs>". */
export const CPU_MAX_FILE = '/sys/fs/cgroup/cpu.max';
/** Workers per vCPU when the variable is unset (AWS's client 4.x). */
const WORKERS_PER_CPU = 8;

/** Test seams: where the vCPU count comes from. */
export interface CpuSource {
  /** The text of cpu.max; throws when it cannot be read. */
  readCpuMax: () => string;
  /** The machine's core count. */
  coreCount: () => number;
}

const SYSTEM_CPUS: CpuSource = {
  readCpuMax: () => readFileSync(CPU_MAX_FILE, 'utf8'),
  // node:os only where the count is needed (Managed Instances without the variable).
  coreCount: () => process.getBuiltinModule('node:os').cpus().length,
};

/**
 * vCPUs available to the sandbox, as AWS's client 4.x counts them: ceil(quota / period) from
 * cpu.max, the core count when the quota is "max", 1 when the file is missing or unreadable.
 */
export function availableCpus(source: CpuSource = SYSTEM_CPUS): number {
  let text: string;
  try {
    text = source.readCpuMax().trim();
  } catch {
    return 1;
  }
  const [quotaText, periodText] = text.split(/\s+/);
  const period = Number.parseInt(periodText ?? '', 10);
  if (quotaText === 'max') return Math.max(1, source.coreCount());
  const quota = Number.parseInt(quotaText ?? '', 10);
  if (quota > 0 && period > 0) return Math.ceil(quota / period);
  return 1;
}

/**
 * The number of worker threads asked for: AWS_LAMBDA_NODEJS_WORKER_COUNT, a whole number ≥ 1
 * (anything else is an EnvironmentError naming the variable; AWS's client parses it with
 * parseInt and starts no worker at all for "0" or "abc"), or 8 × availableCpus().
 */
export function requestedWorkerCount(env: NodeJS.ProcessEnv, source: CpuSource = SYSTEM_CPUS): number | EnvironmentError {
  const value = env[WORKER_COUNT_VARIABLE];
  if (value === undefined || value === '') return WORKERS_PER_CPU * availableCpus(source);
  const count = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(count) || count < 1) {
    return new EnvironmentError(
      `${WORKER_COUNT_VARIABLE} is '${value}', but it must be a whole number of at least 1 (the number of worker ` +
        'threads that serve invocations on Lambda Managed Instances). Unset it to get 8 per vCPU.',
    );
  }
  return count;
}

/**
 * How many invoke loops each worker runs: `maxConcurrency` shared as evenly as it goes, the first
 * workers taking one more. A worker with no share could never take an invocation, so there are
 * never more workers than `maxConcurrency` (AWS's client starts them anyway: each one initialises
 * the function and then competes for the same invocations).
 * Example: shares(8, 3) = [3, 3, 2]; shares(4, 16) = [1, 1, 1, 1].
 */
export function concurrencyShares(maxConcurrency: number, requestedWorkers: number): number[] {
  const workers = Math.max(1, Math.min(requestedWorkers, maxConcurrency));
  const base = Math.floor(maxConcurrency / workers);
  const extra = maxConcurrency % workers;
  return Array.from({ length: workers }, (_, i) => base + (i < extra ? 1 : 0));
}
