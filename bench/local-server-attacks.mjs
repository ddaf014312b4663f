// The attack table of issue 23: each attack on `lambda-bootstrap serve` (the npm tool, as a
// developer runs it, with an AWS key in its environment), the HTTP status it got, and whether the
// server still answered a good request afterwards. The tests (test/local/*) assert each of these;
// this prints them in one table for the record.
//   make -s cli && node_modules/.bin/node bench/local-server-attacks.mjs
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rows = [];

async function serve(handler) {
  const child = spawn(
    process.execPath,
    [join(root, 'cli/dist/lambda-bootstrap.js'), 'serve', join(root, 'test/fixtures/local-security'), '--handler', handler, '--function-name', 'fn', '--bootstrap', join(root, 'dist/bootstrap'), '--port', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEDEVELOPER', AWS_SECRET_ACCESS_KEY: 'example' } },
  );
  let log = '';
  const port = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log += d;
      const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m !== null && log.includes('runtime ready')) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
  });
  return { child, port, log: () => log };
}

/** Raw bytes in, the status codes of the answers out (in order), on one connection. */
function raw(port, bytes, { half = false, wait = 1500 } = {}) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(bytes);
      if (half) setTimeout(() => s.destroy(), 200);
    });
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    const done = () => resolve([...out.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])));
    s.on('close', done);
    s.on('error', () => {});
    setTimeout(() => (s.destroy(), done()), wait);
  });
}

function request(port, method, path, headers, body = '') {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', (e) => resolve({ status: `error ${e.code}`, body: '' }));
    if (typeof body === 'function') body(req);
    else req.end(body);
  });
}

async function alive(server, path = '/ok') {
  if (server.child.exitCode !== null) return 'no (exited)';
  const r = await request(server.port, 'GET', path, { host: `127.0.0.1:${server.port}` });
  return r.status === 200 ? 'yes' : `answers ${r.status}`;
}

const rss = (pid) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024);
const RIE = '/2015-03-31/functions/function/invocations';
const API = '/2015-03-31/functions/fn/invocations';
const get = (port, path, host = `127.0.0.1:${port}`) => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

async function attack(server, what, run, okPath) {
  const status = await run(server.port);
  rows.push([what, String(status), await alive(server, okPath)]);
}

// Who may call (index.whoami answers "ran with AWS key present").
{
  const s = await serve('index.whoami');
  const self = () => `127.0.0.1:${s.port}`;
  await attack(s, 'cross-site text/plain POST to the RIE path (Origin: attacker)', async (p) => (await request(p, 'POST', RIE, { host: self(), origin: 'http://attacker.example', 'content-type': 'text/plain' }, '{}')).status);
  await attack(s, 'DNS rebinding: Host rebind.attacker.example, front door', async (p) => (await request(p, 'GET', '/', { host: `rebind.attacker.example:${p}` })).status);
  await attack(s, 'DNS rebinding: Host evil.example, Invoke API', async (p) => (await request(p, 'POST', API, { host: 'evil.example', 'content-type': 'application/json' }, '{}')).status);
  await attack(s, 'Sec-Fetch-Site: cross-site GET, front door (img/link)', async (p) => (await request(p, 'GET', '/', { host: self(), 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' })).status);
  await attack(s, 'Sec-Fetch-Site: same-site JSON POST (localhost:5173), Invoke API', async (p) => (await request(p, 'POST', API, { host: `localhost:${p}`, origin: 'http://localhost:5173', 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, '{}')).status);
  await attack(s, 'Origin: null (sandboxed frame) POST, RIE path', async (p) => (await request(p, 'POST', RIE, { host: self(), origin: 'null', 'content-type': 'application/json' }, '{}')).status);
  await attack(s, 'browser form POST without Origin (Referer, urlencoded), Invoke API', async (p) => (await request(p, 'POST', API, { host: self(), referer: 'http://attacker.example/', 'content-type': 'application/x-www-form-urlencoded' }, 'a=b')).status);
  await attack(s, 'same-origin text/plain POST from a page, Invoke API', async (p) => (await request(p, 'POST', API, { host: self(), origin: `http://${self()}`, 'content-type': 'text/plain' }, '{}')).status);
  await attack(s, '(allowed) same-origin page POST to the front door', async (p) => (await request(p, 'POST', '/form', { host: self(), origin: `http://${self()}`, 'sec-fetch-site': 'same-origin' }, 'x')).status);
  await attack(s, '(allowed) curl -d to the RIE path', async (p) => (await request(p, 'POST', RIE, { host: self(), 'content-type': 'application/x-www-form-urlencoded' }, '{}')).status);
  // Bounds.
  const before = rss(s.child.pid);
  await attack(s, '200 MB POST to the RIE path (chunked, no Content-Length)', async (p) =>
    (await request(p, 'POST', RIE, { host: self(), 'transfer-encoding': 'chunked' }, (req) => {
      const piece = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = () => { while (sent < 200 && req.write(piece)) sent++; if (sent < 200) req.once('drain', () => { sent++; pump(); }); else req.end(); };
      req.on('error', () => {});
      pump();
    })).status);
  rows.at(-1)[0] += ` (RSS ${before} → ${rss(s.child.pid)} MB)`;
  await attack(s, '200 MB POST to the front door (Content-Length: 209715200)', async (p) => (await raw(p, `POST /upload HTTP/1.1\r\nHost: ${self()}\r\nContent-Length: 209715200\r\n\r\n${'x'.repeat(65536)}`))[0]);
  await attack(s, '7 MB RequestResponse to the Invoke API', async (p) => (await request(p, 'POST', API, { host: self() }, 'x'.repeat(7_000_000))).status);
  await attack(s, '2 MB Event to the Invoke API', async (p) => (await request(p, 'POST', API, { host: self(), 'x-amz-invocation-type': 'Event' }, JSON.stringify({ p: 'x'.repeat(2_000_000) }))).status);
  await attack(s, 'a body cut off mid-way (Content-Length 1000, 10 bytes, then gone)', async (p) => (await raw(p, `POST ${RIE} HTTP/1.1\r\nHost: ${self()}\r\nContent-Length: 1000\r\n\r\n0123456789`, { half: true })).join(',') || 'no answer (client gone)');
  await attack(s, 'not HTTP at all', async (p) => (await raw(p, 'HELLO\r\n\r\n')).join(','));
  await attack(s, 'a payload that is not JSON, Invoke API', async (p) => (await request(p, 'POST', API, { host: self() }, '{not json')).status);
  s.child.kill('SIGTERM');
}

// Results that cannot go on the wire as they are (index.framing).
{
  const s = await serve('index.framing');
  const one = async (p, path) => (await raw(p, get(p, path) + get(p, '/after'))).join(' then ');
  for (const [what, path] of [
    ["transfer-encoding: chunked from the function (buffered)", '/te'],
    ['connection/keep-alive/upgrade/content-length from the function', '/hop'],
    ['204 with a body', '/204'],
    ['304 with a body', '/304'],
    ['statusCode 101', '/101'],
    ['statusCode 103', '/103'],
    ['isBase64Encoded with a body that is not base64', '/b64'],
    ['Set-Cookie with CR LF from the query (then /after on the same connection)', '/cookie?a%0d%0aX:1'],
    ['a header name with a space', '/header-name'],
  ]) await attack(s, `${what}`, (p) => one(p, path), '/ok');
  s.child.kill('SIGTERM');
}

// Streamed answers (index.streamed: the prelude and the first body bytes in one write).
{
  const s = await serve('index.streamed');
  const one = async (p, path) => (await raw(p, get(p, path) + get(p, '/ok'))).join(' then ');
  await attack(s, 'streamed prelude with a CR LF Location + body bytes in the same write (then /ok)', (p) => one(p, '/go?x%0d%0aSet-Cookie:%20a=1'), '/ok');
  await attack(s, 'streamed prelude with transfer-encoding and content-length', (p) => one(p, '/te'), '/ok');
  await attack(s, 'streamed 204 with body bytes', (p) => one(p, '/204'), '/ok');
  await attack(s, 'streamed 101', (p) => one(p, '/101'), '/ok');
  s.child.kill('SIGTERM');
}

// Another caller's log lines (index.secret).
{
  const s = await serve('index.secret');
  await attack(s, "LogType Tail while Alice's invocation runs: Bob's tail has Alice's secret?", async (p) => {
    const tail = (payload) => request(p, 'POST', API, { host: `127.0.0.1:${p}`, 'x-amz-log-type': 'Tail' }, JSON.stringify(payload)).then((r) => [r.status, Buffer.from(String(r.headers['x-amz-log-result']), 'base64').toString()]);
    const [, [status, bob]] = await Promise.all([tail({ secret: 'alice-password-123', ms: 300 }), new Promise((r) => setTimeout(r, 50)).then(() => tail({ secret: 'bob-token-456' }))]);
    return `${status} (${bob.includes('alice-password-123') ? 'leaks' : 'no'})`;
  }, '/ok');
  s.child.kill('SIGTERM');
}

console.log('| attack | HTTP status | server alive after |\n|---|---|---|');
for (const [what, status, ok] of rows) console.log(`| ${what} | ${status} | ${ok} |`);
