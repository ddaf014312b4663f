// The Invoke API's request headers read one way (invoke-headers.ts), and the 400 each way in gives
// for a client context that is not base64 of JSON: the Lambda Invoke API's and InvokeWithResponseStream's
// REST-JSON service error, the RIE endpoint's own body. No runtime is started: a bad header is
// refused before anything is invoked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, test } from 'vitest';
import type { InvocationOutcome } from '../invocation.ts';
import { listen } from '../listening.ts';
import { InvokeEndpoint } from './invoke-endpoint.ts';
import { invokeHeaders } from './invoke-headers.ts';
import { InvokeWithResponseStreamApi } from './invoke-with-response-stream.ts';
import { LambdaInvokeApi } from './lambda-invoke-api.ts';
import type { LocalFunction } from './lambda-invoke-api.ts';

const NOT_JSON = Buffer.from('{"custom": ').toString('base64');
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A function that must not be invoked: the requests here are refused before. */
const untouchable: LocalFunction = {
  invoke: (): Promise<InvocationOutcome> => Promise.reject(new Error('invoked although the request was refused')),
  invocationLog: () => undefined,
};

function request(headers: Record<string, string>): http.IncomingMessage {
  return { headers } as unknown as http.IncomingMessage;
}

async function serve(handle: (req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer) => Promise<void>): Promise<string> {
  const server = http.createServer((req, res) => {
    const pieces: Buffer[] = [];
    req.on('data', (piece: Buffer) => pieces.push(piece));
    req.on('end', () => void handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'), Buffer.concat(pieces)));
  });
  await listen(server, 0, '127.0.0.1');
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('invokeHeaders', () => {
  test('X-Amz-Client-Context becomes the JSON it encodes; trace and tenant pass through', () => {
    const json = '{"custom":{"a":1}}';
    const options = invokeHeaders(
      request({ 'x-amz-client-context': Buffer.from(json).toString('base64'), 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793', 'x-amz-tenant-id': 'blue' }),
      'id-1',
    );
    expect(options).toEqual({ requestId: 'id-1', clientContext: json, traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793', tenantId: 'blue' });
  });

  test('no headers: only the request id', () => {
    expect(invokeHeaders(request({}), 'id-2')).toEqual({ requestId: 'id-2' });
  });

  test('a client context that is not base64 of JSON: undefined', () => {
    expect(invokeHeaders(request({ 'x-amz-client-context': NOT_JSON }), 'id-3')).toBeUndefined();
  });
});

describe('a client context that is not base64 of JSON is refused with 400', () => {
  test('Invoke: InvalidRequestContentException in the service wording', async () => {
    const api = new LambdaInvokeApi(untouchable, { functionName: 'orders', log: () => {} });
    const url = await serve((req, res, u, body) => api.handle(req, res, u, body));
    const res = await fetch(`${url}/2015-03-31/functions/orders/invocations`, { method: 'POST', body: '{}', headers: { 'X-Amz-Client-Context': NOT_JSON } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(await res.json()).toEqual({ Type: 'User', Message: 'Client context must be a valid Base64-encoded JSON object.' });
  });

  test('InvokeWithResponseStream: the same service error', async () => {
    const api = new InvokeWithResponseStreamApi(untouchable, { functionName: 'orders', log: () => {} });
    const url = await serve((req, res, u, body) => api.handle(req, res, u, body));
    const res = await fetch(`${url}/2021-11-15/functions/orders/response-streaming-invocations`, { method: 'POST', body: '{}', headers: { 'X-Amz-Client-Context': NOT_JSON } });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(await res.json()).toEqual({ Type: 'User', Message: 'Client context must be a valid Base64-encoded JSON object.' });
  });

  test("the RIE endpoint: its own error body", async () => {
    const endpoint = await InvokeEndpoint.start(untouchable, { port: 0, log: () => {} });
    closers.push(() => endpoint.close());
    const res = await fetch(`${endpoint.url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{}', headers: { 'X-Amz-Client-Context': NOT_JSON } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errorType: 'InvalidRequestContentException', errorMessage: 'X-Amz-Client-Context must be the base64 encoding of a JSON object' });
  });
});
