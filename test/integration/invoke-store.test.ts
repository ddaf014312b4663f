// AWS's InvokeStore (contract §1, issue 10 item 1; repro aws-sdk-invokestore): AWS SDK v3 send()
// runs its real middleware stack, which reads globalThis.awslambda.InvokeStore on every request,
// against a fake S3 served here on 127.0.0.1 and against a refused port. The function's own copy
// of @aws/lambda-invoke-store must find the runtime's store and see the invocation's fields.
// Dependencies come from test/fixtures/invoke-store/package-lock.json (global-setup.ts).
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../../emulator/index.ts';
import { installNpmFixture } from './global-setup.ts';
import { closedPort, describeOutcome, errorBody, startFunction, stopAll } from './harness.ts';

const LIST_BUCKETS =
  '<?xml version="1.0" encoding="UTF-8"?>\n' +
  '<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID><DisplayName>o</DisplayName></Owner>' +
  '<Buckets><Bucket><Name>alpha</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>' +
  '<Bucket><Name>beta</Name><CreationDate>2026-01-02T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>';

let s3: Server;
let endpoint: string;
const s3Requests: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  installNpmFixture('invoke-store');
  s3 = createServer((req, res) => {
    s3Requests.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/xml' }).end(LIST_BUCKETS));
  });
  await new Promise<void>((r) => s3.listen(0, '127.0.0.1', r));
  const address = s3.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await stopAll();
  await new Promise((r) => s3.close(r));
});

const TRACE_A = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const TRACE_B = 'Root=1-6759e988-cd862e3fe1be46a994272794;Parent=63995c3f42cd8ad8;Sampled=0';

describe('AWS SDK v3 send()', () => {
  test('the repro handler: the refused connection is the error, not "Cannot add property InvokeStore"', async () => {
    const emulator = await startFunction('invoke-store', 'index.handler', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    const body = errorBody(outcome);
    // AWS's client 4.0.2 on Node 24.21.0 answers exactly this (repro README).
    expect(body.errorType).toBe('Error');
    expect(body.errorMessage).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(body.trace[0]).toBe('Error: connect ECONNREFUSED 127.0.0.1:1');
  });

  test('a refused port chosen here: the same kind of error', async () => {
    const port = await closedPort();
    const emulator = await startFunction('invoke-store', 's3.handler', {}, { waitForInit: true });
    const outcome = await emulator.invoke(JSON.stringify({ endpoint: `http://127.0.0.1:${port}` }));
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome).errorMessage).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  test('against a fake S3: the parsed answer, and the request carries the invocation trace id read from the store', async () => {
    const emulator = await startFunction('invoke-store', 's3.handler', {}, { waitForInit: true });
    const before = s3Requests.length;
    const outcome = await emulator.invoke(JSON.stringify({ endpoint }), { traceId: TRACE_A });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ buckets: ['alpha', 'beta'] });
    const seen = s3Requests.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.url).toContain('x-id=ListBuckets');
    expect(seen[0]?.headers['x-amzn-trace-id']).toBe(TRACE_A);
  });

  test('Managed Instances: two concurrent send() calls each carry their own trace id (only the store has it)', async () => {
    const emulator = await startFunction('invoke-store', 's3.handler', {}, { maxConcurrency: 2, waitForInit: true });
    const before = s3Requests.length;
    const [a, b] = await Promise.all([
      emulator.invoke(JSON.stringify({ endpoint, prefix: 'a', delayMs: 200 }), { traceId: TRACE_A }),
      emulator.invoke(JSON.stringify({ endpoint, prefix: 'b' }), { traceId: TRACE_B }),
    ]);
    expect(a.kind, describeOutcome(a, emulator)).toBe('response');
    expect(b.kind, describeOutcome(b, emulator)).toBe('response');
    const seen = s3Requests.slice(before);
    const traceOf = (prefix: string): unknown => seen.find((r) => r.url.includes(`prefix=${prefix}`))?.headers['x-amzn-trace-id'];
    expect(seen).toHaveLength(2);
    expect(traceOf('a')).toBe(TRACE_A);
    expect(traceOf('b')).toBe(TRACE_B);
  });
});

// Issue 19 (4): a client context's `w3c` (AWS's v4 client, context-builder.ts extractAndStripW3c)
// becomes context.w3c() and the store's traceparent/tracestate/baggage, which @aws-sdk/core's
// recursion-detection middleware copies onto every request send() makes.
const W3C_A = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'congo=t61rcWkgMzE',
  baggage: 'userId=alice,serverNode=DF%2028',
};
const W3C_B = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' };

describe('W3C trace context from the client context', () => {
  test('send() carries the invocation\'s traceparent, tracestate and baggage; none without', async () => {
    const emulator = await startFunction('invoke-store', 's3.handler', {}, { waitForInit: true });
    const before = s3Requests.length;
    const traced = await emulator.invoke(JSON.stringify({ endpoint, prefix: 'traced' }), { clientContext: JSON.stringify({ custom: { a: 1 }, w3c: W3C_A }) });
    const plain = await emulator.invoke(JSON.stringify({ endpoint, prefix: 'plain' }), { clientContext: JSON.stringify({ custom: { a: 1 } }) });
    expect(traced.kind, describeOutcome(traced, emulator)).toBe('response');
    expect(plain.kind, describeOutcome(plain, emulator)).toBe('response');
    const seen = s3Requests.slice(before);
    const of = (prefix: string): IncomingHttpHeaders | undefined => seen.find((r) => r.url.includes(`prefix=${prefix}`))?.headers;
    expect(of('traced')).toMatchObject(W3C_A);
    expect(of('plain')?.traceparent, 'the next invocation carries none').toBeUndefined();
    expect(of('plain')?.baggage).toBeUndefined();
  });

  test('Managed Instances: two concurrent send() calls each carry their own traceparent', async () => {
    const emulator = await startFunction('invoke-store', 's3.handler', {}, { maxConcurrency: 2, waitForInit: true });
    const before = s3Requests.length;
    const [a, b] = await Promise.all([
      emulator.invoke(JSON.stringify({ endpoint, prefix: 'w3c-a', delayMs: 200 }), { clientContext: JSON.stringify({ w3c: W3C_A }) }),
      emulator.invoke(JSON.stringify({ endpoint, prefix: 'w3c-b' }), { clientContext: JSON.stringify({ w3c: W3C_B }) }),
    ]);
    expect(a.kind, describeOutcome(a, emulator)).toBe('response');
    expect(b.kind, describeOutcome(b, emulator)).toBe('response');
    const seen = s3Requests.slice(before);
    const of = (prefix: string): IncomingHttpHeaders | undefined => seen.find((r) => r.url.includes(`prefix=${prefix}`))?.headers;
    expect(of('w3c-a')).toMatchObject(W3C_A);
    expect(of('w3c-b')?.traceparent).toBe(W3C_B.traceparent);
    expect(of('w3c-b')?.tracestate).toBeUndefined();
  });

  test('context.w3c() is a frozen copy of the string fields; clientContext has no w3c; the store has the three keys', async () => {
    const emulator = await startFunction('invoke-store', 'probe.handler', {}, { waitForInit: true });
    const clientContext = JSON.stringify({ client: { appTitle: 't' }, custom: { k: 'v' }, w3c: { ...W3C_A, extra: 'dropped', baggage: W3C_A.baggage, n: 1 } });
    const traced = await emulator.invoke('{}', { clientContext });
    expect(traced.kind, describeOutcome(traced, emulator)).toBe('response');
    expect(traced.json()).toMatchObject({
      w3c: W3C_A,
      w3cFrozen: true,
      w3cSameEachCall: true,
      clientContext: { client: { appTitle: 't' }, custom: { k: 'v' } },
      traceparent: W3C_A.traceparent,
      tracestate: W3C_A.tracestate,
      baggage: W3C_A.baggage,
    });
    expect((traced.json() as { clientContext: Record<string, unknown> }).clientContext).not.toHaveProperty('w3c');
    // A w3c that is not an object is dropped all the same; nothing of it reaches the store.
    const odd = await emulator.invoke('{}', { clientContext: JSON.stringify({ w3c: 'traceparent' }) });
    expect(odd.json()).toMatchObject({ w3c: {}, w3cFrozen: true, clientContext: {}, traceparent: null, tracestate: null, baggage: null });
    const none = await emulator.invoke('{}');
    expect(none.json()).toMatchObject({ w3c: {}, w3cFrozen: true, clientContext: null, traceparent: null });
  });
});

describe('the store as a library sees it', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction('invoke-store', 'probe.handler', {}, { waitForInit: true });
  });

  test('awslambda is extensible, carries the store at init, and keeps what libraries write', async () => {
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toMatchObject({
      atInit: { awslambdaType: 'object', extensible: true, frozen: false, hasStore: true, streamify: 'function' },
      libraryField: 'written',
      sameStore: true,
      kind: 'single',
    });
  });

  test('request id, X-Ray trace id and tenant id under the protected keys, which cannot be overwritten', async () => {
    const outcome = await emulator.invoke('{}', { requestId: 'store-req-1', traceId: TRACE_A, tenantId: 'tenant-7' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toMatchObject({
      requestId: 'store-req-1',
      contextRequestId: 'store-req-1',
      xRayTraceId: TRACE_A,
      envTraceId: TRACE_A,
      tenantId: 'tenant-7',
      traceparent: null,
      custom: 'value-store-req-1',
      protectedWrite: 'Cannot modify protected Lambda context field: Symbol(_AWS_LAMBDA_REQUEST_ID)',
    });
  });

  test('the next invocation starts from a fresh context: no trace id, no tenant, no custom value carried over', async () => {
    const outcome = await emulator.invoke('{}', { requestId: 'store-req-2', omitTraceId: true });
    expect(outcome.json()).toMatchObject({ requestId: 'store-req-2', xRayTraceId: null, envTraceId: null, tenantId: null, custom: 'value-store-req-2' });
  });
});

test('Managed Instances: the AsyncLocalStorage kind, each concurrent invocation sees its own fields', async () => {
  const emulator = await startFunction('invoke-store', 'probe.handler', {}, { maxConcurrency: 2, waitForInit: true });
  const [a, b] = await Promise.all([
    emulator.invoke('{"delayMs":300}', { requestId: 'mi-a', traceId: TRACE_A, tenantId: 'ta' }),
    emulator.invoke('{"delayMs":20}', { requestId: 'mi-b', traceId: TRACE_B, tenantId: 'tb' }),
  ]);
  expect(a.json()).toMatchObject({ kind: 'multi (AsyncLocalStorage)', requestId: 'mi-a', xRayTraceId: TRACE_A, tenantId: 'ta', custom: 'value-mi-a', envTraceId: null });
  expect(b.json()).toMatchObject({ kind: 'multi (AsyncLocalStorage)', requestId: 'mi-b', xRayTraceId: TRACE_B, tenantId: 'tb', custom: 'value-mi-b' });
});

test('AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA=1: no awslambda global, and the function\'s store is its own', async () => {
  const emulator = await startFunction('invoke-store', 'probe.handler', { AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA: '1' }, { waitForInit: true });
  const outcome = await emulator.invoke('{}', { requestId: 'no-global' });
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  // As under AWS's client: the package then makes an unshared instance that has no invocation.
  expect(outcome.json()).toMatchObject({ atInit: { awslambdaType: 'undefined' }, sameStore: false, requestId: '-' });
});
