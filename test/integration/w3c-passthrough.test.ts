// Issue 19 (4): a caller's client context carries `w3c` through the emulator's ways in (the Lambda
// Invoke API's X-Amz-Client-Context, as @aws-sdk/client-lambda sends it, and the RIE-compatible
// endpoint) to the Runtime API's Lambda-Runtime-Client-Context; the runtime (dist/bootstrap) then
// strips it from context.clientContext into context.w3c() and the InvokeStore.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, expect, test } from 'vitest';
import { InvokeEndpoint, LocalServer } from '../../emulator/index.ts';
import { startFunction, stopAll } from './harness.ts';

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers.splice(0)) await close();
  await stopAll();
});

const W3C = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'congo=t61rcWkgMzE', baggage: 'k=v' };
const CLIENT_CONTEXT = { custom: { tenant: 'acme' }, w3c: W3C };
const EXPECTED = { w3c: W3C, clientContext: { custom: { tenant: 'acme' } }, traceparent: W3C.traceparent };

test('the Lambda Invoke API (InvokeCommand ClientContext) passes w3c through', async () => {
  const emulator = await startFunction('runtime-api-faults', 'index.w3c', {}, { functionName: 'traced' });
  const server = await LocalServer.start(emulator, { functionName: 'traced', port: 0, log: () => {} });
  closers.push(() => server.close());
  const client = new LambdaClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' }, maxAttempts: 1 });
  const out = await client.send(
    new InvokeCommand({ FunctionName: 'traced', Payload: '{}', ClientContext: Buffer.from(JSON.stringify(CLIENT_CONTEXT)).toString('base64') }),
  );
  expect(out.FunctionError).toBeUndefined();
  expect(JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'))).toEqual(EXPECTED);
});

test('the RIE-compatible endpoint (X-Amz-Client-Context) passes w3c through', async () => {
  const emulator = await startFunction('runtime-api-faults', 'index.w3c');
  const endpoint = await InvokeEndpoint.start(emulator, { port: 0, log: () => {} });
  closers.push(() => endpoint.close());
  const res = await fetch(`${endpoint.url}/2015-03-31/functions/function/invocations`, {
    method: 'POST',
    body: '{}',
    headers: { 'X-Amz-Client-Context': Buffer.from(JSON.stringify(CLIENT_CONTEXT)).toString('base64') },
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual(EXPECTED);
});
