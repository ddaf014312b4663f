// RuntimeApiClient over the node:http transport, with msw intercepting node:http: the calls' paths,
// headers and bodies, and how each Runtime API answer becomes a value.
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientContext } from '../../src/runtime-api/client-context.ts';
import { MalformedInvocationError, RuntimeApiClient, RuntimeApiError } from '../../src/runtime-api/runtime-api.ts';
import type { Invocation } from '../../src/runtime-api/runtime-api.ts';
import { createHttpTransport } from '../../src/runtime-api/transport-http.ts';
import type { StreamingTransport } from '../../src/runtime-api/transport.ts';

const API = '127.0.0.1:9001';
const BASE = `http://${API}/2018-06-01/runtime`;
const server = setupServer();
const noStreaming = (): StreamingTransport => {
  throw new Error('not used here');
};
// Created once msw is listening: the transport takes node:http's request function when it is made.
let client: RuntimeApiClient;

beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' });
  client = new RuntimeApiClient(createHttpTransport(API), noStreaming, API);
});
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Seen {
  url: string;
  headers: Headers;
  body: string;
}
function record(method: 'get' | 'post', url: string, response: () => Response): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http[method](url, async ({ request }) => {
      seen.push({ url: request.url, headers: request.headers, body: await request.text() });
      return response();
    }),
  );
  return seen;
}

describe('next()', () => {
  it('maps every /next header and keeps the body as bytes', async () => {
    record('get', `${BASE}/invocation/next`, () =>
      new HttpResponse('{"a":1}', {
        headers: {
          'Lambda-Runtime-Aws-Request-Id': 'req-1',
          'Lambda-Runtime-Deadline-Ms': '1700000000000',
          'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:1:function:f',
          'Lambda-Runtime-Trace-Id': 'Root=1-abc',
          'Lambda-Runtime-Client-Context': '{"custom":{}}',
          'Lambda-Runtime-Cognito-Identity': '{"cognitoIdentityId":"id"}',
          'Lambda-Runtime-Aws-Tenant-Id': 'tenant-7',
        },
      }),
    );
    const invocation = await client.next();
    expect(invocation).toEqual({
      requestId: 'req-1',
      invocationId: undefined,
      deadlineMs: 1700000000000,
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
      traceId: 'Root=1-abc',
      clientContext: { value: { custom: {} }, w3c: {} },
      cognitoIdentity: '{"cognitoIdentityId":"id"}',
      tenantId: 'tenant-7',
      body: Buffer.from('{"a":1}'),
    });
  });

  it('a 500 is an error value naming the address, status and body', async () => {
    record('get', `${BASE}/invocation/next`, () => HttpResponse.json({ errorType: 'X' }, { status: 500 }));
    const result = await client.next();
    expect(result).toBeInstanceOf(RuntimeApiError);
    expect((result as RuntimeApiError).status).toBe(500);
    expect((result as RuntimeApiError).message).toBe(
      `The Lambda Runtime API at ${API} answered GET /2018-06-01/runtime/invocation/next with 500 {"errorType":"X"}`,
    );
  });

  it('a response without a request id is an error value', async () => {
    record('get', `${BASE}/invocation/next`, () => new HttpResponse('{}', { headers: { 'Lambda-Runtime-Deadline-Ms': '1' } }));
    const result = await client.next();
    expect(result).toBeInstanceOf(MalformedInvocationError);
    expect((result as RuntimeApiError).message).toContain('without a Lambda-Runtime-Aws-Request-Id header');
    expect((result as MalformedInvocationError).platformMessage).toBe('Missing required headers: lambda-runtime-aws-request-id');
  });

  // AWS's v4 client, src/context/context-builder.ts: validateAndNormalizeHeaders, parseDeadline.
  it.each([
    [{ 'Lambda-Runtime-Aws-Request-Id': 'r' }, 'Missing required headers: lambda-runtime-deadline-ms'],
    [{}, 'Missing required headers: lambda-runtime-aws-request-id, lambda-runtime-deadline-ms'],
    [{ 'Lambda-Runtime-Aws-Request-Id': 'r', 'Lambda-Runtime-Deadline-Ms': 'soon' }, 'Invalid deadline timestamp'],
    [{ 'Lambda-Runtime-Aws-Request-Id': 'r', 'Lambda-Runtime-Deadline-Ms': '' }, 'Invalid deadline timestamp'],
  ])('headers %j: a MalformedInvocationError with AWS\'s message %s', async (headers, platformMessage) => {
    record('get', `${BASE}/invocation/next`, () => new HttpResponse('{}', { headers }));
    const result = await client.next();
    expect(result).toBeInstanceOf(MalformedInvocationError);
    expect((result as MalformedInvocationError).platformMessage).toBe(platformMessage);
    expect((result as RuntimeApiError).message).toContain(`Runtime.PlatformError: ${platformMessage}`);
  });

  it('the deadline is read as AWS reads it, parseInt(value, 10)', async () => {
    record('get', `${BASE}/invocation/next`, () =>
      new HttpResponse('{}', { headers: { 'Lambda-Runtime-Aws-Request-Id': 'r', 'Lambda-Runtime-Deadline-Ms': '1700000000000.9ms' } }),
    );
    expect(((await client.next()) as Invocation).deadlineMs).toBe(1700000000000);
  });

  it('Lambda-Runtime-Invocation-Id is kept; the client context loses its w3c, frozen apart', async () => {
    const w3c = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'a=1', baggage: 'k=v', other: 'x', n: 1 };
    record('get', `${BASE}/invocation/next`, () =>
      new HttpResponse('{}', {
        headers: {
          'Lambda-Runtime-Aws-Request-Id': 'r',
          'Lambda-Runtime-Deadline-Ms': '1',
          'Lambda-Runtime-Invocation-Id': 'attempt-2',
          'Lambda-Runtime-Client-Context': JSON.stringify({ custom: { a: 1 }, w3c }),
        },
      }),
    );
    const invocation = (await client.next()) as Invocation;
    expect(invocation.invocationId).toBe('attempt-2');
    const parsed = invocation.clientContext as ClientContext;
    expect(parsed.value).toEqual({ custom: { a: 1 } });
    expect(parsed.w3c).toEqual({ traceparent: w3c.traceparent, tracestate: 'a=1', baggage: 'k=v' });
    expect(Object.isFrozen(parsed.w3c)).toBe(true);
  });

  it('a network failure is an error value with status 0', async () => {
    server.use(http.get(`${BASE}/invocation/next`, () => HttpResponse.error()));
    const result = await client.next();
    expect(result).toBeInstanceOf(RuntimeApiError);
    expect((result as RuntimeApiError).status).toBe(0);
    expect((result as RuntimeApiError).message).toMatch(/^Cannot reach the Lambda Runtime API at 127\.0\.0\.1:9001: GET/);
  });
});

describe('results', () => {
  it('respond() posts JSON to the URL-encoded request id', async () => {
    const seen = record('post', `${BASE}/invocation/:id/response`, () => HttpResponse.json({ status: 'OK' }, { status: 202 }));
    expect(await client.respond({ requestId: 'a/b#c%', invocationId: undefined }, '{"ok":true}')).toEqual({ ok: true });
    expect(seen[0]!.url).toBe(`${BASE}/invocation/a%2Fb%23c%25/response`);
    expect(seen[0]!.headers.get('content-type')).toBe('application/json');
    expect(seen[0]!.headers.has('lambda-runtime-invocation-id'), 'no echo when /next gave none').toBe(false);
    expect(seen[0]!.body).toBe('{"ok":true}');
  });

  it('respond() and fail() echo the attempt\'s invocation id', async () => {
    const seen = record('post', `${BASE}/invocation/:id/:route`, () => HttpResponse.json({ status: 'OK' }, { status: 202 }));
    await client.respond({ requestId: 'r', invocationId: 'inv-1' }, '1');
    await client.fail({ requestId: 'r', invocationId: 'inv-2' }, { errorType: 'E', errorMessage: 'm', trace: [] });
    expect(seen.map((s) => s.headers.get('lambda-runtime-invocation-id'))).toEqual(['inv-1', 'inv-2']);
  });

  it('fail() sends the error type header and the error body', async () => {
    const seen = record('post', `${BASE}/invocation/:id/error`, () => HttpResponse.json({ status: 'OK' }, { status: 202 }));
    const body = { errorType: 'Function.Oops', errorMessage: 'no', trace: ['a', 'b'] };
    expect(await client.fail({ requestId: 'id-1', invocationId: undefined }, body)).toEqual({ ok: true });
    expect(seen[0]!.headers.get('lambda-runtime-function-error-type')).toBe('Function.Oops');
    expect(JSON.parse(seen[0]!.body)).toEqual(body);
  });

  it('initError() posts to /runtime/init/error', async () => {
    const seen = record('post', `${BASE}/init/error`, () => HttpResponse.json({ status: 'OK' }, { status: 202 }));
    const body = { errorType: 'Runtime.ImportModuleError', errorMessage: 'x', trace: [] };
    expect(await client.initError(body)).toEqual({ ok: true });
    expect(seen[0]!.headers.get('lambda-runtime-function-error-type')).toBe('Runtime.ImportModuleError');
  });

  it('a 413 comes back as an error value carrying the service body', async () => {
    const service = '{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}';
    record('post', `${BASE}/invocation/:id/response`, () => new HttpResponse(service, { status: 413 }));
    const result = await client.respond({ requestId: 'id', invocationId: undefined }, '"x"');
    expect(result).toBeInstanceOf(RuntimeApiError);
    expect((result as RuntimeApiError).status).toBe(413);
    expect((result as RuntimeApiError).responseBody).toBe(service);
  });

  it('registerExtension() registers a no-op extension by name and returns its identifier', async () => {
    const id = '2b4c1d6e-6a57-4a3c-9f0e-3c1f4b7a9d21';
    const seen = record('post', `http://${API}/2020-01-01/extension/register`, () =>
      HttpResponse.json({}, { status: 200, headers: { 'Lambda-Extension-Identifier': id } }),
    );
    expect(await client.registerExtension('lambda-bootstrap')).toEqual({ identifier: id });
    expect(seen[0]!.headers.get('lambda-extension-name')).toBe('lambda-bootstrap');
    expect(JSON.parse(seen[0]!.body)).toEqual({ events: [] });
  });

  it('registerExtension() without an identifier in the answer is an error', async () => {
    record('post', `http://${API}/2020-01-01/extension/register`, () => HttpResponse.json({}, { status: 200 }));
    const result = await client.registerExtension('lambda-bootstrap');
    expect(result).toBeInstanceOf(RuntimeApiError);
    expect((result as RuntimeApiError).message).toContain('Lambda-Extension-Identifier');
  });
});
