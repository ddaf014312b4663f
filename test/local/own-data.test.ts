// Each caller gets only its own data, and nothing of an invocation is kept once it is answered
// beyond small bounded histories (emulator/sandbox/function-output.ts, emulator/limits.ts). Repro cases
// ../shared/repros/invoke-api-tail-leak and serve-unbounded-memory, against dist/bootstrap running
// test/fixtures/local-security.
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import type { Emulator } from '../../emulator/index.ts';
import {
  INVOCATION_LOG_BYTES,
  ANSWERED_LOG_WINDOWS,
  INVOCATION_LOG_HISTORY,
  MAX_PENDING_EVENTS,
  OUTPUT_HISTORY_CHARS,
  REQUEST_HISTORY_BYTES,
  REQUEST_HISTORY_COUNT,
  SETTLED_ID_HISTORY,
} from '../../emulator/limits.ts';
import { startFunction, stopAll } from '../integration/harness.ts';

const servers: LocalServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

async function serve(handler: string, maxConcurrency?: number): Promise<{ emulator: Emulator; server: LocalServer }> {
  // The emulator's own default output history (the harness raises it for tests that read it all).
  const emulator = await startFunction('local-security', handler, {}, { functionName: 'fn', outputHistoryChars: OUTPUT_HISTORY_CHARS, ...(maxConcurrency === undefined ? {} : { maxConcurrency }) });
  const server = await LocalServer.start(emulator, { functionName: 'fn', port: 0, log: () => {} });
  servers.push(server);
  return { emulator, server };
}

const agent = new http.Agent({ keepAlive: true });
afterAll(() => agent.destroy());

function post(port: number, path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An Invoke API call with LogType Tail: the decoded X-Amz-Log-Result. */
async function tailOf(port: number, payload: object): Promise<string> {
  const reply = await post(port, '/2015-03-31/functions/fn/invocations', JSON.stringify(payload), { 'x-amz-log-type': 'Tail' });
  expect(reply.status).toBe(200);
  return Buffer.from(String(reply.headers['x-amz-log-result']), 'base64').toString('utf8');
}

describe('Invoke API LogType Tail: only that invocation\'s lines', () => {
  it('repro invoke-api-tail-leak: Bob, queued behind Alice, gets START, his own line, END and REPORT, nothing of Alice\'s', async () => {
    const { server } = await serve('index.secret');
    const [alice, bob] = await Promise.all([
      tailOf(server.port, { secret: 'alice-password-123', ms: 300 }),
      new Promise((r) => setTimeout(r, 50)).then(() => tailOf(server.port, { secret: 'bob-token-456' })),
    ]);
    expect(bob.includes('alice-password-123')).toBe(false);
    const bobId = /^START RequestId: ([0-9a-f-]{36}) Version: \$LATEST\n/.exec(bob)?.[1];
    expect(bobId).toBeDefined();
    const lines = bob.trimEnd().split('\n');
    expect(lines[0]).toBe(`START RequestId: ${bobId} Version: $LATEST`);
    expect(lines.filter((l) => l.includes('SECRET-OF'))).toEqual([expect.stringMatching(new RegExp(`\\t${bobId}\\tINFO\\tSECRET-OF bob-token-456$`))]);
    expect(lines.at(-2)).toBe(`END RequestId: ${bobId}`);
    expect(lines.at(-1)).toMatch(new RegExp(`^REPORT RequestId: ${bobId}\\t`));
    // Alice ran alone: her record and her raw write (no request id) are hers, Bob's are not.
    expect(alice).toContain('SECRET-OF alice-password-123');
    expect(alice).toContain('raw line of alice-password-123');
    expect(alice).not.toContain('bob-token-456');
  });

  it('under --max-concurrency 4, four invocations at once: each tail holds its own record and no other caller\'s line', async () => {
    const { server } = await serve('index.secret', 4);
    const secrets = ['s-one', 's-two', 's-three', 's-four'];
    for (let round = 0; round < 3; round++) {
      const tails = await Promise.all(secrets.map((secret, i) => tailOf(server.port, { secret: `${secret}-${round}`, ms: 40 + 30 * ((i + round) % 4) })));
      tails.forEach((tail, i) => {
        expect(tail).toContain(`SECRET-OF ${secrets[i]}-${round}`);
        for (const [j, other] of secrets.entries()) if (j !== i) expect(tail, `tail ${i} has ${other}`).not.toContain(`${other}-${round}`);
      });
    }
  });
});

describe('bounded memory: nothing of an invocation outlives its answer beyond small histories', () => {
  it(`at most ${MAX_PENDING_EVENTS} unfinished Event invokes are held (each holds its payload); the next is 429 TooManyRequestsException until they finish`, async () => {
    const { server } = await serve('index.gated');
    const gate = join(mkdtempSync(join(tmpdir(), 'lambda-bootstrap-gate-')), 'open');
    const event = JSON.stringify({ gate });
    const headers = { 'x-amz-invocation-type': 'Event' };
    const api = '/2015-03-31/functions/fn/invocations';
    const accepted = await Promise.all(Array.from({ length: MAX_PENDING_EVENTS }, () => post(server.port, api, event, headers)));
    expect(accepted.map((r) => r.status)).toEqual(Array(MAX_PENDING_EVENTS).fill(202));
    const refused = await post(server.port, api, event, headers);
    expect(refused.status).toBe(429);
    expect(refused.headers['x-amzn-errortype']).toBe('TooManyRequestsException');
    expect(JSON.parse(refused.body).Message).toMatch(/^Rate Exceeded\./);
    writeFileSync(gate, '');
    // Once they have run, Events are accepted again (a RequestResponse behind them waits its turn).
    const sync = await post(server.port, api, event);
    expect(JSON.parse(sync.body)).toEqual({ released: true });
    expect((await post(server.port, api, event, headers)).status).toBe(202);
  });

  it('repro serve-unbounded-memory: what the emulator retains after 150, 300 and 450 invokes of 100 KB stays within its bounds and does not grow', async () => {
    const { emulator, server } = await serve('index.echo');
    const body = JSON.stringify({ pad: 'p'.repeat(100_000) });
    const samples: ReturnType<() => Emulator['retention']>[] = [];
    for (let batch = 0; batch < 3; batch++) {
      for (let i = 0; i < 150; i++) {
        const reply = await post(server.port, '/2015-03-31/functions/function/invocations', body);
        expect(reply.status).toBe(200);
        expect(reply.body.length).toBe(body.length);
      }
      samples.push(emulator.retention);
    }
    for (const sample of samples) {
      expect(sample.requests).toBeLessThanOrEqual(REQUEST_HISTORY_COUNT);
      // The newest few may exceed the byte budget by their own size (at most a request and an answer each).
      expect(sample.requestBytes).toBeLessThanOrEqual(REQUEST_HISTORY_BYTES + 2 * body.length);
      // The finished history, plus the windows still open: answered invocations whose output is
      // not complete yet (at most ANSWERED_LOG_WINDOWS, however fast the caller sends), and none
      // running (the sample is taken between two invokes).
      expect(sample.invocationLogs).toBeLessThanOrEqual(INVOCATION_LOG_HISTORY + ANSWERED_LOG_WINDOWS);
      expect(sample.invocationLogChars).toBeLessThanOrEqual((INVOCATION_LOG_HISTORY + ANSWERED_LOG_WINDOWS) * 2 * INVOCATION_LOG_BYTES);
      expect(sample.historyChars).toBeLessThanOrEqual(7 * OUTPUT_HISTORY_CHARS);
      expect(sample.settledIds).toBeLessThanOrEqual(SETTLED_ID_HISTORY);
      expect(sample.openInvocations).toBe(0);
      expect(sample.timers).toBe(0);
    }
    // Past the first histories' fill-up, three times the invocations hold no more than once.
    expect(samples[2]!.requests).toBe(samples[1]!.requests);
    expect(samples[2]!.requestBytes).toBeLessThanOrEqual(samples[1]!.requestBytes + body.length);
  });

  it('a body over Lambda\'s 6 MB limit is refused with 413 before it is read whole (RIE path, Invoke API, front door); an Event over 1 MB is 413 too', async () => {
    const { emulator, server } = await serve('index.echo');
    const big = 'x'.repeat(6_291_457);
    const rie = await post(server.port, '/2015-03-31/functions/function/invocations', big);
    expect(rie.status).toBe(413);
    expect(JSON.parse(rie.body)).toEqual({ errorType: 'RequestTooLargeException', errorMessage: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' });
    // Sent whole, with its Content-Length: the client reads its 413 (the rest is read and dropped), no broken pipe.
    const api = await post(server.port, '/2015-03-31/functions/fn/invocations', 'x'.repeat(7_000_000));
    expect(api.status).toBe(413);
    expect(api.headers['x-amzn-errortype']).toBe('RequestTooLargeException');
    const frontDoor = await post(server.port, '/upload', big);
    expect(frontDoor.status).toBe(413);
    const event = await post(server.port, '/2015-03-31/functions/fn/invocations', JSON.stringify({ pad: 'e'.repeat(1_048_576) }), { 'x-amz-invocation-type': 'Event' });
    expect(event.status).toBe(413);
    expect(JSON.parse(event.body).Message).toBe('Request must be smaller than 1048576 bytes for the InvokeFunction operation');
    // A 64 MB chunked upload (no Content-Length): 413, nothing of it kept.
    const before = emulator.retention;
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/2015-03-31/functions/function/invocations', agent: false, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const piece = Buffer.alloc(1024 * 1024, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 && req.write(piece)) sent++;
        if (sent < 64) req.once('drain', () => ((sent += 1), pump()));
        else req.end();
      };
      pump();
    });
    expect(chunked).toBe(413);
    expect(emulator.retention.requestBytes).toBe(before.requestBytes);
    // And the server still answers, on the same kept-alive connections.
    expect((await post(server.port, '/2015-03-31/functions/function/invocations', '{"after":1}')).body).toBe('{"after":1}');
  });
});
