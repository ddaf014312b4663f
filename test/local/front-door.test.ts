// The HTTP front door of the local server: plain fetch in, a function URL (payload format 2.0)
// event to dist/bootstrap running test/fixtures/local/app.mjs, its answer back as HTTP.
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import { startFunction, stopAll } from '../integration/harness.ts';

const servers: LocalServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

async function serve(handler: string): Promise<{ url: string; logs: string[] }> {
  const emulator = await startFunction('local', handler, {}, { functionName: 'web' });
  const logs: string[] = [];
  const server = await LocalServer.start(emulator, { functionName: 'web', port: 0, log: (line) => logs.push(line) });
  servers.push(server);
  return { url: server.url, logs };
}

interface Received {
  method: string;
  rawPath: string;
  rawQueryString: string;
  queryStringParameters: Record<string, string> | null;
  cookies: string[] | null;
  headers: Record<string, string>;
  isBase64Encoded: boolean;
  body: string | null;
  version: string;
  routeKey: string;
}

describe('HTTP front door: plain HTTP ↔ function URL events', () => {
  it('maps method, path, query, headers and cookies into the event, and statusCode, headers and cookies back', async () => {
    const { url } = await serve('app.http');
    const res = await fetch(`${url}/orders/42?expand=items&tag=a&tag=b`, {
      method: 'PUT',
      headers: { cookie: 'session=old; lang=en', 'content-type': 'application/json', 'x-request-note': 'hi' },
      body: JSON.stringify({ qty: 3 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(res.headers.getSetCookie()).toEqual(['session=abc123; Path=/; HttpOnly', 'theme=dark']);
    const got = (await res.json()) as Received;
    expect(got.version).toBe('2.0');
    expect(got.routeKey).toBe('$default');
    expect(got.method).toBe('PUT');
    expect(got.rawPath).toBe('/orders/42');
    expect(got.rawQueryString).toBe('expand=items&tag=a&tag=b');
    expect(got.queryStringParameters).toEqual({ expand: 'items', tag: 'a,b' });
    expect(got.cookies).toEqual(['session=old', 'lang=en']);
    expect(got.headers.cookie).toBeUndefined();
    expect(got.headers['x-request-note']).toBe('hi');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.isBase64Encoded).toBe(false);
    expect(got.body).toBe('{"qty":3}');
  });

  it('a binary request body goes in as base64 and a base64 answer comes out as bytes', async () => {
    const { url } = await serve('app.http');
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13, 0]);
    const res = await fetch(`${url}/binary`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(bytes).reverse());
  });

  it('a result without statusCode is a 200 application/json answer of the result as it is', async () => {
    const { url } = await serve('app.http');
    const res = await fetch(`${url}/plain`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{"hello":"world"}');
  });

  it('a function error or an unmappable result is a 502 with the service body, and the server keeps serving', async () => {
    const { url, logs } = await serve('app.http');
    const thrown = await fetch(`${url}/throw`);
    expect(thrown.status).toBe(502);
    expect(await thrown.json()).toEqual({ Message: 'Internal Server Error' });
    // The log names the function's own error type, and what Lambda records when they differ.
    expect(logs.join('\n')).toContain('front door: the function failed (Error, recorded by Lambda as Runtime.Unknown); answering 502');
    const bad = await fetch(`${url}/bad-status`);
    expect(bad.status).toBe(502);
    expect(logs.join('\n')).toMatch(/statusCode must be an HTTP status/);
    const ok = await fetch(`${url}/plain`);
    expect(ok.status).toBe(200);
  });

  it('a streaming handler answers through the function URL streaming prelude: status, headers, cookies, then the body', async () => {
    const { url } = await serve('app.stream');
    const res = await fetch(`${url}/live`);
    expect(res.status).toBe(207);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('x-streamed')).toBe('true');
    expect(res.headers.getSetCookie()).toEqual(['streamed=1']);
    expect(await res.text()).toBe('path=/live;second;done');
  });

  it('a streamed prelude that is not JSON is a 502, the rest of the stream is dropped, and the server keeps serving', async () => {
    const { url, logs } = await serve('app.badPrelude');
    const res = await fetch(`${url}/x`);
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ Message: 'Internal Server Error' });
    expect(logs.join('\n')).toContain('the streamed response prelude is not JSON');
    const again = await fetch(`${url}/y`);
    expect(again.status).toBe(502);
  });

  it('listens on 127.0.0.1 by default', async () => {
    const { url } = await serve('app.http');
    expect(new URL(url).hostname).toBe('127.0.0.1');
  });
});
