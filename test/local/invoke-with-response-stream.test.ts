// InvokeWithResponseStream on the local server's Invoke API, driven by AWS's own SDK client
// (InvokeWithResponseStreamCommand, which decodes the application/vnd.amazon.eventstream answer
// with its own codec and checks every message's CRCs), with dist/bootstrap running real handlers
// (test/fixtures/local/app.mjs): PayloadChunk events as the function streams, InvokeComplete with
// the error and the log tail, for streaming and buffered handlers.
import { InvokeWithResponseStreamCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import type { InvokeWithResponseStreamCommandOutput, InvokeWithResponseStreamCompleteEvent } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import { startFunction, stopAll } from '../integration/harness.ts';

const servers: LocalServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

async function serve(handler: string, functionName = 'orders', timeoutMs?: number): Promise<{ client: LambdaClient; logs: string[] }> {
  const emulator = await startFunction('local', handler, {}, timeoutMs === undefined ? { functionName } : { functionName, timeoutMs });
  const logs: string[] = [];
  const server = await LocalServer.start(emulator, { functionName, port: 0, log: (line) => logs.push(line) });
  servers.push(server);
  const client = new LambdaClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' }, maxAttempts: 1 });
  return { client, logs };
}

interface Read {
  chunks: string[];
  complete: InvokeWithResponseStreamCompleteEvent | undefined;
  events: string[];
}

async function readAll(out: InvokeWithResponseStreamCommandOutput): Promise<Read> {
  const read: Read = { chunks: [], complete: undefined, events: [] };
  for await (const event of out.EventStream ?? []) {
    if (event.PayloadChunk !== undefined) {
      read.events.push('PayloadChunk');
      read.chunks.push(Buffer.from(event.PayloadChunk.Payload ?? []).toString('utf8'));
    } else if (event.InvokeComplete !== undefined) {
      read.events.push('InvokeComplete');
      read.complete = event.InvokeComplete;
    }
  }
  return read;
}

const tail = (logResult: string | undefined): string => Buffer.from(logResult ?? '', 'base64').toString('utf8');

describe('InvokeWithResponseStream (POST /2021-11-15/functions/{name}/response-streaming-invocations) through @aws-sdk/client-lambda', () => {
  it('a streaming handler: PayloadChunk events as it writes, then InvokeComplete with the log tail', async () => {
    const { client, logs } = await serve('app.pieces');
    const out = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'orders', Payload: JSON.stringify({ count: 5 }), LogType: 'Tail' }));
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(out.ResponseStreamContentType).toBe('application/vnd.amazon.eventstream');
    const read = await readAll(out);
    expect(read.chunks.join('')).toBe('piece 0;piece 1;piece 2;piece 3;piece 4;');
    // Streamed as written (the handler pauses between pieces), not one buffered chunk.
    expect(read.chunks.length).toBeGreaterThan(1);
    expect(read.events.at(-1)).toBe('InvokeComplete');
    expect(read.events.filter((e) => e === 'InvokeComplete')).toHaveLength(1);
    expect(read.complete?.ErrorCode).toBeUndefined();
    expect(read.complete?.ErrorDetails).toBeUndefined();
    const requestId = out.$metadata.requestId;
    const log = tail(read.complete?.LogResult);
    expect(log).toMatch(new RegExp(`^START RequestId: ${requestId} Version: \\$LATEST\\n`));
    expect(log).toContain(`\t${requestId}\tINFO\tstreaming 5 pieces\n`);
    expect(log).toMatch(new RegExp(`END RequestId: ${requestId}\\nREPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\t.*\\n$`));
    await expect.poll(() => logs.some((line) => line.startsWith(`REPORT RequestId: ${requestId}`))).toBe(true);
  });

  it('a buffered handler: its JSON in PayloadChunk, InvokeComplete without error; no LogResult unless asked', async () => {
    const { client } = await serve('app.echo');
    const out = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:orders', Payload: JSON.stringify({ id: 7 }) }));
    const read = await readAll(out);
    expect(JSON.parse(read.chunks.join(''))).toEqual({ event: { id: 7 }, functionName: 'orders', clientContext: null });
    expect(read.complete).toBeDefined();
    expect(read.complete?.ErrorCode).toBeUndefined();
    expect(read.complete?.LogResult).toBeUndefined();
  });

  it('a buffered handler that throws: no payload, InvokeComplete with the error type and document, and the tail', async () => {
    const { client } = await serve('app.fails');
    const out = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'orders', Payload: '{}', LogType: 'Tail' }));
    expect(out.StatusCode).toBe(200);
    const read = await readAll(out);
    expect(read.chunks).toEqual([]);
    expect(read.complete?.ErrorCode).toBe('TypeError');
    expect(JSON.parse(read.complete?.ErrorDetails ?? '')).toMatchObject({ errorType: 'TypeError', errorMessage: 'the order is missing an id' });
    expect(tail(read.complete?.LogResult)).toContain('about to fail');
  });

  it('a streaming handler failing after its first byte: the piece, then InvokeComplete with the error', async () => {
    const { client } = await serve('app.streamFails');
    const read = await readAll(await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'orders', Payload: '{}' })));
    expect(read.chunks.join('')).toBe('partial;');
    expect(read.complete?.ErrorCode).toBe('RangeError');
    expect(JSON.parse(read.complete?.ErrorDetails ?? '')).toMatchObject({ errorType: 'RangeError', errorMessage: 'ran out of pieces' });
  });

  it('a timeout: InvokeComplete Sandbox.Timedout with the service message', async () => {
    const { client } = await serve('app.sleeps', 'orders', 1000);
    const read = await readAll(await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'orders', Payload: '{}' })));
    expect(read.chunks).toEqual([]);
    expect(read.complete?.ErrorCode).toBe('Sandbox.Timedout');
    expect(read.complete?.ErrorDetails).toMatch(/Task timed out after 1\.00 seconds/);
  });

  it("the service's errors: an unknown function is ResourceNotFoundException, a payload that is not JSON InvalidRequestContentException", async () => {
    const { client } = await serve('app.echo');
    const missing = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'nope', Payload: '{}' })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as Error).message).toBe('Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope');
    const bad = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'orders', Payload: '{nope' })).catch((e: unknown) => e);
    expect((bad as Error).name).toBe('InvalidRequestContentException');
  });

  it('a function named `function`: the SDK gets the event stream on the path the RIE streams raw bytes on; curl still gets the raw bytes', async () => {
    const { client } = await serve('app.pieces', 'function');
    const read = await readAll(await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'function', Payload: '{"count":2}' })));
    expect(read.chunks.join('')).toBe('piece 0;piece 1;');
    expect(read.complete).toBeDefined();
    const url = `${servers.at(-1)?.url}/2021-11-15/functions/function/response-streaming-invocations`;
    const raw = await fetch(url, { method: 'POST', body: '{"count":2}' });
    expect(await raw.text()).toBe('piece 0;piece 1;');
  });
});
