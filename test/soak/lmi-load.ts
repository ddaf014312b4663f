// The Managed Instances load run (issue 19): many invocations at AWS_LAMBDA_MAX_CONCURRENCY=8 with
// 2 worker threads, through the full Emulator, while the Runtime API misbehaves on purpose:
//   - /next answered 500, or its connection closed, every `nextFaultEvery` invocations;
//   - a result post answered 500 every `responseFaultEvery` invocations;
//   - one `refuseMs` period (2 s) half way in which the Runtime API refuses connections and
//     every open connection is reset (test/soak/refusable-proxy.ts);
//   - every `lateEvery`-th invocation answers after the function timeout: its late answer gets
//     410 InvokeTimeout.
// It counts what must hold: invocations lost (a normal invocation without its response) and
// whether each was one whose own result post failed on purpose (the runtime logs the request id
// of every refused post); log records filed under the wrong request id (must be 0); the runtime
// process's RSS and open fds over the run; whether the process is still serving at the end.
// Usage: [BOOTSTRAP_TARGET=wrapper] node test/soak/lmi-load.ts [--invocations 80000] [--bootstrap path/to/bootstrap]
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Emulator } from '../../emulator/index.ts';
import type { InvocationOutcome } from '../../emulator/index.ts';
import { bootstrapCommand } from '../integration/harness.ts';
import { RefusableProxy } from './refusable-proxy.ts';

export interface LoadOptions {
  /** The runtime: a command and its arguments (and environment for the wrapper flavour). */
  command: string;
  args?: string[];
  env?: Record<string, string>;
  taskRoot: string;
  invocations: number;
  concurrency?: number;
  workers?: number;
  nextFaultEvery?: number;
  responseFaultEvery?: number;
  lateEvery?: number;
  timeoutMs?: number;
  lateMs?: number;
  refuseMs?: number;
  log?: (line: string) => void;
}

export interface Sampled {
  first: number;
  max: number;
  last: number;
}

export interface LoadResults {
  invocations: number;
  wallSeconds: number;
  perSecond: number;
  outcomes: Record<string, number>;
  late: { count: number; timedOut: number; refusedLateAnswersLogged: number };
  injected: { nextFaults: number; responseFaults: number; refusedMs: number; connectionsReset: number };
  /** Normal invocations that did not get their response. */
  lost: number;
  /** Of those, the ones whose own result post the runtime logged as refused. */
  lostWithFailedPost: number;
  /** Lost ones whose handler never ran, pending when the refused period reset every connection:
   * the event was cut on its way to the runtime (the emulator had written it to the reset /next). */
  lostInTransit: string[];
  /** Lost ones with neither explanation: must be 0. */
  lostUnexplained: string[];
  /** Result posts the runtime logged as not accepted (any cause). */
  failedPostsLogged: number;
  /** By the status the Runtime API answered ('no answer': refused or reset). */
  failedPostReasons: Record<string, number>;
  nextRetriesLogged: number;
  /** Records checked for their request id, and those filed under another one (must be 0). */
  recordsChecked: number;
  wrongIdRecords: number;
  wrongIdExamples: string[];
  rssMb: Sampled;
  fds: Sampled;
  /** The most open fds sampled before the refused period: every lane's connections open, no fault
   * yet. The baseline of the leak check (the first sample may come while the workers still open
   * their connections). NaN when no sample came before it. */
  fdsWarm: number;
  /** Still serving after the run: one more invocation answered. */
  servingAfter: boolean;
  protocolViolations: number;
}

const ID_MESSAGE = /^(?:begin|end) (\S+)$/;
const FAILED_POST = /^The Runtime API did not accept the (?:response|error) for request (\S+): /;
const NEXT_RETRY = /^Failed to get next invocation \(attempt /;

export async function runLoad(options: LoadOptions): Promise<LoadResults> {
  const concurrency = options.concurrency ?? 8;
  const total = options.invocations;
  const nextFaultEvery = options.nextFaultEvery ?? 1_000;
  const responseFaultEvery = options.responseFaultEvery ?? 5_000;
  const lateEvery = options.lateEvery ?? 4_000;
  const timeoutMs = options.timeoutMs ?? 1_000;
  const lateMs = options.lateMs ?? 1_500;
  const refuseMs = options.refuseMs ?? 2_000;
  const log = options.log ?? (() => {});

  const proxy = await RefusableProxy.start();
  const emulator = await Emulator.start({
    command: options.command,
    args: options.args ?? [],
    handler: 'index.handler',
    taskRoot: options.taskRoot,
    maxConcurrency: concurrency,
    timeoutMs,
    memorySizeMb: 1024,
    outputHistoryChars: Number.POSITIVE_INFINITY,
    env: {
      ...options.env,
      AWS_LAMBDA_NODEJS_WORKER_COUNT: String(options.workers ?? 2),
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      // The runtime talks to the Runtime API through the proxy, which can refuse it.
      AWS_LAMBDA_RUNTIME_API: proxy.address,
    },
  });
  proxy.target(emulator.runtimeApi);
  const injected = { nextFaults: 0, responseFaults: 0, refusedMs: 0, connectionsReset: 0 };
  const outcomes = new Map<string, InvocationOutcome['kind']>();
  const lateIds = new Set<string>();
  const spans = new Map<string, { issued: number; settled: number }>();
  let refusedAt: number | undefined;
  let resetLanding: Promise<unknown> | undefined;
  const rss: number[] = [];
  const fds: number[] = [];
  let samplesBeforeRefusal = 0;
  let sampler: NodeJS.Timeout | undefined;
  let refusal: Promise<void> | undefined;

  try {
    await emulator.spawn();
    await emulator.waitForNext();
    const sample = (): void => {
      const pid = emulator.pid;
      if (pid === undefined) return;
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
        if (Number.isFinite(kb)) rss.push(kb / 1024);
        fds.push(readdirSync(`/proc/${pid}/fd`).length);
      } catch {
        // Gone between the check and the read: the exit shows in the results.
      }
    };

    const started = performance.now();
    let next = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        if (i > 0 && i % nextFaultEvery === 0) {
          emulator.injectFault('next', i % (2 * nextFaultEvery) === 0 ? { kind: 'close' } : { kind: 'status', status: 500 });
          injected.nextFaults += 1;
        }
        if (i > 0 && i % responseFaultEvery === responseFaultEvery / 2) {
          emulator.injectFault('response', { kind: 'status', status: 500 });
          injected.responseFaults += 1;
        }
        if (i === Math.floor(total / 2) && refuseMs > 0) {
          injected.refusedMs = refuseMs;
          sample(); // the warm state, every lane's connections open, just before the faults
          samplesBeforeRefusal = fds.length;
          refusedAt = performance.now();
          refusal = proxy.refuse(refuseMs);
          // The resets reach the emulator's end of each connection on a later turn of its event
          // loop; until then it may still write a new event to a /next the reset has cut. Every
          // lane waits for them to land before issuing again, so that only events issued before
          // refusedAt can be cut in transit (cutByTheReset) and any other loss is a real one.
          resetLanding = new Promise((resolve) => setTimeout(resolve, 100));
        }
        if (resetLanding !== undefined) await resetLanding;
        const late = i % lateEvery === lateEvery - 1;
        const requestId = `${late ? 'late' : 'n'}-${i}`;
        if (late) lateIds.add(requestId);
        const issued = performance.now();
        const outcome = await emulator.invoke(late ? JSON.stringify({ lateMs }) : '{}', { requestId });
        spans.set(requestId, { issued, settled: performance.now() });
        outcomes.set(requestId, outcome.kind);
        done += 1;
        if (done === Math.min(1_000, Math.floor(total / 10))) sampler = setInterval(sample, 500);
        if (done % 10_000 === 0) {
          log(`lmi-load: ${done}/${total} after ${((performance.now() - started) / 1000).toFixed(0)} s, RSS ${rss.at(-1)?.toFixed(1) ?? '-'} MiB, ${fds.at(-1) ?? '-'} fds`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const wallSeconds = (performance.now() - started) / 1000;
    await refusal;
    // The last late answers arrive after their timeouts.
    await new Promise((resolve) => setTimeout(resolve, lateMs));
    sample();
    clearInterval(sampler);
    const after = await emulator.invoke('{}', { requestId: 'after-the-run' });
    injected.connectionsReset = proxy.resets;

    // What the runtime logged: every JSON record, checked for the request id it carries.
    const failedPosts = new Set<string>();
    const handled = new Set<string>();
    const failedPostReasons: Record<string, number> = {};
    let recordsChecked = 0;
    let wrongIdRecords = 0;
    let nextRetriesLogged = 0;
    let refusedLateAnswersLogged = 0;
    const wrongIdExamples: string[] = [];
    for (const line of emulator.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      let record: { requestId?: unknown; message?: unknown };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        continue;
      }
      const message = typeof record.message === 'string' ? record.message : '';
      if (NEXT_RETRY.test(message)) nextRetriesLogged += 1;
      const owner = ID_MESSAGE.exec(message)?.[1] ?? FAILED_POST.exec(message)?.[1];
      if (owner === undefined) continue;
      if (message.startsWith('begin ')) handled.add(owner);
      recordsChecked += 1;
      if (record.requestId !== owner) {
        wrongIdRecords += 1;
        if (wrongIdExamples.length < 5) wrongIdExamples.push(line.slice(0, 300));
      }
      const failed = FAILED_POST.exec(message)?.[1];
      if (failed !== undefined) {
        failedPosts.add(failed);
        const reason = /with (\d{3})\b/.exec(message)?.[1] ?? 'no answer';
        failedPostReasons[reason] = (failedPostReasons[reason] ?? 0) + 1;
        if (lateIds.has(failed) && message.includes('410')) refusedLateAnswersLogged += 1;
      }
    }

    // Pending when the refused period began (issued before, settled after) and never handled.
    const cutByTheReset = (id: string): boolean => {
      const span = spans.get(id);
      return !handled.has(id) && refusedAt !== undefined && span !== undefined && span.issued <= refusedAt && span.settled >= refusedAt;
    };
    const counts: Record<string, number> = {};
    const lostIds: string[] = [];
    for (const [requestId, kind] of outcomes) {
      counts[kind] = (counts[kind] ?? 0) + 1;
      if (!lateIds.has(requestId) && kind !== 'response') lostIds.push(requestId);
    }
    const summary = (values: number[]): Sampled => ({
      first: values[0] ?? Number.NaN,
      max: values.length === 0 ? Number.NaN : Math.max(...values),
      last: values.at(-1) ?? Number.NaN,
    });
    return {
      invocations: total,
      wallSeconds,
      perSecond: total / wallSeconds,
      outcomes: counts,
      late: {
        count: lateIds.size,
        timedOut: [...lateIds].filter((id) => outcomes.get(id) === 'timeout').length,
        refusedLateAnswersLogged,
      },
      injected,
      lost: lostIds.length,
      lostWithFailedPost: lostIds.filter((id) => failedPosts.has(id)).length,
      lostInTransit: lostIds.filter((id) => !failedPosts.has(id) && cutByTheReset(id)),
      lostUnexplained: lostIds.filter((id) => !failedPosts.has(id) && !cutByTheReset(id)),
      failedPostsLogged: failedPosts.size,
      failedPostReasons,
      nextRetriesLogged,
      recordsChecked,
      wrongIdRecords,
      wrongIdExamples,
      rssMb: summary(rss),
      fds: summary(fds),
      fdsWarm: samplesBeforeRefusal === 0 ? Number.NaN : Math.max(...fds.slice(0, samplesBeforeRefusal)),
      servingAfter: after.kind === 'response',
      protocolViolations: emulator.protocolViolations.length,
    };
  } finally {
    clearInterval(sampler);
    await emulator.stop();
    await proxy.close();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { invocations: { type: 'string' }, bootstrap: { type: 'string' } },
  });
  const repo = resolve(import.meta.dirname, '..', '..');
  // --bootstrap: that binary; else the build BOOTSTRAP_TARGET names (binary, bundle, wrapper), as in the tests.
  const runtime = values.bootstrap === undefined ? bootstrapCommand() : { command: resolve(values.bootstrap), args: [], env: {} };
  const results = await runLoad({
    command: runtime.command,
    args: runtime.args,
    env: runtime.env,
    taskRoot: resolve(repo, 'test', 'fixtures', 'soak'),
    invocations: Number(values.invocations ?? 80_000),
    log: (line) => console.error(line),
  });
  console.log(JSON.stringify(results, null, 2));
}
