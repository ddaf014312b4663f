// The front door never crashes and never mis-frames on what a function returns (emulator/
// invoke/http-framing.ts): repro case ../shared/repros/front-door-invalid-response (framing, desync,
// crash), read byte for byte on kept-alive connections (raw-http.ts), against dist/bootstrap
// running test/fixtures/local-security.
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import { startFunction, stopAll } from '../integration/harness.ts';
import { exchange, get } from './raw-http.ts';
import type { RawResponse } from './raw-http.ts';

const servers: LocalServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

async function serve(handler: string): Promise<{ port: number; logs: string[] }> {
  const emulator = await startFunction('local-security', handler, {}, { functionName: 'fn' });
  const logs: string[] = [];
  const server = await LocalServer.start(emulator, { functionName: 'fn', port: 0, log: (line) => logs.push(line) });
  servers.push(server);
  return { port: server.port, logs };
}

/** One framing per answer, and the body it declares is the body it sends. */
function wellFramed(r: RawResponse): void {
  expect(r.headers['transfer-encoding'] !== undefined && r.headers['content-length'] !== undefined, 'two framings').toBe(false);
  if (r.headers['content-length'] !== undefined) expect(Number(r.headers['content-length'])).toBe(r.body.length);
}

const BAD_GATEWAY = '{"Message":"Internal Server Error"}';

describe('front door: what the function returns is framed by the server, or a clean 502', () => {
  it('repro framing: transfer-encoding and hop-by-hop headers dropped, 204/304 without a body, 1xx and invalid base64 are 502; one kept-alive connection carries all of them in step', async () => {
    const { port, logs } = await serve('index.framing');
    const paths = ['/te', '/hop', '/204', '/304', '/101', '/103', '/b64', '/b64-ok', '/header-name', '/after'];
    const { responses, leftover } = await exchange(port, paths.map((p) => get(port, p)));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 204, 304, 502, 502, 502, 200, 502, 200]);
    expect(leftover.length).toBe(0);
    responses.forEach(wellFramed);
    const [te, hop, noContent, notModified, switching, early, b64, b64ok, headerName, after] = responses as [RawResponse, ...RawResponse[]];
    expect(te.headers['transfer-encoding']).toBeUndefined();
    expect(te.body.toString()).toBe('hello');
    expect(hop!.headers).toMatchObject({ 'x-kept': 'yes', 'content-length': '3' });
    expect(hop!.headers.upgrade).toBeUndefined();
    expect(hop!.headers['keep-alive']).not.toBe('timeout=1');
    expect(hop!.headers.connection).not.toBe('close');
    for (const r of [noContent!, notModified!]) {
      expect(r.headers['content-length']).toBeUndefined();
      expect(r.body.length).toBe(0);
    }
    expect(notModified!.headers.etag).toBe('"a"');
    for (const r of [switching!, early!, b64!, headerName!]) expect(r.body.toString()).toBe(BAD_GATEWAY);
    expect(b64ok!.body.toString()).toBe('binary ok');
    expect(after!.body.toString()).toBe('path /after');
    expect(logs.join('\n')).toMatch(/statusCode 101 is not a final HTTP status/);
    expect(logs.join('\n')).toMatch(/isBase64Encoded but its body is not base64/);
    expect(logs.join('\n')).toMatch(/dropped from the function's answer: transfer-encoding/);
    // And Node's own client reads the /te answer (it refused `transfer-encoding` with `content-length`).
    const status = await new Promise<number>((resolve, reject) => http.get(`http://127.0.0.1:${port}/te`, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject));
    expect(status).toBe(200);
  });

  it('repro desync: a Set-Cookie with CR LF is a self-consistent 502, and the next answer on the kept-alive connection is in step', async () => {
    const { port, logs } = await serve('index.framing');
    const { responses, leftover } = await exchange(port, [get(port, '/cookie?a%0d%0aX:1'), get(port, '/next')]);
    expect(responses.map((r) => [r.status, r.reason, r.body.toString()])).toEqual([
      [502, 'Bad Gateway', BAD_GATEWAY],
      [200, 'OK', 'path /next'],
    ]);
    responses.forEach(wellFramed);
    expect(responses[0]!.headers['set-cookie']).toBeUndefined();
    expect(leftover.length).toBe(0);
    expect(logs.join('\n')).toMatch(/set-cookie header value holds characters HTTP does not allow/);
  });

  it('repro crash: a streamed prelude with a header Node refuses and body bytes in the same write is a 502; the server keeps serving', async () => {
    const { port, logs } = await serve('index.streamed');
    const first = await exchange(port, [get(port, '/go?x%0d%0aSet-Cookie:%20a=1'), get(port, '/ok')]);
    expect(first.responses.map((r) => r.status)).toEqual([502, 200]);
    first.responses.forEach(wellFramed);
    expect(first.responses[0]!.body.toString()).toBe(BAD_GATEWAY);
    expect(first.responses[1]!.body.toString()).toBe('redirecting');
    expect(first.leftover.length).toBe(0);
    // Streamed framing: the function's transfer-encoding/content-length dropped (the server frames
    // it), a 204 without its body, a 101 refused.
    const more = await exchange(port, [get(port, '/te'), get(port, '/204'), get(port, '/101'), get(port, '/ok')]);
    expect(more.responses.map((r) => r.status)).toEqual([200, 204, 502, 200]);
    more.responses.forEach(wellFramed);
    expect(more.responses[0]!.body.toString()).toBe('redirecting');
    expect(more.responses[1]!.body.length).toBe(0);
    expect(more.leftover.length).toBe(0);
    expect(logs.join('\n')).toMatch(/location header value holds characters HTTP does not allow/);
    expect(logs.join('\n')).not.toMatch(/ERR_STREAM_WRITE_AFTER_END|write after end/);
  });
});
