// A lean Runtime API for measuring: just enough of /next and /response to drive one runtime
// process at a time, with a timestamp at each edge and no per-request bookkeeping.
// Why not the full Emulator: it records every request and reads /proc/<pid>/status on every one
// (for its REPORT line), which adds bench-side CPU to each round trip on a 2-core machine.
// bench/emulator-check.ts measures that difference in every full run.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

const RUNTIME = '/2018-06-01/runtime';
const RESULT_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:bench';
const TRACE = 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0';

/** One invocation's two edges, both performance.now() in the bench process. */
export interface RoundTrip {
  deliveredAtMs: number;
  postedAtMs: number;
}

export class InvokeFailed extends Error {
  override name = 'InvokeFailed';
}

interface Pending {
  requestId: string;
  payload: Buffer;
  deliveredAtMs: number;
  resolve: (trip: RoundTrip) => void;
  reject: (error: Error) => void;
}

export class LeanRuntimeApi {
  /** performance.now() of the first GET /next since the last reset(). */
  firstNextAtMs: number | undefined;
  private readonly server: Server;
  private heldNext: ServerResponse | undefined;
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<string, Pending>();
  private firstNextWaiters: ((atMs: number) => void)[] = [];
  private counter = 0;

  static async start(): Promise<LeanRuntimeApi> {
    const api = new LeanRuntimeApi();
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(0, '127.0.0.1', resolve);
    });
    return api;
  }

  private constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** `127.0.0.1:<port>`: the runtime's AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Forget the previous process: its held /next, its queue, its first-/next time. */
  reset(reason: string): void {
    this.fail(new InvokeFailed(reason));
    this.heldNext?.destroy();
    this.heldNext = undefined;
    // The previous process's connections go too: a GET /next it sent just before it was killed
    // could otherwise be parsed after this reset, be taken for the new process's first /next and
    // be handed the new process's event on a dead socket (seen under load as a start that "did
    // not ask for /next" within the limit, and printed nothing).
    this.server.closeAllConnections();
    this.firstNextAtMs = undefined;
    this.firstNextWaiters = [];
  }

  /** Resolves with the time of the first GET /next (at once if it already came). */
  firstNext(): Promise<number> {
    if (this.firstNextAtMs !== undefined) return Promise.resolve(this.firstNextAtMs);
    return new Promise((resolve) => this.firstNextWaiters.push(resolve));
  }

  /** Hands `payload` to the runtime (now, or at its next GET /next); resolves at its response. */
  invoke(payload: Buffer): Promise<RoundTrip> {
    return new Promise((resolve, reject) => {
      const pending: Pending = { requestId: `bench-${++this.counter}`, payload, deliveredAtMs: 0, resolve, reject };
      const held = this.heldNext;
      if (held !== undefined) {
        this.heldNext = undefined;
        this.deliver(held, pending);
      } else {
        this.queue.push(pending);
      }
    });
  }

  /** Rejects everything waiting: the process died, or the measurement gave up. */
  fail(error: Error): void {
    for (const pending of this.queue.splice(0)) pending.reject(error);
    for (const pending of this.inFlight.values()) pending.reject(error);
    this.inFlight.clear();
  }

  async close(): Promise<void> {
    this.reset('the driver was closed');
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === `${RUNTIME}/invocation/next`) {
      const atMs = performance.now();
      if (this.firstNextAtMs === undefined) {
        this.firstNextAtMs = atMs;
        for (const waiter of this.firstNextWaiters.splice(0)) waiter(atMs);
      }
      const pending = this.queue.shift();
      if (pending !== undefined) this.deliver(res, pending);
      else this.heldNext = res;
      return;
    }
    const result = req.method === 'POST' ? RESULT_PATH.exec(url) : null;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const postedAtMs = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      if (result === null) {
        res.writeHead(url === `${RUNTIME}/init/error` ? 202 : 404, { 'content-type': 'application/json' }).end('{}');
        if (url === `${RUNTIME}/init/error`) this.fail(new InvokeFailed(`the runtime reported an init error: ${body.slice(0, 500)}`));
        return;
      }
      const requestId = decodeURIComponent(result[1] ?? '');
      const pending = this.inFlight.get(requestId);
      res.writeHead(pending === undefined ? 400 : 202, { 'content-type': 'application/json' }).end('{"status":"OK"}');
      if (pending === undefined) return;
      this.inFlight.delete(requestId);
      if (result[2] === 'error') {
        pending.reject(new InvokeFailed(`invocation ${requestId} failed: ${body.slice(0, 500)}`));
      } else {
        pending.resolve({ deliveredAtMs: pending.deliveredAtMs, postedAtMs });
      }
    });
  }

  private deliver(res: ServerResponse, pending: Pending): void {
    this.inFlight.set(pending.requestId, pending);
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': pending.payload.length,
      'lambda-runtime-aws-request-id': pending.requestId,
      'lambda-runtime-deadline-ms': String(Date.now() + 30_000),
      'lambda-runtime-invoked-function-arn': ARN,
      'lambda-runtime-trace-id': TRACE,
    });
    pending.deliveredAtMs = performance.now();
    res.end(pending.payload);
  }
}
