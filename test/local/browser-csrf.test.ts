// A real browser against the local server: Debian's chromium, headless, driven by playwright-core.
// A page on another site (attacker.test, mapped to 127.0.0.1 by the browser's resolver rules) fires
// every request a web page can send without asking (no-cors fetches, a text/plain form post, an
// image), and a DNS-rebinding page (rebind.attacker.test → 127.0.0.1) loads the server under its
// own name: all refused with 403 and the function never runs. The server's own pages calling it
// back (same origin) keep working. Skipped with the reason when /usr/bin/chromium is missing
// (.ci/run installs it).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import type { Emulator } from '../../emulator/index.ts';
import { startFunction, stopAll } from '../integration/harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);

let emulator: Emulator;
let server: LocalServer;
let attacker: http.Server;
let context: BrowserContext;
let profile: string;
const logs: string[] = [];

beforeAll(async () => {
  if (!haveBrowser) return;
  emulator = await startFunction('local-security', 'index.whoami', { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEDEVELOPER' }, { functionName: 'fn' });
  server = await LocalServer.start(emulator, { functionName: 'fn', port: 0, log: (line) => logs.push(line) });
  const victim = `http://127.0.0.1:${server.port}`;
  const runtimeApi = `http://${emulator.runtimeApi}`;
  // The attacker's page: every way in, by every request a page may send cross-site without a preflight.
  const page = `<!doctype html><meta charset="utf-8"><title>attacker</title>
<iframe name="sink"></iframe>
<form id="form" method="POST" action="${victim}/2015-03-31/functions/fn/invocations" enctype="text/plain" target="sink">
  <input name='{"origin":"attacker-form","x":"' value='"}'>
</form>
<script>
  const victim = ${JSON.stringify(victim)};
  const shots = [
    fetch(victim + '/2015-03-31/functions/function/invocations', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"origin":"attacker-rie"}' }),
    fetch(victim + '/2015-03-31/functions/fn/invocations', { method: 'POST', mode: 'no-cors', body: '{"origin":"attacker-api"}' }),
    fetch(victim + '/steal', { mode: 'no-cors' }),
    new Promise((resolve) => { const img = new Image(); img.onload = img.onerror = resolve; img.src = victim + '/img'; }),
    // The Runtime API's port: taking the next event, or posting a result in the function's place.
    fetch(${JSON.stringify(runtimeApi)} + '/2018-06-01/runtime/invocation/next', { mode: 'no-cors' }),
    fetch(${JSON.stringify(runtimeApi)} + '/2018-06-01/runtime/invocation/x/response', { method: 'POST', mode: 'no-cors', body: '"forged"' }),
  ].map((p) => p.then(() => 'sent', (e) => 'error: ' + e.message));
  document.getElementById('form').submit();
  Promise.all(shots).then((r) => { window.done = r; });
</script>`;
  attacker = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  profile = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.attacker.test 127.0.0.1',
    ],
  });
}, 120_000);

afterAll(async () => {
  if (!haveBrowser) return;
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
  await new Promise((resolve) => attacker?.close(resolve));
  await server?.close();
  await stopAll();
});

describe.skipIf(!haveBrowser)(`a headless browser (${CHROMIUM}) against the local server`, () => {
  it('a page on another site: no-cors fetches to the RIE path, the Invoke API and the front door, a text/plain form post and an image are all 403; the function never runs', async () => {
    const page = await context.newPage();
    await page.goto(`http://attacker.test:${(attacker.address() as AddressInfo).port}/`);
    await page.waitForFunction("window.done !== undefined");
    // The form post lands in the iframe: wait until the server has refused all five.
    await expect.poll(() => logs.filter((l) => l.includes('refused')).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const refused = logs.filter((l) => l.includes('refused'));
    expect(refused.some((l) => l.includes('POST /2015-03-31/functions/function/invocations') && l.includes('Sec-Fetch-Site: cross-site'))).toBe(true);
    expect(refused.some((l) => l.includes('POST /2015-03-31/functions/fn/invocations'))).toBe(true);
    expect(refused.some((l) => l.includes('GET /steal'))).toBe(true);
    expect(refused.some((l) => l.includes('GET /img'))).toBe(true);
    expect(emulator.output).not.toContain('invoked by');
    // The page's /next got 403 at once, so it holds no poll that would take the next event.
    const rie = await fetch(`http://127.0.0.1:${server.port}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{"origin":"test"}' });
    expect(await rie.json()).toMatchObject({ body: 'ran with AWS key present' });
    await page.close();
  });

  it('DNS rebinding: the server loaded under the attacker\'s name is 403 with the reason, and the page cannot call it either', async () => {
    const page = await context.newPage();
    const response = await page.goto(`http://rebind.attacker.test:${server.port}/`);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('body')).toContain(`Host \\"rebind.attacker.test:${server.port}\\" is not a name of this server`);
    // Now "same origin" with the server as far as the browser knows: still refused by Host.
    const status = await page.evaluate(async () => {
      const res = await fetch('/2015-03-31/functions/function/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"origin":"rebound"}' });
      return res.status;
    });
    expect(status).toBe(403);
    expect(emulator.output).not.toContain('invoked by attacker');
    expect(emulator.output).not.toContain('invoked by rebound');
    await page.close();
  });

  it('the server\'s own pages (same origin) keep working: navigation, a text/plain POST to the front door, JSON to the invoke paths', async () => {
    const page = await context.newPage();
    const response = await page.goto(`http://127.0.0.1:${server.port}/hello`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('body')).toBe('ran with AWS key present');
    const statuses = await page.evaluate(async () => {
      const frontDoor = await fetch('/form', { method: 'POST', body: 'plain text' });
      const rie = await fetch('/2015-03-31/functions/function/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"origin":"same-origin"}' });
      const api = await fetch('/2015-03-31/functions/fn/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"origin":"same-origin-api"}' });
      return [frontDoor.status, rie.status, api.status];
    });
    expect(statuses).toEqual([200, 200, 200]);
    await page.close();
  });
});
