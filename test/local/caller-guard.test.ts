// Who may call the local server (emulator/caller-guard.ts), with forged Host, Origin and
// Sec-Fetch-Site headers, against dist/bootstrap running test/fixtures/local-security. The repro
// case ../shared/repros/local-server-host-csrf: a cross-site text/plain POST to the RIE path and a
// request with the attacker's Host both get 403 and never reach the function.
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import type { Emulator } from '../../emulator/index.ts';
import { startFunction, stopAll } from '../integration/harness.ts';

const servers: LocalServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

interface Served {
  emulator: Emulator;
  server: LocalServer;
  logs: string[];
}

async function serve(options: { allowedHosts?: string[]; host?: string } = {}): Promise<Served> {
  const emulator = await startFunction('local-security', 'index.whoami', { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEDEVELOPER' }, { functionName: 'fn' });
  const logs: string[] = [];
  const server = await LocalServer.start(emulator, { functionName: 'fn', port: 0, log: (line) => logs.push(line), ...options });
  servers.push(server);
  return { emulator, server, logs };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request with exactly the headers given (Host too), as a browser or an attacker sends it. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const RIE = '/2015-03-31/functions/function/invocations';
const INVOKE_API = '/2015-03-31/functions/fn/invocations';

describe('local server: who may call (Host, Origin, Sec-Fetch-Site)', () => {
  it('repro local-server-host-csrf: a cross-site text/plain POST to the RIE path and a foreign Host get 403 and the function never runs', async () => {
    const { emulator, server, logs } = await serve();
    const port = server.port;
    const csrf = await send(port, 'POST', RIE, { host: `127.0.0.1:${port}`, origin: 'http://attacker.example', 'content-type': 'text/plain' }, '{"origin":"attacker.example"}');
    expect(csrf.status).toBe(403);
    expect(JSON.parse(csrf.body)).toEqual({ errorType: 'Forbidden', errorMessage: expect.stringContaining('cross-origin browser request from http://attacker.example') });
    const rebind = await send(port, 'GET', '/anything', { host: `rebind.attacker.example:${port}`, origin: `http://rebind.attacker.example:${port}` });
    expect(rebind.status).toBe(403);
    expect(JSON.parse(rebind.body).Message).toContain(`Host "rebind.attacker.example:${port}" is not a name of this server`);
    expect(JSON.parse(rebind.body).Message).toContain('--allowed-host rebind.attacker.example');
    // The same requests by the rules: a plain client, then the front door with our own Host.
    const plain = await send(port, 'POST', RIE, { host: `127.0.0.1:${port}` }, '{"origin":"curl"}');
    expect(plain.status).toBe(200);
    expect(JSON.parse(plain.body)).toMatchObject({ body: 'ran with AWS key present' });
    expect(emulator.output).not.toContain('attacker.example');
    expect(logs.filter((l) => l.includes('refused'))).toHaveLength(2);
  });

  it('the Invoke API and the RIE endpoint: foreign Host, cross-site, same-site and a browser\'s simple POST are 403 in each one\'s error shape; JSON from our own origin and plain clients run', async () => {
    const { emulator, server } = await serve();
    const port = server.port;
    const self = `127.0.0.1:${port}`;
    const cases: [string, string, Record<string, string>, number][] = [
      ['foreign Host', INVOKE_API, { host: 'evil.example' }, 403],
      ['Sec-Fetch-Site cross-site', INVOKE_API, { host: self, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, 403],
      ['Sec-Fetch-Site same-site (another port of localhost)', INVOKE_API, { host: `localhost:${port}`, 'sec-fetch-site': 'same-site', origin: 'http://localhost:5173', 'content-type': 'application/json' }, 403],
      ['Origin null (sandboxed frame, file://)', INVOKE_API, { host: self, origin: 'null', 'content-type': 'application/json' }, 403],
      ['same-origin text/plain POST from a browser', INVOKE_API, { host: self, origin: `http://${self}`, 'content-type': 'text/plain' }, 403],
      ['a browser form POST without Origin (older browsers)', RIE, { host: self, referer: 'http://attacker.example/', 'content-type': 'application/x-www-form-urlencoded' }, 403],
      ['a browser no-cors POST without a Content-Type', RIE, { host: self, 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty' }, 403],
      ["Node's fetch (sec-fetch-mode: cors alone, text/plain)", RIE, { host: self, 'sec-fetch-mode': 'cors', 'content-type': 'text/plain;charset=UTF-8' }, 200],
      ['same-origin JSON from a browser', INVOKE_API, { host: self, origin: `http://${self}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, 200],
      ['the AWS CLI / SDK (no browser headers)', INVOKE_API, { host: self, 'content-type': 'application/octet-stream' }, 200],
      ['curl -d (form type, no browser headers)', RIE, { host: self, 'content-type': 'application/x-www-form-urlencoded' }, 200],
      ['Host localhost', RIE, { host: `localhost:${port}` }, 200],
      ['Host *.localhost', RIE, { host: `app.localhost:${port}` }, 200],
      ['Host [::1]', RIE, { host: `[::1]:${port}` }, 200],
    ];
    for (const [what, path, headers, status] of cases) {
      const reply = await send(port, 'POST', path, headers, '{"origin":"case"}');
      expect(reply.status, what).toBe(status);
      if (status !== 403) continue;
      if (path === INVOKE_API) {
        expect(reply.headers['x-amzn-errortype'], what).toBe('AccessDeniedException');
        expect(JSON.parse(reply.body).Message, what).toMatch(/^Forbidden: /);
      } else {
        expect(JSON.parse(reply.body).errorType, what).toBe('Forbidden');
      }
    }
    expect(emulator.output.match(/invoked by/g)).toHaveLength(cases.filter((c) => c[3] === 200).length);
  });

  it('the front door: same-origin browser use and typed-in navigations work; other origins and sites are 403 with the reason', async () => {
    const { server } = await serve();
    const port = server.port;
    const self = `127.0.0.1:${port}`;
    expect((await send(port, 'POST', '/form', { host: self, origin: `http://${self}`, 'sec-fetch-site': 'same-origin', 'content-type': 'text/plain' }, 'x')).status).toBe(200);
    expect((await send(port, 'GET', '/', { host: self, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' })).status).toBe(200);
    const cross = await send(port, 'GET', '/', { host: self, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).Message).toContain('Sec-Fetch-Site: cross-site');
    // An older browser (no Sec-Fetch-*, no Origin on a GET): its Referer names the page; only that page's origin is printed.
    const oldBrowser = await send(port, 'GET', '/delete?all=1', { host: self, referer: 'https://attacker.example/page?token=abc123' });
    expect(oldBrowser.status).toBe(403);
    expect(JSON.parse(oldBrowser.body).Message).toBe(
      `Forbidden: a cross-origin browser request from a page on https://attacker.example (its Referer) to ${self}: the function runs with your AWS credentials, so only pages this server serves itself may call it`,
    );
    expect((await send(port, 'GET', '/next', { host: self, referer: `http://${self}/previous` })).status).toBe(200);
    const oldBrowserRie = await send(port, 'POST', RIE, { host: self, referer: 'http://localhost:3000/', 'content-type': 'application/json' }, '{}');
    expect(oldBrowserRie.status).toBe(403);
    const otherOrigin = await send(port, 'POST', '/', { host: self, origin: 'https://attacker.example' }, 'x');
    expect(otherOrigin.status).toBe(403);
    // A refused upload is read and dropped: the client, still sending, reads its 403 (no broken pipe).
    const refusedUpload = await send(port, 'POST', '/', { host: 'evil.example' }, 'x'.repeat(8_000_000));
    expect(refusedUpload.status).toBe(403);
  });

  it('--allowed-host adds names (a leading dot: subdomains too); IP addresses are always accepted', async () => {
    const { server } = await serve({ allowedHosts: ['dev.example', '.tunnel.example'] });
    const port = server.port;
    for (const [host, status] of [
      [`dev.example:${port}`, 200],
      ['DEV.EXAMPLE', 200],
      [`a.b.tunnel.example:${port}`, 200],
      ['tunnel.example', 200],
      ['notdev.example', 403],
      ['xtunnel.example', 403],
      [`10.1.2.3:${port}`, 200],
      ['user@dev.example', 403],
    ] as const) {
      expect((await send(port, 'POST', RIE, { host }, '{}')).status, host).toBe(status);
    }
  });

  it('the emulated Runtime API answers only the runtime: a browser\'s request or a foreign Host is 403 at once (no event handed out), and invokes still run', async () => {
    const { emulator, server } = await serve();
    await send(server.port, 'POST', RIE, { host: `127.0.0.1:${server.port}` }, '{"origin":"warm"}');
    const [, apiPort] = emulator.runtimeApi.split(':');
    const next = '/2018-06-01/runtime/invocation/next';
    const before = emulator.requests.length;
    const forged: Record<string, string>[] = [
      { host: emulator.runtimeApi, origin: 'http://attacker.example' },
      { host: emulator.runtimeApi, 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'empty' },
      { host: `rebind.attacker.example:${apiPort}` },
    ];
    for (const headers of forged) {
      const reply = await send(Number(apiPort), 'GET', next, headers);
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body).errorType).toBe('AccessDeniedException');
    }
    const posted = await send(Number(apiPort), 'POST', '/2018-06-01/runtime/invocation/any/response', { host: emulator.runtimeApi, origin: 'null', 'content-type': 'text/plain' }, '"forged"');
    expect(posted.status).toBe(403);
    // None of them reached the service's state machine or its request log.
    expect(emulator.requests.slice(before).filter((r) => r.headers.origin !== undefined || r.headers.host?.startsWith('rebind'))).toEqual([]);
    const after = await send(server.port, 'POST', RIE, { host: `127.0.0.1:${server.port}` }, '{"origin":"after"}');
    expect(JSON.parse(after.body)).toMatchObject({ body: 'ran with AWS key present' });
  });

  it('--host 0.0.0.0 warns that the function runs with your credentials and is reachable from the network; 127.0.0.1 does not', async () => {
    const open = await serve({ host: '0.0.0.0' });
    expect(open.logs.join('\n')).toMatch(/warning: listening on 0\.0\.0\.0:\d+: the function runs with the AWS credentials of this shell and is now reachable from every network this machine is on/);
    const loopback = await serve();
    expect(loopback.logs.join('\n')).not.toContain('warning');
  });
});
