// Issue 19: a Managed Instances load run. One runtime process at AWS_LAMBDA_MAX_CONCURRENCY=8
// serves LMI_LOAD_INVOCATIONS invocations (8 in flight at all times) while the Runtime API
// misbehaves on purpose: /next answered 500 now and then, result posts answered 500 now and then
// (those invocations are lost on purpose: the emulator keeps them open until they time out), late
// answers (a handler outliving its timeout gets 410 InvokeTimeout), and once a 2 s period in
// which the Runtime API refuses every connection (a TCP proxy between the runtime and the
// emulator stops listening). It counts what was lost, log lines attributed to the wrong
// invocation, and samples the process's RSS and file descriptors.
// `make test` runs 2,000 invocations; LMI_LOAD_INVOCATIONS=80000 the full run (docs/fault-tolerance.md).
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, expect, test } from 'vitest';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import { describeOutcome, startFunction, stopAll, textLines } from '../integration/harness.ts';

const INVOCATIONS = Number(process.env.LMI_LOAD_INVOCATIONS ?? 2_000);
const CONCURRENCY = 8;
// Every PERIOD invocations: one late answer, one failed /next, one failed result post.
const PERIOD = Math.max(100, Math.floor(INVOCATIONS / 80));
const TIMEOUT_MS = 1_000;
const LATE_MS = 1_400;
const REFUSED_MS = 2_000;

/** A TCP proxy to the emulator's Runtime API that can refuse connections for a while. */
class Proxy {
  private server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  /** The emulator's Runtime API port, set once it listens. */
  target = 0;

  constructor() {
    this.server = this.create();
  }

  private create(): net.Server {
    return net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Refuses connections (and cuts the open ones) for `ms`, then listens again on the same port. */
  async refuse(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.server = this.create();
    await this.listen();
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.server.close();
  }
}

let proxy: Proxy | undefined;
afterAll(async () => {
  proxy?.close();
  await stopAll();
});

interface Sample {
  invocations: number;
  rssKb: number;
  fds: number;
}

function sample(pid: number, invocations: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { invocations, rssKb: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]), fds: readdirSync(`/proc/${pid}/fd`).length };
}

test(`Managed Instances under faults: ${INVOCATIONS} invocations at concurrency ${CONCURRENCY}`, async () => {
  proxy = new Proxy();
  await proxy.listen();
  // The runtime talks to the Runtime API through the proxy.
  const emulator: Emulator = await startFunction(
    'runtime-api-faults',
    'index.load',
    { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${proxy.port}` },
    { maxConcurrency: CONCURRENCY, timeoutMs: TIMEOUT_MS },
  );
  proxy.target = Number(emulator.runtimeApi.split(':')[1]);
  await emulator.spawn();
  await emulator.waitForNext();
  const pid = emulator.pid!;
  const started = performance.now();
  const counts = { response: 0, late: 0, lostOnPurpose: 0, other: 0, nextFaults: 0, postFaults: 0, answered410: 0 };
  const others: string[] = [];
  const samples: Sample[] = [sample(pid, 0)];
  let wrongIdLines = 0;
  let outputRead = 0;
  let issued = 0;
  let refused = false;
  let active = 0;
  let paused: Promise<void> | undefined;

  const countOutput = (): void => {
    const text = emulator.output;
    const end = text.lastIndexOf('\n') + 1;
    for (const line of textLines(text.slice(outputRead, end))) {
      const work = /^work (\S+)$/.exec(line.message);
      if (work !== null && work[1] !== line.requestId) wrongIdLines += 1;
      // The runtime's own line for a late answer, attributed to that invocation.
      const refusedLate = /^The Runtime API did not accept the response for request (\S+): .* 410 \{"errorMessage":"Invoke timeout","errorType":"InvokeTimeout"\}/.exec(line.message);
      if (refusedLate !== null) {
        counts.answered410 += 1;
        if (refusedLate[1] !== line.requestId) wrongIdLines += 1;
      }
    }
    outputRead = end;
  };
  // The emulator's request log holds every body; it is emptied as the run goes.
  const drainRequests = (): void => {
    emulator.requests.splice(0);
  };

  const one = async (): Promise<void> => {
    while (issued < INVOCATIONS) {
      if (paused !== undefined) await paused;
      const i = issued++;
      if (!refused && i >= INVOCATIONS / 2) {
        refused = true;
        // The outage hits idle pollers only, so that it loses nothing by itself: the others in
        // flight finish first (late ones included), then the Runtime API refuses for 2 s.
        paused = (async () => {
          while (active > 0) await new Promise((resolve) => setTimeout(resolve, 20));
          await new Promise((resolve) => setTimeout(resolve, LATE_MS));
          await proxy!.refuse(REFUSED_MS);
        })();
        await paused;
        paused = undefined;
      }
      active += 1;
      const phase = i % PERIOD;
      const late = phase === 1;
      if (phase === 2) {
        emulator.injectFault('next', { kind: 'status', status: 500 });
        counts.nextFaults += 1;
      }
      if (phase === 3) {
        emulator.injectFault('response', { kind: 'status', status: 500 });
        counts.postFaults += 1;
      }
      const id = `load-${i}`;
      const outcome: InvocationOutcome = await emulator.invoke(JSON.stringify({ id, ms: late ? LATE_MS : 0 }), { requestId: id });
      if (outcome.kind === 'response' && (outcome.json() as { id: string }).id === id) counts.response += 1;
      else if (outcome.kind === 'timeout' && late) counts.late += 1;
      else if (outcome.kind === 'timeout') counts.lostOnPurpose += 1;
      else {
        counts.other += 1;
        if (others.length < 5) others.push(describeOutcome(outcome, emulator));
      }
      active -= 1;
      if (i % 500 === 0) {
        countOutput();
        drainRequests();
      }
      if (i > 0 && i % Math.floor(INVOCATIONS / 10) === 0) samples.push(sample(pid, i));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, one));
  // The last late answers arrive after their invocations timed out.
  await new Promise((resolve) => setTimeout(resolve, LATE_MS));
  countOutput();
  drainRequests();
  samples.push(sample(pid, INVOCATIONS));
  const elapsedS = (performance.now() - started) / 1000;
  const report = { invocations: INVOCATIONS, elapsedS: Number(elapsedS.toFixed(1)), ...counts, wrongIdLines, pid: emulator.pid === pid, samples };
  console.log(`managed instances load: ${JSON.stringify(report)}`);

  expect(others, 'outcomes other than a response, a late answer or a failed post').toEqual([]);
  expect(emulator.pid, 'one process throughout').toBe(pid);
  expect(wrongIdLines).toBe(0);
  // Lost: only invocations whose own result post was failed on purpose.
  expect(counts.lostOnPurpose).toBeLessThanOrEqual(counts.postFaults);
  expect(counts.response + counts.late + counts.lostOnPurpose).toBe(INVOCATIONS);
  // Every late answer got its 410, but for one a planted post fault answered first.
  expect(counts.answered410, 'late answers refused with 410').toBeGreaterThanOrEqual(counts.late - counts.postFaults);
  expect(counts.answered410).toBeLessThanOrEqual(counts.late);
  expect(emulator.protocolViolations).toEqual([]);
  const fds = new Set(samples.slice(1).map((s) => s.fds));
  expect(Math.max(...fds) - Math.min(...fds), `fds ${[...fds].join(', ')}`).toBeLessThanOrEqual(2);
}, 600_000);
