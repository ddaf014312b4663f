// Contract §7: response streaming — the streaming POST, its chunks, the HTTP-integration prelude,
// errors before and after the first byte, back-pressure and large bodies, and the emulator's
// streaming invoke endpoint in front of the real runtime.
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, test } from 'vitest';
import { InvokeEndpoint } from '../../emulator/index.ts';
import type { Emulator, InvocationOutcome, InvokeOptions } from '../../emulator/index.ts';
import {
  TRANSPORTS,
  describeOutcome,
  errorBody,
  outputSettles,
  startFunction,
  stopAll,
  tempDir,
  textLines,
} from './harness.ts';

const endpoints: InvokeEndpoint[] = [];
afterAll(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
  await stopAll();
});

const FIXTURE = 'streaming';
const STREAMING_INVOKE = '/2021-11-15/functions/function/response-streaming-invocations';
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
const INVALID_STREAMING_OPERATION = 'Runtime.InvalidStreamingOperation';
const MB = 1024 * 1024;

/** The error JSON a runtime put, base64, in the Lambda-Runtime-Function-Error-Body trailer. */
function trailerError(outcome: InvocationOutcome): { errorType: string; errorMessage: string; trace: string[] } {
  const encoded = outcome.trailers['lambda-runtime-function-error-body'];
  if (encoded === undefined) throw new Error(`no error body trailer: ${JSON.stringify(outcome.trailers)}`);
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { errorType: string; errorMessage: string; trace: string[] };
}

/** What the streamed POST carried, whatever the outcome (an error outcome's body is the error). */
function streamedText(outcome: InvocationOutcome): string {
  return Buffer.concat(outcome.chunks.map((c) => c.data)).toString('utf8');
}

function requestsTo(emulator: Emulator, suffix: string): Emulator['requests'] {
  return emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix));
}

/** The bytes of the fixture's `big` handler: piece i = 64 KiB of (i & 0xff), i big-endian in the first 4. */
function bigBodyDigest(mb: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < (mb * MB) / (64 * 1024); i++) {
    const piece = Buffer.alloc(64 * 1024, i & 0xff);
    piece.writeUInt32BE(i, 0);
    hash.update(piece);
  }
  return hash.digest('hex');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Peak resident memory (VmHWM, MB) of the runtime after two small streams: its warm baseline. */
async function warmBaselineMb(emulator: Emulator): Promise<number> {
  for (let i = 0; i < 2; i++) {
    const warm = await emulator.invoke('{"mb":1}');
    expect(warm.kind, describeOutcome(warm, emulator)).toBe('response');
  }
  const last = await emulator.invoke('{"mb":1}');
  if (last.maxMemoryUsedMb === undefined) throw new Error('the emulator read no VmHWM for the runtime');
  return last.maxMemoryUsedMb;
}

// Measured: streaming 50 MB (or 100 MB) with back-pressure raises the runtime's peak by 16-27 MB
// of not-yet-collected garbage; a runtime that holds the body (or ignores back-pressure behind a
// slow reader) needs at least the 50 MB more, measured 56 MB.
const MAX_GROWTH_MB = 40;

describe.each(TRANSPORTS)('the streaming POST (transport %s)', (transport) => {
  const start = (handler: string): Promise<Emulator> => startFunction(FIXTURE, `index.${handler}`, {}, { transport });

  describe.concurrent('bytes, order and headers', () => {
    test('the first chunk reaches the emulator before the handler writes the rest', async () => {
      const emulator = await start('incremental');
      const gate = join(tempDir('stream-gate'), 'go');
      let gateOpenedAtMs = 0;
      const outcome = await emulator.invoke(JSON.stringify({ gate }), {
        requestId: `incremental-${transport}`,
        onChunk: (data) => {
          // Only once bytes have arrived may the handler go on: a buffering runtime never gets here.
          if (gateOpenedAtMs === 0 && data.toString('utf8').startsWith('first;')) {
            gateOpenedAtMs = performance.now();
            writeFileSync(gate, '');
          }
        },
      });
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.streaming).toBe(true);
      expect(outcome.body.toString('utf8')).toBe('first;second;third');
      const [first] = outcome.chunks;
      const last = outcome.chunks.at(-1);
      expect(first?.data.toString('utf8')).toBe('first;');
      expect(first?.atMs ?? Infinity).toBeLessThanOrEqual(gateOpenedAtMs);
      expect(last?.atMs ?? 0).toBeGreaterThan(gateOpenedAtMs);
      expect(outcome.headers['content-type']).toBe('text/plain; charset=utf-8');
    });

    test('the POST declares streaming mode, chunked encoding and both error trailers', async () => {
      const emulator = await start('defaults');
      const outcome = await emulator.invoke('{}', { requestId: `defaults/${transport}` });
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.toString('utf8')).toBe('plain bytes');
      const [post] = requestsTo(emulator, '/response');
      expect(post?.path).toBe(`/2018-06-01/runtime/invocation/${encodeURIComponent(`defaults/${transport}`)}/response`);
      expect(post?.status).toBe(202);
      expect(post?.headers['lambda-runtime-function-response-mode']).toBe('streaming');
      expect(post?.headers['transfer-encoding']).toBe('chunked');
      expect(post?.headers['content-length']).toBeUndefined();
      const declared = (post?.headers.trailer ?? '').split(',').map((name) => name.trim().toLowerCase());
      expect(declared.sort()).toEqual(['lambda-runtime-function-error-body', 'lambda-runtime-function-error-type']);
      expect(post?.headers['content-type']).toBe('application/octet-stream');
      // A clean end sends no error trailers.
      expect(outcome.trailers['lambda-runtime-function-error-type'] ?? '').toBe('');
    });

    test('many small writes arrive complete and in order', async () => {
      const emulator = await start('ordered');
      const count = 600;
      const outcome = await emulator.invoke(JSON.stringify({ count }));
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      const expected = Array.from({ length: count }, (_, i) => `${i},`).join('');
      expect(outcome.body.toString('utf8')).toBe(expected);
      // The handler pauses between batches, so the body cannot have come as one piece.
      expect(outcome.chunks.length).toBeGreaterThan(1);
    });

    test('streamifyResponse passes highWaterMark on to the response stream', async () => {
      const emulator = await start('highWaterMark');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.toString('utf8')).toBe('1234');
    });

    test('HttpResponseStream.from: JSON prelude, 8 NUL bytes, then the body, byte for byte', async () => {
      const emulator = await start('http');
      const prelude = {
        statusCode: 201,
        headers: { 'content-type': 'text/html; charset=utf-8', 'x-custom': 'é ünïcode' },
        cookies: ['session=abc; Secure; HttpOnly', 'theme=dark'],
      };
      const body = '<h1>created</h1>';
      const outcome = await emulator.invoke(JSON.stringify({ prelude, body }));
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.headers['content-type']).toBe(HTTP_INTEGRATION);
      const expected = Buffer.concat([Buffer.from(JSON.stringify(prelude), 'utf8'), Buffer.alloc(8), Buffer.from(body, 'utf8')]);
      expect(outcome.body.toString('hex')).toBe(expected.toString('hex'));
    });

    test('HttpResponseStream.from with nothing written: the prelude and its 8 NUL bytes still go out', async () => {
      const emulator = await start('http');
      const prelude = { statusCode: 204, headers: { 'x-empty': 'yes' } };
      const outcome = await emulator.invoke(JSON.stringify({ prelude }));
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.headers['content-type']).toBe(HTTP_INTEGRATION);
      const expected = Buffer.concat([Buffer.from(JSON.stringify(prelude), 'utf8'), Buffer.alloc(8)]);
      expect(outcome.body.toString('hex')).toBe(expected.toString('hex'));
    });

    test('a returned value is ignored with a warning', async () => {
      const emulator = await start('returnsValue');
      const requestId = `returns-value-${transport}`;
      const outcome = await emulator.invoke('{}', { requestId });
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.toString('utf8')).toBe('streamed');
      const isWarning = (l: { requestId: string; level: string; message: string }): boolean =>
        l.requestId === requestId && l.level === 'WARN' && l.message === 'Streaming handlers ignore return values.';
      await outputSettles(emulator, (o) => textLines(o).some(isWarning));
      expect(textLines(emulator.output).filter(isWarning), emulator.output).toHaveLength(1);
    });
  });

  describe.concurrent('errors', () => {
    test('an error after the first byte ends the POST with the error in trailers; the runtime goes on', async () => {
      const emulator = await start('failAfterFirstByte');
      for (const requestId of [`late-1-${transport}`, `late-2-${transport}`]) {
        const outcome = await emulator.invoke('{}', { requestId });
        expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
        expect(outcome.streaming).toBe(true);
        expect(streamedText(outcome)).toBe('partial;');
        expect(outcome.trailers['lambda-runtime-function-error-type']).toBe('TypeError');
        const error = trailerError(outcome);
        expect(error).toMatchObject({ errorType: 'TypeError', errorMessage: 'broke mid-stream' });
        expect(Array.isArray(error.trace)).toBe(true);
        expect(error.trace[0]).toBe('TypeError: broke mid-stream');
        expect(error.trace.some((line) => line.includes('index.mjs'))).toBe(true);
        // The emulator (like Lambda) records the decoded trailer as the invocation's error.
        expect(errorBody(outcome)).toEqual(error);
      }
      expect(requestsTo(emulator, '/error')).toHaveLength(0);
      expect(emulator.pid).toBeDefined();
      await outputSettles(emulator, (o) => textLines(o).some((l) => l.message.startsWith('Invoke Error')));
      const logged = textLines(emulator.output).find((l) => l.message.startsWith('Invoke Error'));
      expect(logged, emulator.output).toMatchObject({ level: 'ERROR', requestId: `late-1-${transport}` });
    });

    test('a thrown non-Error after the first byte: errorType is its typeof, message its String()', async () => {
      const emulator = await start('failWithString');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(streamedText(outcome)).toBe('so far so good;');
      expect(outcome.trailers['lambda-runtime-function-error-type']).toBe('string');
      expect(trailerError(outcome)).toEqual({ errorType: 'string', errorMessage: 'a thrown string', trace: [] });
    });

    test('an error before the first byte is posted to /error like a buffered one', async () => {
      const emulator = await start('failBeforeFirstByte');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(outcome.streaming).toBe(false);
      expect(outcome.errorType).toBe('RangeError');
      expect(errorBody(outcome)).toMatchObject({ errorType: 'RangeError', errorMessage: 'nothing was written yet' });
      expect(requestsTo(emulator, '/error')).toHaveLength(1);
      expect(requestsTo(emulator, '/response')).toHaveLength(0);
    });

    test('setContentType after the first write throws Runtime.InvalidStreamingOperation', async () => {
      const emulator = await start('contentTypeTooLateCaught');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.headers['content-type']).toBe('application/octet-stream');
      const [, thrown] = outcome.body.toString('utf8').split('\n');
      expect(JSON.parse(thrown ?? '')).toEqual({ name: INVALID_STREAMING_OPERATION, message: 'Cannot set content-type, too late.' });
    });

    test('an uncaught too-late setContentType is reported in the trailers', async () => {
      const emulator = await start('contentTypeTooLate');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(outcome.streaming).toBe(true);
      expect(outcome.trailers['lambda-runtime-function-error-type']).toBe(INVALID_STREAMING_OPERATION);
      expect(trailerError(outcome)).toMatchObject({
        errorType: INVALID_STREAMING_OPERATION,
        errorMessage: 'Cannot set content-type, too late.',
      });
    });

    // Returning before end() is no error: see stream-outlives-handler.test.ts.

    test('a streaming handler that does not return a promise is refused', async () => {
      const emulator = await start('notAsync');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(outcome.errorType).toBe(INVALID_STREAMING_OPERATION);
      expect(errorBody(outcome)).toMatchObject({
        errorType: INVALID_STREAMING_OPERATION,
        errorMessage: 'Streaming does not support non-async handlers.',
      });
    });
  });
});

describe('large bodies and back-pressure', () => {
  test('50 MB streamed whole, while the runtime peak memory stays far below baseline + 50 MB', async () => {
    const emulator = await startFunction(FIXTURE, 'index.big');
    const baselineMb = await warmBaselineMb(emulator);
    const outcome = await emulator.invoke('{"mb":50}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.body.length).toBe(50 * MB);
    expect(sha256(outcome.body)).toBe(bigBodyDigest(50));
    expect(outcome.chunks.length).toBeGreaterThan(50);
    const peakMb = outcome.maxMemoryUsedMb ?? Infinity;
    expect(peakMb - baselineMb, `baseline ${baselineMb} MB, peak ${peakMb} MB`).toBeLessThan(MAX_GROWTH_MB);
  });

  test('a slow reader on the streaming invoke endpoint holds the runtime back instead of filling its memory', async () => {
    const emulator = await startFunction(FIXTURE, 'index.big');
    const baselineMb = await warmBaselineMb(emulator);
    const outcomes: InvocationOutcome[] = [];
    const endpoint = await InvokeEndpoint.start(
      {
        invoke: async (payload: string | Buffer, options?: InvokeOptions) => {
          const outcome = await emulator.invoke(payload, options);
          outcomes.push(outcome);
          return outcome;
        },
      },
      { port: 0, log: () => {} },
    );
    endpoints.push(endpoint);
    const pauseMs = 1_000;
    const read = await new Promise<{ digest: string; length: number; resumedAtMs: number }>((resolve, reject) => {
      const req = http.request(`${endpoint.url}${STREAMING_INVOKE}`, { method: 'POST' }, (res) => {
        const hash = createHash('sha256');
        let length = 0;
        let resumedAtMs = 0;
        const take = (piece: Buffer): void => {
          hash.update(piece);
          length += piece.length;
        };
        res.once('data', (piece: Buffer) => {
          take(piece);
          // Read nothing for a while, like a client on a slow network.
          res.pause();
          setTimeout(() => {
            resumedAtMs = performance.now();
            res.on('data', take);
            res.resume();
          }, pauseMs);
        });
        res.on('end', () => resolve({ digest: hash.digest('hex'), length, resumedAtMs }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end('{"mb":50}');
    });
    expect(read.length).toBe(50 * MB);
    expect(read.digest).toBe(bigBodyDigest(50));
    const outcome = outcomes[0];
    if (outcome === undefined) throw new Error('the endpoint made no invocation');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    // While the reader slept, only what socket buffers hold can have left the runtime.
    const sentWhilePaused = outcome.chunks.filter((c) => c.atMs < read.resumedAtMs).reduce((n, c) => n + c.data.length, 0);
    expect(sentWhilePaused).toBeLessThan(25 * MB);
    const peakMb = outcome.maxMemoryUsedMb ?? Infinity;
    expect(peakMb - baselineMb, `baseline ${baselineMb} MB, peak ${peakMb} MB`).toBeLessThan(MAX_GROWTH_MB);
  });

  test('pipeline() from a file stream sends the file byte for byte', async () => {
    const emulator = await startFunction(FIXTURE, 'index.fromFile');
    const file = join(tempDir('stream-file'), 'records.ndjson');
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(JSON.stringify({ i, name: `record-${i}`, ok: i % 3 === 0 }));
    const content = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    writeFileSync(file, content);
    const outcome = await emulator.invoke(JSON.stringify({ file }));
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.headers['content-type']).toBe('application/x-ndjson');
    expect(outcome.body.length).toBe(content.length);
    expect(sha256(outcome.body)).toBe(sha256(content));
  });
});

describe('streaming under Managed Instances', () => {
  test('four concurrent streams stay apart: each body holds only its own pieces, in order', async () => {
    // One worker thread runs all four, so that the streams share one event loop (and the timing
    // below does not depend on four cold worker threads sharing two cores); streams from several
    // workers: managed-instances.test.ts.
    const emulator = await startFunction(FIXTURE, 'index.tagged', { AWS_LAMBDA_NODEJS_WORKER_COUNT: '1' }, { maxConcurrency: 4 });
    const tags = ['north', 'south', 'east', 'west'];
    const outcomes = await Promise.all(tags.map((tag) => emulator.invoke(JSON.stringify({ tag }), { requestId: `stream-${tag}` })));
    tags.forEach((tag, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) throw new Error('missing outcome');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      const expected = `${Array.from({ length: 40 }, (_, k) => `${tag}:${k};`).join('')}stream-${tag}`;
      expect(outcome.body.toString('utf8')).toBe(expected);
    });
    // They really were concurrent: every stream began before any of them ended.
    const firstPieces = outcomes.map((o) => o.chunks[0]?.atMs ?? Infinity);
    const lastPieces = outcomes.map((o) => o.chunks.at(-1)?.atMs ?? 0);
    expect(Math.max(...firstPieces)).toBeLessThan(Math.min(...lastPieces));
  });
});

describe('the streaming invoke endpoint in front of the runtime', () => {
  async function endpointFor(handler: string): Promise<InvokeEndpoint> {
    const emulator = await startFunction(FIXTURE, handler);
    const endpoint = await InvokeEndpoint.start(emulator, { port: 0, log: () => {} });
    endpoints.push(endpoint);
    return endpoint;
  }

  test('forwards the first chunk to the caller before the handler produces the last', async () => {
    const endpoint = await endpointFor('index.incremental');
    const gate = join(tempDir('endpoint-gate'), 'go');
    const res = await fetch(`${endpoint.url}${STREAMING_INVOKE}`, { method: 'POST', body: JSON.stringify({ gate }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error('no response body');
    const first = await reader.read();
    expect(Buffer.from(first.value ?? new Uint8Array()).toString('utf8')).toBe('first;');
    // The handler is still waiting for this file: the caller got the first chunk live.
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, '');
    let rest = '';
    for (let piece = await reader.read(); !piece.done; piece = await reader.read()) rest += Buffer.from(piece.value).toString('utf8');
    expect(rest).toBe('second;third');
  });

  test('an error after the first byte reaches the caller as decodable trailers', async () => {
    const endpoint = await endpointFor('index.failAfterFirstByte');
    const { body, trailers } = await new Promise<{ body: string; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
      const req = http.request(`${endpoint.url}${STREAMING_INVOKE}`, { method: 'POST' }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ body: text, trailers: res.trailers }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(body).toBe('partial;');
    expect(trailers['x-amz-function-error']).toBe('Unhandled');
    expect(trailers['lambda-runtime-function-error-type']).toBe('TypeError');
    const decoded = JSON.parse(Buffer.from(trailers['lambda-runtime-function-error-body'] ?? '', 'base64').toString('utf8')) as unknown;
    expect(decoded).toMatchObject({ errorType: 'TypeError', errorMessage: 'broke mid-stream' });
  });

  test('an HTTP-integration response passes through with its prelude intact', async () => {
    const endpoint = await endpointFor('index.http');
    const prelude = { statusCode: 200, headers: { 'x-from': 'endpoint' } };
    const res = await fetch(`${endpoint.url}${STREAMING_INVOKE}`, { method: 'POST', body: JSON.stringify({ prelude, body: 'hello' }) });
    expect(res.headers.get('content-type')).toBe(HTTP_INTEGRATION);
    const bytes = Buffer.from(await res.arrayBuffer());
    const expected = Buffer.concat([Buffer.from(JSON.stringify(prelude)), Buffer.alloc(8), Buffer.from('hello')]);
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });
});
