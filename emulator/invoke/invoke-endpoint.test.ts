// The RIE-compatible invoke endpoint: header mapping, function errors, and live streaming.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { performance } from 'node:perf_hooks';
import type { InvocationOutcome, InvokeOptions } from '../invocation.ts';
import { InvokeEndpoint } from './invoke-endpoint.ts';
import { startStandIn, stopAll, tempDir, waitUntil } from '../test-helpers.ts';

const endpoints: InvokeEndpoint[] = [];
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
  await stopAll();
});

async function setUp(): Promise<{ url: string; reports: string[] }> {
  const emulator = await startStandIn();
  const reports: string[] = [];
  const endpoint = await InvokeEndpoint.start(emulator, { port: 0, log: (line) => reports.push(line) });
  endpoints.push(endpoint);
  return { url: endpoint.url, reports };
}

const INVOKE = '/2015-03-31/functions/function/invocations';
const STREAM = '/2021-11-15/functions/function/response-streaming-invocations';

describe('buffered invocations', () => {
  test('maps X-Amz-Client-Context (base64 JSON), X-Amzn-Trace-Id and X-Amz-Tenant-Id onto the runtime headers', async () => {
    const { url, reports } = await setUp();
    const clientContext = '{"client":{"installation_id":"i-1"},"custom":{"a":1}}';
    const res = await fetch(`${url}${INVOKE}`, {
      method: 'POST',
      body: '{"action":"echo"}',
      headers: {
        'X-Amz-Client-Context': Buffer.from(clientContext).toString('base64'),
        'X-Amzn-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        'X-Amz-Tenant-Id': 'blue',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-function-error')).toBeNull();
    const echo = (await res.json()) as { headers: Record<string, string> };
    expect(echo.headers['lambda-runtime-client-context']).toBe(clientContext);
    expect(echo.headers['lambda-runtime-trace-id']).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    expect(echo.headers['lambda-runtime-aws-tenant-id']).toBe('blue');
    expect(res.headers.get('x-amzn-requestid')).toBe(echo.headers['lambda-runtime-aws-request-id']);
    // REPORT follows the invocation's late output: once the runtime asked for the next event.
    await waitUntil(() => reports.length > 0, 'the REPORT line');
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatch(/^REPORT RequestId: \S+\tDuration: /);
  });

  test('a client context that is not base64 JSON is a 400', async () => {
    const { url } = await setUp();
    const res = await fetch(`${url}${INVOKE}`, { method: 'POST', body: '{}', headers: { 'X-Amz-Client-Context': 'not json' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('X-Amz-Client-Context');
  });

  test('a function error is 200 with X-Amz-Function-Error: Unhandled and the error JSON', async () => {
    const { url } = await setUp();
    const res = await fetch(`${url}${INVOKE}`, {
      method: 'POST',
      body: '{"action":"error","type":"Function.Broken","message":"boom"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await res.json()).toEqual({ errorType: 'Function.Broken', errorMessage: 'boom', trace: [] });
  });

  test('unknown paths are 404', async () => {
    const { url } = await setUp();
    const res = await fetch(`${url}/2015-03-31/functions/other/invocations`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });
});

describe('streaming invocations', () => {
  test('the first chunk reaches the caller before the runtime sends the last one', async () => {
    const { url } = await setUp();
    const gate = join(tempDir('gate'), 'send-last');
    const event = { action: 'stream', chunks: ['first;', 'last'], waitForFile: gate, contentType: 'text/event-stream' };
    const res = await fetch(`${url}${STREAM}`, { method: 'POST', body: JSON.stringify(event) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body?.getReader();
    if (reader === undefined) throw new Error('no body');
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString()).toBe('first;');
    // Only now may the runtime send the rest: a buffering endpoint would never get here.
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, '');
    let rest = '';
    for (let piece = await reader.read(); !piece.done; piece = await reader.read()) rest += Buffer.from(piece.value).toString();
    expect(rest).toBe('last');
  });

  test('an error after the first byte arrives as trailers', async () => {
    const { url } = await setUp();
    const event = { action: 'stream', chunks: ['partial'], errorType: 'Function.Oops', errorMessage: 'late failure' };
    // fetch does not expose trailers: read the raw HTTP/1.1 response.
    const http = await import('node:http');
    const { body, trailers } = await new Promise<{ body: string; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
      const req = http.request(`${url}${STREAM}`, { method: 'POST' }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ body: text, trailers: res.trailers }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(event));
    });
    expect(body).toBe('partial');
    expect(trailers['x-amz-function-error']).toBe('Unhandled');
    expect(trailers['lambda-runtime-function-error-type']).toBe('Function.Oops');
    expect(JSON.parse(Buffer.from(trailers['lambda-runtime-function-error-body'] ?? '', 'base64').toString())).toEqual({
      errorType: 'Function.Oops',
      errorMessage: 'late failure',
    });
  });

  test('a slow caller slows the runtime down: the emulator reads no faster than the caller takes', async () => {
    const emulator = await startStandIn();
    const outcomes: InvocationOutcome[] = [];
    const invoker = {
      invoke: async (payload: string | Buffer, options?: InvokeOptions): Promise<InvocationOutcome> => {
        const outcome = await emulator.invoke(payload, options);
        outcomes.push(outcome);
        return outcome;
      },
    };
    const endpoint = await InvokeEndpoint.start(invoker, { port: 0, log: () => {} });
    endpoints.push(endpoint);
    const total = 40 * 1024 * 1024;
    // 40 pieces of 1 MB made by the stand-in (an event itself is at most 6 MB).
    const event = { action: 'stream', chunkCount: 40, chunkSize: 1024 * 1024, chunkChar: 'z' };
    const http = await import('node:http');
    const { received, resumedAtMs } = await new Promise<{ received: number; resumedAtMs: number }>((resolve, reject) => {
      const req = http.request(`${endpoint.url}${STREAM}`, { method: 'POST' }, (res) => {
        let count = 0;
        let resumedAt = 0;
        res.once('data', (piece: Buffer) => {
          count += piece.length;
          // Take nothing for a while: the emulator must stop reading from the runtime meanwhile.
          res.pause();
          setTimeout(() => {
            resumedAt = performance.now();
            res.on('data', (more: Buffer) => (count += more.length));
            res.resume();
          }, 800);
        });
        res.on('end', () => resolve({ received: count, resumedAtMs: resumedAt }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify(event));
    });
    expect(received).toBe(total);
    const outcome = outcomes[0];
    expect(outcome?.kind).toBe('response');
    const readWhilePaused = (outcome?.chunks ?? []).filter((c) => c.atMs < resumedAtMs).reduce((n, c) => n + c.data.length, 0);
    // Socket buffers on both sides hold a few MB; the rest had to wait for the caller.
    expect(readWhilePaused).toBeLessThan(total / 2);
  });

  test('a buffered answer to a streaming invoke is passed through', async () => {
    const { url } = await setUp();
    const res = await fetch(`${url}${STREAM}`, { method: 'POST', body: '{"action":"sleep","ms":1}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ pid: expect.any(Number) as number });
  });
});
