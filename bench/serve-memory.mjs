// The memory of `lambda-bootstrap serve` under steady traffic (issue 23, repro case
// serve-unbounded-memory): starts the npm tool's `serve` on test/fixtures/local-security
// (index.echo returns its event), POSTs N events of 100 KB to the RIE path over one kept-alive
// connection, and prints the serve process's RSS (/proc/<pid>/status VmRSS) every N/10 invokes and
// after 3 s idle. A figure, not a test (the test, test/local/own-data.test.ts, counts what the
// emulator retains instead of timing or sampling RSS).
//   make -s cli && node_modules/.bin/node bench/serve-memory.mjs [invokes=10000] [bytes=100000]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const invokes = Number(process.argv[2] ?? 10_000);
const bytes = Number(process.argv[3] ?? 100_000);
const serve = spawn(
  process.execPath,
  [join(root, 'cli/dist/lambda-bootstrap.js'), 'serve', join(root, 'test/fixtures/local-security'), '--handler', 'index.echo', '--bootstrap', join(root, 'dist/bootstrap'), '--port', '0'],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
const port = await new Promise((resolve, reject) => {
  let text = '';
  serve.stderr.on('data', (d) => {
    text += d;
    const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
    if (m !== null && text.includes('runtime ready')) resolve(Number(m[1]));
  });
  serve.on('exit', (code) => reject(new Error(`serve exited (${code}): ${text}`)));
});
serve.stderr.resume();
const rssMb = () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${serve.pid}/status`, 'utf8'))[1]) / 1024);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const body = JSON.stringify({ pad: 'p'.repeat(bytes) });
const post = () =>
  new Promise((resolve, reject) => {
    const req = http.request({ agent, host: '127.0.0.1', port, method: 'POST', path: '/2015-03-31/functions/function/invocations' }, (res) => {
      let n = 0;
      res.on('data', (d) => (n += d.length));
      res.on('end', () => (res.statusCode === 200 && n === body.length ? resolve() : reject(new Error(`status ${res.statusCode}, ${n} bytes`))));
    });
    req.on('error', reject);
    req.end(body);
  });
console.log(`serve RSS before: ${rssMb()} MB (${invokes} invokes of ${bytes} bytes to come)`);
const started = Date.now();
for (let i = 1; i <= invokes; i++) {
  await post();
  if (i % Math.max(1, Math.floor(invokes / 10)) === 0) console.log(`after ${i} invokes: ${rssMb()} MB`);
}
const seconds = (Date.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 3000));
console.log(`3 s idle later: ${rssMb()} MB; ${invokes} invokes in ${seconds.toFixed(1)} s`);
agent.destroy();
serve.kill('SIGTERM');
