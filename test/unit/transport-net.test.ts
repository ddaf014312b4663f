// The node:net transport against real servers on 127.0.0.1: node:net servers that write exactly the
// bytes a test wants (framings, packet boundaries, resets, idle closes), one node:http server, and a
// child process that must exit with only idle connections left open.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_HEAD_BYTES, MalformedResponseError, ResponseParser } from '../../src/runtime-api/http-response-parser.ts';
import { createNetTransport } from '../../src/runtime-api/transport-net.ts';
import { TransportError } from '../../src/runtime-api/transport.ts';
import type { TransportResponse } from '../../src/runtime-api/transport.ts';
import { NODE24, closedPort } from '../integration/harness.ts';

const TRANSPORT_URL = pathToFileURL(join(import.meta.dirname, '../../src/runtime-api/transport-net.ts')).href;
const NEXT = '/2018-06-01/runtime/invocation/next';

/** One complete request as the server read it, and which connection (1, 2, ...) carried it. */
interface SeenRequest {
  connection: number;
  head: string;
  body: Buffer;
  /** How many 'data' events it took to read: 1 means it arrived in one write. */
  reads: number;
}

interface RawServer {
  api: string;
  requests: SeenRequest[];
  connections: Socket[];
  close(): Promise<void>;
}

type Reply = (request: SeenRequest, socket: Socket, index: number) => void;

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A node:net server that reads whole requests (by Content-Length) and lets `reply` write raw bytes. */
async function rawServer(reply: Reply): Promise<RawServer> {
  const requests: SeenRequest[] = [];
  const connections: Socket[] = [];
  const server: Server = createServer((socket) => {
    connections.push(socket);
    const connection = connections.length;
    let pending = Buffer.alloc(0);
    let reads = 0;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      reads += 1;
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = pending.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const request = { connection, head, body: pending.subarray(end + 4, end + 4 + length), reads };
        pending = pending.subarray(end + 4 + length);
        reads = 0;
        requests.push(request);
        reply(request, socket, requests.length - 1);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const raw: RawServer = {
    api: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connections,
    close: async () => {
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(raw);
  return raw;
}

/** A fixed answer for every request. */
function always(bytes: string | Buffer): Reply {
  return (_request, socket) => void socket.write(bytes);
}

function ok(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

async function failureOf(promise: Promise<TransportResponse>): Promise<TransportError> {
  const error: unknown = await promise.then(
    (res) => new Error(`expected a TransportError, got status ${res.status}`),
    (e: unknown) => e,
  );
  if (!(error instanceof TransportError)) throw error;
  return error;
}

function text(res: TransportResponse): { status: number; body: string } {
  return { status: res.status, body: res.body.toString('utf8') };
}

describe('requests on the wire', () => {
  it('GET: request line, Host, the given headers, no Content-Length, all in one write', async () => {
    const server = await rawServer(always(ok('{}')));
    const transport = createNetTransport(server.api);
    await transport.request('GET', NEXT, { 'X-Probe': 'yes' }, undefined);
    await transport.request('GET', NEXT, undefined, undefined);
    expect(server.requests.map((r) => r.head)).toEqual([
      `GET ${NEXT} HTTP/1.1\r\nHost: ${server.api}\r\nX-Probe: yes`,
      `GET ${NEXT} HTTP/1.1\r\nHost: ${server.api}`,
    ]);
    expect(server.requests.map((r) => r.reads)).toEqual([1, 1]);
  });

  it('POST: Content-Length in bytes of UTF-8, 0 without a body; head and body arrive together', async () => {
    const server = await rawServer(always('HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n'));
    const transport = createNetTransport(server.api);
    const json = JSON.stringify({ greeting: 'héllo ✓' });
    await transport.request('POST', '/a', { 'Content-Type': 'application/json' }, json);
    await transport.request('POST', '/b', undefined, undefined);
    await transport.request('POST', '/c', undefined, Buffer.from([0, 1, 2, 255]));
    const [a, b, c] = server.requests;
    expect(a!.head).toBe(`POST /a HTTP/1.1\r\nHost: ${server.api}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}`);
    expect(a!.body.toString('utf8')).toBe(json);
    expect(a!.reads).toBe(1);
    expect(b!.head).toBe(`POST /b HTTP/1.1\r\nHost: ${server.api}\r\nContent-Length: 0`);
    expect(c!.head).toContain('Content-Length: 4');
    expect([...c!.body]).toEqual([0, 1, 2, 255]);
    expect(c!.reads).toBe(1);
  });

  it('a header value with CR/LF is refused before anything is sent', async () => {
    const server = await rawServer(always(ok('{}')));
    const transport = createNetTransport(server.api);
    const error = await failureOf(transport.request('POST', '/x', { 'X-Bad': 'a\r\nInjected: 1' }, '{}'));
    expect(error.message).toMatch(/^POST \/x failed: the value of header X-Bad/);
    expect(server.connections).toHaveLength(0);
  });
});

describe('responses', () => {
  it('status, lower-cased headers (repeats kept in order, never joined) and body', async () => {
    const server = await rawServer(
      always(
        'HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nX-Multi: 1\r\nx-multi: 2\r\n' +
          'Content-Type: application/json\r\nContent-Length: 12\r\n\r\n{"n":"éé"}',
      ),
    );
    const res = await createNetTransport(server.api).request('GET', NEXT, undefined, undefined);
    expect(res.status).toBe(200);
    expect({ ...res.headers }).toEqual({
      'lambda-runtime-aws-request-id': 'abc',
      'x-multi': ['1', '2'],
      'content-type': 'application/json',
      'content-length': '12',
    });
    expect(res.body.toString('utf8')).toBe('{"n":"éé"}');
  });

  it('Content-Length: 0 and a 202 with a body, on one connection', async () => {
    const server = await rawServer((_request, socket, index) =>
      socket.write(index === 0 ? 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n'),
    );
    const transport = createNetTransport(server.api);
    expect(text(await transport.request('GET', '/empty', undefined, undefined))).toEqual({ status: 200, body: '' });
    expect(text(await transport.request('POST', '/r', undefined, '1'))).toEqual({ status: 202, body: '{"status":"OK"}\n' });
    expect(server.connections).toHaveLength(1);
  });

  it('4xx and 5xx resolve like any status', async () => {
    const server = await rawServer(always('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!'));
    expect(text(await createNetTransport(server.api).request('GET', NEXT, undefined, undefined))).toEqual({ status: 500, body: 'oops!' });
  });

  it('chunked: several chunks, chunk extensions and trailers (ignored); the connection is reused', async () => {
    const chunked =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      '5\r\nhello\r\n' +
      '1;name=value\r\n,\r\n' +
      'A ; ext="q"\r\n0123456789\r\n' +
      '0\r\nX-Trailer: yes\r\nX-Other: 2\r\n\r\n';
    const server = await rawServer(always(chunked));
    const transport = createNetTransport(server.api);
    const res = await transport.request('GET', '/c', undefined, undefined);
    expect(res.body.toString()).toBe('hello,0123456789');
    expect(res.headers['x-trailer']).toBeUndefined();
    expect((await transport.request('GET', '/c', undefined, undefined)).body.toString()).toBe('hello,0123456789');
    expect(server.connections).toHaveLength(1);
  });

  it('a 100 Continue before the response is skipped', async () => {
    const server = await rawServer(always('HTTP/1.1 100 Continue\r\n\r\n' + ok('done')));
    expect(text(await createNetTransport(server.api).request('POST', '/r', undefined, 'x'))).toEqual({ status: 200, body: 'done' });
  });

  it('delivered one byte per packet: the same response', async () => {
    const response = ok('{"byte":"by byte"}', 'Lambda-Runtime-Deadline-Ms: 1700000000000\r\n');
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n';
    const server = await rawServer((_request, socket, index) => {
      socket.setNoDelay(true);
      const bytes = Buffer.from(index === 0 ? response : chunked);
      void (async () => {
        for (const byte of bytes) {
          socket.write(Buffer.from([byte]));
          await sleep(1);
        }
      })();
    });
    const transport = createNetTransport(server.api);
    const first = await transport.request('GET', NEXT, undefined, undefined);
    expect(first.headers['lambda-runtime-deadline-ms']).toBe('1700000000000');
    expect(first.body.toString()).toBe('{"byte":"by byte"}');
    expect((await transport.request('GET', NEXT, undefined, undefined)).body.toString()).toBe('abcde');
    expect(server.connections).toHaveLength(1);
  });

  it('neither Content-Length nor chunked: the body runs until the server closes', async () => {
    const server = await rawServer((_request, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst part, ');
      setTimeout(() => socket.end('second part'), 20);
    });
    const transport = createNetTransport(server.api);
    expect(text(await transport.request('GET', '/stream', undefined, undefined))).toEqual({ status: 200, body: 'first part, second part' });
    await transport.request('GET', '/stream', undefined, undefined);
    expect(server.connections).toHaveLength(2);
  });

  it('Connection: close: the socket is closed after the response, the next request opens another', async () => {
    const server = await rawServer(always(ok('bye', 'Connection: close\r\n')));
    const transport = createNetTransport(server.api);
    expect(text(await transport.request('GET', '/', undefined, undefined)).body).toBe('bye');
    await once(server.connections[0]!, 'end');
    expect(text(await transport.request('GET', '/', undefined, undefined)).body).toBe('bye');
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);
  });

  it('a large body (8 MB) sent and received intact', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 'x');
    const server = await rawServer((request, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${request.body.length}\r\n\r\n`);
      socket.write(request.body);
    });
    const res = await createNetTransport(server.api).request('POST', '/echo', undefined, big);
    expect(res.body.length).toBe(big.length);
    expect(res.body.equals(big)).toBe(true);
  });
});

describe('connections', () => {
  it('sequential requests reuse one connection', async () => {
    const server = await rawServer(always(ok('{}')));
    const transport = createNetTransport(server.api);
    for (let i = 0; i < 5; i++) await transport.request(i % 2 === 0 ? 'GET' : 'POST', `/${i}`, undefined, i % 2 === 0 ? undefined : '{}');
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1, 1, 1, 1]);
  });

  it('concurrent requests use separate connections, each gets its own response, then are reused', async () => {
    // Answers arrive in the reverse order of the requests, once all four are in.
    const server = await rawServer(() => {
      if (server.requests.length < 4) return;
      const waiting = [...server.requests].reverse();
      for (const r of waiting) server.connections[r.connection - 1]!.write(ok(r.head.split(' ')[1]!));
    });
    const transport = createNetTransport(server.api);
    const paths = ['/one', '/two', '/three', '/four'];
    const bodies = await Promise.all(paths.map((p) => transport.request('GET', p, undefined, undefined)));
    expect(bodies.map((b) => b.body.toString())).toEqual(paths);
    expect(new Set(server.requests.map((r) => r.connection)).size).toBe(4);
    // Four idle connections now: four more concurrent requests open none.
    server.requests.length = 0;
    await Promise.all(paths.map((p) => transport.request('GET', p, undefined, undefined)));
    expect(server.connections).toHaveLength(4);
  });

  it('a server closing an idle kept-alive connection: the next request goes out on a fresh one', async () => {
    const server = await rawServer((_request, socket) => {
      socket.write(ok('{}'));
      setTimeout(() => socket.end(), 10);
    });
    const transport = createNetTransport(server.api);
    await transport.request('GET', NEXT, undefined, undefined);
    await sleep(100);
    expect(text(await transport.request('POST', '/r', undefined, '{}')).status).toBe(200);
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);
  });

  it('Keep-Alive: timeout=2 from the server: the idle connection is closed by us a second early', async () => {
    const server = await rawServer(always(ok('{}', 'Keep-Alive: timeout=2\r\n')));
    const transport = createNetTransport(server.api);
    const started = performance.now();
    await transport.request('GET', NEXT, undefined, undefined);
    await once(server.connections[0]!, 'end');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(1_900);
    await transport.request('GET', NEXT, undefined, undefined);
    expect(server.requests.map((r) => r.connection)).toEqual([1, 2]);
  });

  it('the server closing a reused connection as the GET arrives: retried once on a fresh connection', async () => {
    // What a keep-alive timeout firing just as the request is written looks like from here.
    const server = await rawServer((request, socket) => {
      if (request.connection === 1 && server.requests.length === 2) socket.destroy();
      else socket.write(ok(`served ${server.requests.length}`));
    });
    const transport = createNetTransport(server.api);
    await transport.request('GET', NEXT, undefined, undefined);
    expect(text(await transport.request('GET', NEXT, undefined, undefined))).toEqual({ status: 200, body: 'served 3' });
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1, 2]);
  });

  it('the server closing a reused connection as a POST arrives: not repeated, a TransportError', async () => {
    // The server may have acted on it: a result is never reported twice.
    const server = await rawServer((request, socket) => {
      if (request.head.startsWith('POST')) socket.destroy();
      else socket.write(ok('{}'));
    });
    const transport = createNetTransport(server.api);
    await transport.request('GET', NEXT, undefined, undefined);
    const error = await failureOf(transport.request('POST', '/r', undefined, '{}'));
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toBe('POST /r failed: the connection closed before a response arrived');
    expect(server.requests.filter((r) => r.head.startsWith('POST'))).toHaveLength(1);
  });

  it('a fresh connection closed without an answer is not retried', async () => {
    const server = await rawServer((_request, socket) => socket.destroy());
    const error = await failureOf(createNetTransport(server.api).request('GET', NEXT, undefined, undefined));
    expect(error.code).toBe('ECONNRESET');
    expect(server.requests).toHaveLength(1);
  });

  it('reset in the middle of the body: TransportError ECONNRESET', async () => {
    const server = await rawServer((_request, socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of it', () => setTimeout(() => socket.resetAndDestroy(), 10));
    });
    const error = await failureOf(createNetTransport(server.api).request('GET', NEXT, undefined, undefined));
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toMatch(new RegExp(`^GET ${NEXT} failed: `));
  });

  it('closed cleanly in the middle of the body: TransportError, cut short', async () => {
    const server = await rawServer((_request, socket) => void socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part of it'));
    const error = await failureOf(createNetTransport(server.api).request('GET', NEXT, undefined, undefined));
    expect(error.code).toBe('ECONNRESET');
    expect(error.message).toBe(`GET ${NEXT} failed: the response was cut short`);
  });

  it('connection refused: TransportError ECONNREFUSED naming the call', async () => {
    const port = await closedPort();
    const error = await failureOf(createNetTransport(`127.0.0.1:${port}`).request('POST', '/r', undefined, '{}'));
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).toBe(`POST /r failed: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('an address connect() refuses outright (port out of range): a TransportError, not a throw', async () => {
    const error = await failureOf(createNetTransport('127.0.0.1:70000').request('GET', NEXT, undefined, undefined));
    expect(error.code).toBe('ERR_SOCKET_BAD_PORT');
    expect(error.message).toMatch(new RegExp(`^GET ${NEXT} failed: .*70000`));
  });

  it('a malformed status line: TransportError, and the connection is dropped', async () => {
    const server = await rawServer(always('HTCPCP/1.0 418 I am a teapot\r\nContent-Length: 0\r\n\r\n'));
    const error = await failureOf(createNetTransport(server.api).request('GET', NEXT, undefined, undefined));
    expect(error.code).toBe('EPROTO');
    expect(error.message).toBe(`GET ${NEXT} failed: malformed response: the status line is not HTTP/1.x: "HTCPCP/1.0 418 I am a teapot"`);
    await once(server.connections[0]!, 'close');
  });

  it('a head over 64 KiB: TransportError', async () => {
    const server = await rawServer(always(`HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(MAX_HEAD_BYTES)}\r\nContent-Length: 0\r\n\r\n`));
    const error = await failureOf(createNetTransport(server.api).request('GET', NEXT, undefined, undefined));
    expect(error.message).toContain('exceed 65536 bytes');
  });
});

describe('against node:http', () => {
  it('keep-alive server: answers, statuses, a 7 MB event, and one connection throughout', async () => {
    const event = JSON.stringify({ data: 'é'.repeat(3_500_000) });
    const seen: { method: string; url: string; body: string; socket: number }[] = [];
    const sockets: unknown[] = [];
    const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      if (!sockets.includes(req.socket)) sockets.push(req.socket);
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body: Buffer.concat(parts).toString(), socket: sockets.indexOf(req.socket) });
        if (req.method === 'GET') {
          res.writeHead(200, { 'Lambda-Runtime-Aws-Request-Id': 'r1', 'Content-Type': 'application/json' });
          res.end(event);
        } else if (req.url === '/chunks') {
          res.write('a');
          setTimeout(() => res.end('b'), 5);
        } else {
          res.writeHead(202, { 'Content-Type': 'application/json' });
          res.end('{"status":"OK"}');
        }
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    servers.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())).then(() => undefined) });
    server.closeIdleConnections();
    const transport = createNetTransport(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    const next = await transport.request('GET', NEXT, undefined, undefined);
    expect(next.status).toBe(200);
    expect(next.headers['lambda-runtime-aws-request-id']).toBe('r1');
    expect(next.headers['keep-alive']).toMatch(/timeout=\d+/);
    expect(next.body.toString()).toBe(event);
    const posted = await transport.request('POST', '/2018-06-01/runtime/invocation/r1/response', { 'Content-Type': 'application/json' }, '{"ok":true}');
    expect(text(posted)).toEqual({ status: 202, body: '{"status":"OK"}' });
    expect(text(await transport.request('POST', '/chunks', undefined, undefined))).toEqual({ status: 200, body: 'ab' });
    expect(seen.map((s) => [s.method, s.body, s.socket])).toEqual([
      ['GET', '', 0],
      ['POST', '{"ok":true}', 0],
      ['POST', '', 0],
    ]);
    server.closeAllConnections();
  });
});

describe('the process', () => {
  it('idle connections do not keep it alive (nor their keep-alive expiry); node:http is never loaded', async () => {
    const server = await rawServer(always(ok('{"pong":true}', 'Keep-Alive: timeout=60\r\n')));
    const script = [
      `import { createNetTransport } from ${JSON.stringify(TRANSPORT_URL)};`,
      `const transport = createNetTransport(${JSON.stringify(server.api)});`,
      `const res = await transport.request('GET', '/ping', undefined, undefined);`,
      `await transport.request('POST', '/pong', undefined, '{}');`,
      `process.on('beforeExit', () => {`,
      `  const http = process.moduleLoadList.filter((m) => /_http_/.test(m));`,
      `  console.log(JSON.stringify({ beforeExit: true, body: res.body.toString(), http }));`,
      `  process.exit(0);`,
      `});`,
    ].join('\n');
    const child = spawn(NODE24, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
    expect(JSON.parse(stdout)).toEqual({ beforeExit: true, body: '{"pong":true}', http: [] });
    // Its connection stayed open, idle, until the process went.
    expect(server.requests.map((r) => r.connection)).toEqual([1, 1]);
  });

  it('an open long poll keeps it alive, and process.exit() ends it at once', async () => {
    const server = await rawServer(() => undefined);
    const script = [
      `import { createNetTransport } from ${JSON.stringify(TRANSPORT_URL)};`,
      `setTimeout(() => { console.log('still waiting'); process.exit(3); }, 300).unref();`,
      `process.on('beforeExit', () => { console.log('beforeExit'); });`,
      `await createNetTransport(${JSON.stringify(server.api)}).request('GET', '/next', undefined, undefined);`,
    ].join('\n');
    const child = spawn(NODE24, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    // The unref'd timer fired only because the in-flight request held the loop open.
    expect({ code, stdout }).toEqual({ code: 3, stdout: 'still waiting\n' });
  });
});

describe('ResponseParser', () => {
  function feedBytes(parser: ResponseParser, text: string): string[] {
    return [...Buffer.from(text)].map((byte) => {
      const progress = parser.push(Buffer.from([byte]));
      return progress instanceof MalformedResponseError ? `error: ${progress.message}` : progress;
    });
  }

  it('byte by byte: incomplete until the last byte, for every framing', () => {
    const responses = [
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n2;e=1\r\nbc\r\n0\r\nT: x\r\n\r\n',
      'HTTP/1.1 204 No Content\r\nX: y\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc',
    ];
    for (const response of responses) {
      const parser = new ResponseParser();
      const progress = feedBytes(parser, response);
      expect(progress.slice(0, -1).every((p) => p === 'incomplete'), response).toBe(true);
      expect(progress.at(-1), response).toBe('complete');
      expect(parser.reusable).toBe(true);
    }
  });

  it('split at every position: the same result', () => {
    const response = Buffer.from('HTTP/1.1 200 OK\r\nA: 1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n1\r\n!\r\n0\r\n\r\n');
    for (let at = 1; at < response.length; at++) {
      const parser = new ResponseParser();
      expect(parser.push(response.subarray(0, at))).toBe('incomplete');
      expect(parser.push(response.subarray(at))).toBe('complete');
      const res = parser.response();
      expect([res.status, res.headers['a'], res.body.toString()]).toEqual([200, '1', 'wxyz!']);
    }
  });

  it('until close: complete at end(); not reusable', () => {
    const parser = new ResponseParser();
    expect(parser.push(Buffer.from('HTTP/1.0 200 OK\r\n\r\nrest'))).toBe('incomplete');
    expect(parser.end()).toBe('complete');
    expect(parser.response().body.toString()).toBe('rest');
    expect(parser.reusable).toBe(false);
  });

  it('malformed: bad header line, bad Content-Length, bad chunk size, chunk longer than said', () => {
    const bad = [
      ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'a header line is malformed'],
      ['HTTP/1.1 200 OK\r\n folded: x\r\n\r\n', 'a header line is malformed'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n', 'Content-Length is not one whole number'],
      ['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'Content-Length is not one whole number'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'a chunk size is not a hex number'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n', 'a chunk is longer than its size says'],
      ['HTTP/2 200\r\n\r\n', 'the status line is not HTTP/1.x'],
    ] as const;
    for (const [response, message] of bad) {
      const progress = new ResponseParser().push(Buffer.from(response));
      expect(progress, response).toBeInstanceOf(MalformedResponseError);
      expect((progress as MalformedResponseError).message).toContain(message);
    }
  });

  it('Connection: close, HTTP/1.0 and bytes after the response make it not reusable; the keep-alive hint is read', () => {
    const cases: [string, boolean][] = [
      ['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false],
      ['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
      ['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
      ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n', false],
    ];
    for (const [response, reusable] of cases) {
      const parser = new ResponseParser();
      expect(parser.push(Buffer.from(response))).toBe('complete');
      expect(parser.reusable, response).toBe(reusable);
    }
    const hinted = new ResponseParser();
    hinted.push(Buffer.from('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n'));
    expect(hinted.keepAliveTimeoutMs).toBe(5000);
  });
});
