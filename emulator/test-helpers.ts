// Shared by the emulator's own tests: a tiny stand-in runtime (a .mjs script speaking the Runtime
// API with node:http), written to a temp dir and run with this very Node, driven by its events.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Emulator } from './emulator.ts';
import type { EmulatorOptions } from './emulator.ts';

const STAND_IN = String.raw`
import http from 'node:http';
import fs from 'node:fs';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true });
const base = '/2018-06-01/runtime';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
setInterval(() => {}, 1 << 30); // stay alive while an event "hangs"

function call(method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const respond = (id, value) =>
  call('POST', base + '/invocation/' + encodeURIComponent(id) + '/response', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(value),
  });

async function stream(id, ev) {
  const req = http.request({
    host, port, agent, method: 'POST',
    path: base + '/invocation/' + encodeURIComponent(id) + '/response',
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      'Content-Type': ev.contentType ?? 'application/octet-stream',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
  });
  const done = new Promise((resolve, reject) => {
    req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
  });
  // { chunkCount, chunkSize, chunkChar }: a large stream from a small event (events are at most 6 MB).
  const pieces = ev.chunks ?? Array(ev.chunkCount).fill((ev.chunkChar ?? 'z').repeat(ev.chunkSize));
  for (const [i, piece] of pieces.entries()) {
    if (i > 0 && ev.gapMs) await sleep(ev.gapMs);
    if (i > 0 && i === pieces.length - 1 && ev.waitForFile) while (!fs.existsSync(ev.waitForFile)) await sleep(10);
    req.write(piece);
  }
  if (ev.errorType) {
    const errorBody = JSON.stringify({ errorType: ev.errorType, errorMessage: ev.errorMessage });
    req.addTrailers({
      'Lambda-Runtime-Function-Error-Type': ev.errorType,
      'Lambda-Runtime-Function-Error-Body': Buffer.from(errorBody).toString('base64'),
    });
  }
  req.end();
  return done;
}

async function handle(id, ev, next) {
  const startedAt = Date.now();
  switch (ev.action) {
    case 'echo':
      return respond(id, { event: ev, headers: next.headers, env: process.env, pid: process.pid, cwd: process.cwd() });
    case 'sleep':
      await sleep(ev.ms);
      return respond(id, { startedAt, endedAt: Date.now(), pid: process.pid });
    case 'error':
      return call('POST', base + '/invocation/' + encodeURIComponent(id) + '/error', {
        headers: { 'content-type': 'application/json', 'Lambda-Runtime-Function-Error-Type': ev.type },
        body: JSON.stringify({ errorType: ev.type, errorMessage: ev.message, trace: [] }),
      });
    case 'stream':
      return stream(id, ev);
    case 'allocate': {
      const big = Buffer.alloc(ev.mb * 1024 * 1024, 1);
      return respond(id, { allocated: big.length });
    }
    case 'log':
      console.log(ev.text);
      console.error(ev.text + ' (stderr)');
      return respond(id, 'logged');
    case 'exit':
      process.exit(ev.code);
    case 'kill':
      process.kill(process.pid, ev.signal);
      return new Promise(() => {});
    case 'hang':
      return new Promise(() => {});
    default:
      return respond(id, { unknownAction: ev.action });
  }
}

async function loop() {
  for (;;) {
    const next = await call('GET', base + '/invocation/next');
    if (next.status !== 200) {
      console.error('stand-in: /next answered ' + next.status);
      process.exit(2);
    }
    await handle(next.headers['lambda-runtime-aws-request-id'], JSON.parse(next.body), next);
  }
}

const mode = process.env.STANDIN_MODE ?? 'loop';
if (process.env.STANDIN_SIGTERM === 'exit') process.on('SIGTERM', () => process.exit(0));
if (process.env.STANDIN_SIGTERM === 'ignore') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
if (process.env.STANDIN_REGISTER) {
  const res = await call('POST', '/2020-01-01/extension/register', {
    headers: { 'Lambda-Extension-Name': process.env.STANDIN_REGISTER },
    body: JSON.stringify({ events: [] }),
  });
  console.log('registered ' + res.status + ' ' + res.headers['lambda-extension-identifier']);
  // Ready: init ends only when every registered extension has called event/next. Its own socket,
  // unref'd, so that the open poll never keeps this process alive.
  if (process.env.STANDIN_EXTENSION_NEXT !== 'skip') {
    const ready = http.request({
      host, port, method: 'GET', path: '/2020-01-01/extension/event/next', agent: false,
      headers: { 'Lambda-Extension-Identifier': res.headers['lambda-extension-identifier'] },
    });
    ready.on('socket', (s) => s.unref());
    ready.on('error', () => {});
    ready.end();
  }
}
const initErrorOnce = process.env.STANDIN_INIT_ERROR_ONCE;
if (mode === 'init-error' || (initErrorOnce && !fs.existsSync(initErrorOnce))) {
  if (initErrorOnce) fs.writeFileSync(initErrorOnce, 'x');
  const res = await call('POST', base + '/init/error', {
    headers: { 'content-type': 'application/json', 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' },
    body: JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: 'no module', trace: [] }),
  });
  console.error('init error posted: ' + res.status);
  process.exit(1);
} else if (mode === 'init-crash') {
  process.exit(3);
} else if (mode === 'idle') {
  // the test itself plays the runtime
} else {
  const pollers = Number(process.env.AWS_LAMBDA_MAX_CONCURRENCY ?? '1');
  for (let i = 0; i < pollers; i++) loop().catch((e) => { console.error('stand-in failed', e); process.exit(4); });
}
`;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `emulator-${prefix}-`));
}

/** Writes the stand-in runtime to a fresh temp dir (also its task root). */
export function writeStandIn(): { dir: string; script: string } {
  const dir = tempDir('standin');
  const script = join(dir, 'standin.mjs');
  writeFileSync(script, STAND_IN);
  return { dir, script };
}

const started: Emulator[] = [];

/** An Emulator running the stand-in (`process.execPath standin.mjs`); stopped by stopAll(). */
export async function startStandIn(
  options: Partial<EmulatorOptions> & { env?: Record<string, string | undefined> } = {},
): Promise<Emulator> {
  const { dir, script } = writeStandIn();
  const emulator = await Emulator.start({
    command: process.execPath,
    args: [script],
    handler: 'index.handler',
    taskRoot: dir,
    ...options,
  });
  started.push(emulator);
  return emulator;
}

export async function stopAll(): Promise<void> {
  await Promise.all(started.splice(0).map((e) => e.stop()));
}

export const RUNTIME = '/2018-06-01/runtime';

/** Polls `condition` every 10 ms until it holds (output travels through pipes, apart from HTTP). */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
