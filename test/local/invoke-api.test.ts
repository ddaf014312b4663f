// The Lambda Invoke API of the local server, driven by AWS's own SDK client (InvokeCommand), with
// dist/bootstrap running real handlers (test/fixtures/local/app.mjs) behind it.
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import { startFunction, stopAll } from '../integration/harness.ts';

const servers: LocalServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

async function serve(handler: string, functionName = 'orders'): Promise<{ client: LambdaClient; server: LocalServer; logs: string[] }> {
  const emulator = await startFunction('local', handler, {}, { functionName });
  const logs: string[] = [];
  const server = await LocalServer.start(emulator, { functionName, port: 0, log: (line) => logs.push(line) });
  servers.push(server);
  const client = new LambdaClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { client, server, logs };
}

const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('utf8');
const tail = (logResult: string | undefined): string => Buffer.from(logResult ?? '', 'base64').toString('utf8');

describe('Invoke API (POST /2015-03-31/functions/{name}/invocations) through @aws-sdk/client-lambda', () => {
  it('RequestResponse with LogType Tail: 200, the payload, $LATEST, and the invocation log in X-Amz-Log-Result', async () => {
    const { client, server } = await serve('app.echo');
    const clientContext = Buffer.from(JSON.stringify({ custom: { tenant: 'acme' } })).toString('base64');
    const out = await client.send(
      new InvokeCommand({ FunctionName: 'orders', Payload: JSON.stringify({ id: 42 }), LogType: 'Tail', ClientContext: clientContext }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(JSON.parse(text(out.Payload))).toEqual({ event: { id: 42 }, functionName: 'orders', clientContext: { custom: { tenant: 'acme' } } });
    const log = tail(out.LogResult);
    const requestId = out.$metadata.requestId;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(log).toMatch(new RegExp(`^START RequestId: ${requestId} Version: \\$LATEST\\n`));
    expect(log).toContain(`\t${requestId}\tINFO\techo called with {"id":42}\n`);
    expect(log).toMatch(new RegExp(`END RequestId: ${requestId}\\nREPORT RequestId: ${requestId}\\tDuration: [\\d.]+ ms\\t.*\\n$`));
    // The same function by full ARN, partial ARN and name:qualifier.
    for (const name of ['arn:aws:lambda:us-east-1:123456789012:function:orders', '123456789012:function:orders', 'orders:$LATEST']) {
      const again = await client.send(new InvokeCommand({ FunctionName: name, Payload: '{"n":1}' }));
      expect(JSON.parse(text(again.Payload)).event, name).toEqual({ n: 1 });
      expect(again.LogResult).toBeUndefined();
    }
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('keeps only the last 4 KB of a long log', async () => {
    const { client } = await serve('app.chatty');
    const out = await client.send(new InvokeCommand({ FunctionName: 'orders', Payload: JSON.stringify({ lines: 200 }), LogType: 'Tail' }));
    const log = Buffer.from(out.LogResult ?? '', 'base64');
    expect(log.length).toBe(4096);
    const textLog = log.toString('utf8');
    expect(textLog).not.toContain('START RequestId');
    expect(textLog).toContain('line 0199 ');
    expect(textLog).not.toContain('line 0000 ');
    expect(textLog).toMatch(/REPORT RequestId: .*\n$/);
  });

  it('a function error: 200 with X-Amz-Function-Error Unhandled and the error body; its log line is in the tail', async () => {
    const { client } = await serve('app.fails');
    const out = await client.send(new InvokeCommand({ FunctionName: 'orders', Payload: '{}', LogType: 'Tail' }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = JSON.parse(text(out.Payload)) as { errorType: string; errorMessage: string; trace: string[] };
    expect(body.errorType).toBe('TypeError');
    expect(body.errorMessage).toBe('the order is missing an id');
    expect(tail(out.LogResult)).toContain('ERROR\tabout to fail');
  });

  it('Event → 202 and the function still runs; DryRun → 204 without running it', async () => {
    const { client, logs } = await serve('app.echo');
    const event = await client.send(new InvokeCommand({ FunctionName: 'orders', InvocationType: 'Event', Payload: '{"async":true}' }));
    expect(event.StatusCode).toBe(202);
    expect(text(event.Payload)).toBe('');
    await expect.poll(() => logs.filter((l) => l.startsWith('REPORT')).length, { timeout: 20_000 }).toBe(1);
    const dry = await client.send(new InvokeCommand({ FunctionName: 'orders', InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
    expect(logs.filter((l) => l.startsWith('REPORT')).length).toBe(1);
  });

  it('an unknown function or qualifier: ResourceNotFoundException with the service message, and the server keeps serving', async () => {
    const { client } = await serve('app.echo');
    const error = await client.send(new InvokeCommand({ FunctionName: 'nope', Payload: '{}' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).message).toBe('Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope');
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    const qualified = await client.send(new InvokeCommand({ FunctionName: 'orders', Qualifier: 'prod', Payload: '{}' })).catch((e: unknown) => e);
    expect((qualified as Error).message).toBe('Function not found: arn:aws:lambda:us-east-1:123456789012:function:orders:prod');
    const ok = await client.send(new InvokeCommand({ FunctionName: 'orders', Payload: '{"still":"up"}' }));
    expect(JSON.parse(text(ok.Payload)).event).toEqual({ still: 'up' });
  });

  it('requests the service would refuse get its status and error type, never a dropped connection', async () => {
    const { server } = await serve('app.echo');
    const post = (path: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${server.url}${path}`, { method: 'POST', body, headers });
    const notJson = await post('/2015-03-31/functions/orders/invocations', '{not json');
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(((await notJson.json()) as { Message: string }).Message).toMatch(/^Could not parse request body into json: /);
    const badType = await post('/2015-03-31/functions/orders/invocations', '{}', { 'X-Amz-Invocation-Type': 'Later' });
    expect(badType.status).toBe(400);
    expect(badType.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(((await badType.json()) as { Message: string }).Message).toBe(
      "1 validation error detected: Value 'Later' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]",
    );
    const tooBig = await post('/2015-03-31/functions/orders/invocations', JSON.stringify({ pad: 'x'.repeat(6_291_456) }));
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get('x-amzn-errortype')).toBe('RequestTooLargeException');
    const unknownOp = await fetch(`${server.url}/2015-03-31/functions/orders`);
    expect(unknownOp.status).toBe(404);
    expect(unknownOp.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    // The RIE endpoint on the same server still works.
    const rie = await post('/2015-03-31/functions/function/invocations', '{"via":"rie"}');
    expect(rie.status).toBe(200);
    expect(((await rie.json()) as { event: unknown }).event).toEqual({ via: 'rie' });
  });
});
