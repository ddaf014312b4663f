// A Runtime API whose every /next answer a test scripts: what the emulator cannot do on purpose
// (fail the Nth concurrent poll while others run, repeat a header, send a malformed deadline,
// stop listening for a while and come back on the same port). The runtime under test is the real
// dist/bootstrap, started with exactly the environment given.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { bootstrapCommand } from '../integration/harness.ts';

export interface NextPoll {
  /** 1-based, in arrival order. */
  n: number;
  atMs: number;
  res: http.ServerResponse;
  req: http.IncomingMessage;
}

export interface ResultPost {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  atMs: number;
}

/** Answers one /next: `undefined` holds it open (the test may answer `poll.res` later). */
export type NextScript = (poll: NextPoll) => void;

export class ScriptedRuntimeApi {
  readonly polls: NextPoll[] = [];
  readonly posts: ResultPost[] = [];
  /** Status for each result post, by request path; default 202. */
  postStatus: (path: string, index: number) => number | 'reset' = () => 202;
  private server: http.Server;
  private port = 0;
  private readonly script: NextScript;

  constructor(script: NextScript) {
    this.script = script;
    this.server = this.create();
  }

  private create(): http.Server {
    const server = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/2018-06-01/runtime/invocation/next') {
        const poll = { n: this.polls.length + 1, atMs: performance.now(), res, req };
        this.polls.push(poll);
        this.script(poll);
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        this.posts.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), atMs: performance.now() });
        const status = this.postStatus(path, this.posts.length - 1);
        if (status === 'reset') {
          req.socket.destroy();
          return;
        }
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(status === 202 ? '{"status":"OK"}' : `{"errorMessage":"scripted ${status}","errorType":"Scripted"}`);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.requestTimeout = 0;
    return server;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    this.port = address.port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Stops listening and drops every connection (open polls included): connections are refused. */
  async goAway(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async comeBack(): Promise<void> {
    this.server = this.create();
    await this.listen();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers `poll` with an event; header values go out as their UTF-8 bytes, as the service sends them. */
export function answerEvent(poll: NextPoll, headers: Record<string, string | string[]>, body = '{}'): void {
  const wire: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    wire[name] = Array.isArray(value) ? value.map(utf8Bytes) : utf8Bytes(value);
  }
  const bytes = Buffer.from(body, 'utf8');
  poll.res.writeHead(200, { ...wire, 'Content-Type': 'application/json', 'Content-Length': String(bytes.length) });
  // A Buffer: with a string body node:http would encode the head with the body's encoding (UTF-8).
  poll.res.end(bytes);
}

function utf8Bytes(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

export interface RunningRuntime {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: string | null; atMs: number }>;
}

/** Starts dist/bootstrap against `api` with `env` (PATH added), serving `handler` from `taskRoot`. */
export function startRuntime(api: ScriptedRuntimeApi, taskRoot: string, handler: string, env: Record<string, string> = {}): RunningRuntime {
  const runtime = bootstrapCommand();
  const child = spawn(runtime.command, runtime.args, {
    cwd: taskRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...runtime.env,
      AWS_LAMBDA_RUNTIME_API: api.address,
      _HANDLER: handler,
      LAMBDA_TASK_ROOT: taskRoot,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<{ code: number | null; signal: string | null; atMs: number }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, atMs: performance.now() })),
  );
  return { child, output: () => output, exited };
}

/** Resolves once `condition` holds (polled every 10 ms), or rejects after `ms` naming `what`. */
export async function until(condition: () => boolean, ms: number, what: string): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
