// Durable functions end to end (issue 22): examples/durable-order (AWS's
// @aws/durable-execution-sdk-js, pinned by the example's own package-lock.json) runs under the
// suite's runtime build against the local server's durable-execution service, driven only through
// @aws-sdk/client-lambda as a developer would: Invoke with DurableExecutionName, read the history,
// answer the callback with SendDurableExecutionCallbackSuccess, read the result.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CheckpointDurableExecutionCommand,
  GetDurableExecutionCommand,
  GetDurableExecutionHistoryCommand,
  InvokeCommand,
  LambdaClient,
  ListDurableExecutionsByFunctionCommand,
  SendDurableExecutionCallbackFailureCommand,
  SendDurableExecutionCallbackSuccessCommand,
  StopDurableExecutionCommand,
} from '@aws-sdk/client-lambda';
import type { Event } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import { REPO_ROOT, closedPort, startFunction, stopAll } from './harness.ts';

const EXAMPLE = join(REPO_ROOT, 'examples', 'durable-order');
const FUNCTION = 'durable-order';
const lines: string[] = [];
let server: LocalServer;
let client: LambdaClient;

/** The example's dependencies, exactly as its lock file pins them (needs the npm registry once). */
function installExample(): void {
  if (existsSync(join(EXAMPLE, 'node_modules', '.package-lock.json'))) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: EXAMPLE, stdio: 'inherit' });
}

/** Polls `read` until `done` holds on its answer: the execution moves on its own. Bounded so a stuck
 * execution fails the test with what it last saw rather than hanging it. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 1500; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}; last answer: ${JSON.stringify(last)}\n${lines.join('\n')}`);
}

const history = async (arn: string): Promise<Event[]> =>
  (await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: true }))).Events ?? [];

beforeAll(async () => {
  installExample();
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  // The SDK's default LambdaClient reads AWS_ENDPOINT_URL_LAMBDA: that is all the function needs.
  const emulator = await startFunction(
    EXAMPLE,
    'index.handler',
    { AWS_ENDPOINT_URL_LAMBDA: endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    { functionName: FUNCTION },
  );
  server = await LocalServer.start(emulator, { functionName: FUNCTION, port, durable: { skipTime: true }, log: (line) => lines.push(line) });
  client = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

/** A second local server for examples/durable-order/fulfilment.mjs (one function per server, as on Lambda). */
let fulfilmentServer: LocalServer | undefined;
async function startFulfilment(): Promise<{ client: LambdaClient }> {
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const emulator = await startFunction(
    EXAMPLE,
    'fulfilment.handler',
    { AWS_ENDPOINT_URL_LAMBDA: endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    { functionName: 'fulfilment' },
  );
  fulfilmentServer = await LocalServer.start(emulator, { functionName: 'fulfilment', port, durable: { timeScale: 86_400 }, log: (line) => lines.push(line) });
  return { client: new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }) };
}

afterAll(async () => {
  await fulfilmentServer?.close();
  await server?.close();
  await stopAll();
});

describe('durable functions against the local service', () => {
  it('runs the order workflow to its result: a step, a day-long wait, a callback, a retried step', async () => {
    const invoked = await client.send(
      new InvokeCommand({
        FunctionName: FUNCTION,
        InvocationType: 'Event',
        DurableExecutionName: 'order-42',
        Payload: JSON.stringify({ orderId: 'order-42', items: ['book', 'pen'] }),
      }),
    );
    expect(invoked.StatusCode).toBe(202);
    const arn = invoked.DurableExecutionArn ?? '';
    expect(arn).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:durable-order:\$LATEST\/durable-execution\/order-42\/[0-9a-f-]{36}$/);

    // The wait of a day ends at once (--skip-time); then the workflow waits for its approval.
    const started = await until(() => history(arn), (events) => events.some((e) => e.EventType === 'CallbackStarted'), 'the approval callback');
    const callbackId = started.find((e) => e.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId ?? '';
    expect(callbackId).not.toBe('');
    const running = await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
    expect(running.Status).toBe('RUNNING');

    await client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from(JSON.stringify({ approvedBy: 'alice' })) }));

    const done = await until(
      () => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })),
      (e) => e.Status !== 'RUNNING',
      'the end of the execution',
    );
    expect(done.Status, lines.join('\n')).toBe('SUCCEEDED');
    expect(JSON.parse(done.Result ?? 'null')).toEqual({
      orderId: 'order-42',
      reservation: { orderId: 'order-42', reserved: 2 },
      approval: { approvedBy: 'alice' },
      charge: { charged: true, attempt: 2 },
    });
    expect(done.DurableExecutionName).toBe('order-42');
    expect(done.EndTimestamp).toBeInstanceOf(Date);

    // Every operation is in the history, in order.
    const events = await history(arn);
    const named = events.filter((e) => e.Name !== undefined).map((e) => `${e.EventType} ${e.Name}`);
    expect(named).toEqual([
      'StepStarted reserve-stock',
      'StepSucceeded reserve-stock',
      'WaitStarted cool-off',
      'WaitSucceeded cool-off',
      ...named.filter((n) => n.endsWith(' approval')),
      'StepStarted charge-card',
      'StepFailed charge-card',
      ...named.slice(named.lastIndexOf('StepFailed charge-card') + 1),
    ]);
    const types = events.map((e) => e.EventType);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types).toContain('CallbackStarted');
    expect(types).toContain('CallbackSucceeded');
    expect(named.slice(-1)[0]).toBe('StepSucceeded charge-card');
    expect(types.filter((t) => t === 'ExecutionSucceeded')).toHaveLength(1);
    // One InvocationCompleted per invocation: the first, after the wait, after the callback, after the retry (at least).
    expect(types.filter((t) => t === 'InvocationCompleted').length).toBeGreaterThanOrEqual(3);
    const wait = events.find((e) => e.EventType === 'WaitStarted');
    expect(wait?.WaitStartedDetails?.Duration).toBe(86_400);
    const failed = events.find((e) => e.EventType === 'StepFailed');
    expect(failed?.StepFailedDetails?.Error?.Payload?.ErrorMessage).toBe('payment provider timed out');

    const listed = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: FUNCTION, Statuses: ['SUCCEEDED'] }));
    expect(listed.DurableExecutions?.map((e) => e.DurableExecutionArn)).toContain(arn);
    // Each replay is printed with its operations.
    expect(lines.some((l) => l.includes('durable: order-42: replay'))).toBe(true);
  });

  it('refuses a checkpoint with a stale token, as the service does (InvalidParameterValueException)', async () => {
    const invoked = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'order-stale', Payload: '{}' }));
    const arn = invoked.DurableExecutionArn ?? '';
    await until(() => history(arn), (events) => events.some((e) => e.EventType === 'CallbackStarted'), 'the approval callback');
    const stale = client.send(new CheckpointDurableExecutionCommand({ DurableExecutionArn: arn, CheckpointToken: 'not-a-token-of-this-invocation', Updates: [] }));
    await expect(stale).rejects.toMatchObject({ name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } });
    await expect(stale).rejects.toThrow(/^Invalid Checkpoint Token/);

    const stopped = await client.send(new StopDurableExecutionCommand({ DurableExecutionArn: arn, Error: { ErrorType: 'Cancelled', ErrorMessage: 'customer cancelled' } }));
    expect(stopped.StopTimestamp).toBeInstanceOf(Date);
    const after = await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
    expect(after.Status).toBe('STOPPED');
    const types = (await history(arn)).map((e) => e.EventType);
    expect(types).toContain('ExecutionStopped');
    const again = client.send(new StopDurableExecutionCommand({ DurableExecutionArn: arn }));
    await expect(again).rejects.toMatchObject({ name: 'ResourceConflictException', $metadata: { httpStatusCode: 409 } });

    // An ended execution can be deleted; then it is gone.
    // (DeleteDurableExecution is newer than the pinned @aws-sdk/client-lambda: sent as the SDK would.)
    const deleted = await fetch(`${server.url}/2025-12-01/durable-executions/${encodeURIComponent(arn)}`, { method: 'DELETE' });
    expect(deleted.status).toBe(202);
    expect(typeof ((await deleted.json()) as { DeletionRequestTimestamp?: unknown }).DeletionRequestTimestamp).toBe('number');
    await expect(client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('a synchronous invoke waits for the whole execution and answers with its result', async () => {
    const payload = JSON.stringify({ orderId: 'order-sync', items: ['cup'] });
    const pending = client.send(new InvokeCommand({ FunctionName: FUNCTION, DurableExecutionName: 'order-sync', Payload: payload }));
    const arn = await until(
      async () => (await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: FUNCTION, DurableExecutionName: 'order-sync' }))).DurableExecutions ?? [],
      (list) => list.length === 1,
      'the execution to be listed',
    ).then((list) => list[0]?.DurableExecutionArn ?? '');
    const started = await until(() => history(arn), (events) => events.some((e) => e.EventType === 'CallbackStarted'), 'the approval callback');
    const callbackId = started.find((e) => e.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId ?? '';
    await client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from('{"approvedBy":"bob"}') }));
    const answer = await pending;
    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBeUndefined();
    expect(answer.DurableExecutionArn).toBe(arn);
    const result = JSON.parse(Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8')) as { approval: unknown; charge: unknown };
    expect(result.approval).toEqual({ approvedBy: 'bob' });
    expect(result.charge).toEqual({ charged: true, attempt: 2 });

    // The same name with the same input is the same execution; with another input it is refused.
    const again = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'order-sync', Payload: payload }));
    expect(again.DurableExecutionArn).toBe(arn);
    const other = client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'order-sync', Payload: '{"orderId":"other"}' }));
    await expect(other).rejects.toMatchObject({ name: 'DurableExecutionAlreadyStartedException', $metadata: { httpStatusCode: 409 } });
  });

  it('a failed callback fails the execution with its error; a second answer is refused', async () => {
    const invoked = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'order-rejected', Payload: '{"orderId":"order-rejected"}' }));
    const arn = invoked.DurableExecutionArn ?? '';
    const started = await until(() => history(arn), (events) => events.some((e) => e.EventType === 'CallbackStarted'), 'the approval callback');
    const callbackId = started.find((e) => e.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId ?? '';
    await client.send(new SendDurableExecutionCallbackFailureCommand({ CallbackId: callbackId, Error: { ErrorType: 'Rejected', ErrorMessage: 'the manager said no' } }));
    const done = await until(() => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => e.Status !== 'RUNNING', 'the end of the execution');
    expect(done.Status).toBe('FAILED');
    expect(done.Error?.ErrorMessage).toBe('the manager said no');
    const types = (await history(arn)).map((e) => e.EventType);
    expect(types).toContain('CallbackFailed');
    expect(types).toContain('ExecutionFailed');
    const late = client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from('"yes after all"') }));
    await expect(late).rejects.toMatchObject({ name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } });
  });

  it('map, parallel and a child context run to their result; a failing step ends the execution with its error', async () => {
    const fulfil = await startFulfilment();
    const run = async (name: string, payload: unknown) => {
      const invoked = await fulfil.client.send(new InvokeCommand({ FunctionName: 'fulfilment', InvocationType: 'Event', DurableExecutionName: name, Payload: JSON.stringify(payload) }));
      const arn = invoked.DurableExecutionArn ?? '';
      const done = await until(() => fulfil.client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => e.Status !== 'RUNNING', `the end of ${name}`);
      const events = (await fulfil.client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn }))).Events ?? [];
      return { done, events };
    };
    const ok = await run('fulfil-1', { items: ['book', 'pen'] });
    expect(ok.done.Status).toBe('SUCCEEDED');
    expect(JSON.parse(ok.done.Result ?? 'null')).toEqual({
      picked: [
        { item: 'book', shelf: 'S1' },
        { item: 'pen', shelf: 'S2' },
      ],
      paperwork: ['label for 2 items', { lines: 2 }],
      shipment: { carrier: 'parcel-co', days: 2, booked: true },
    });
    const named = ok.events.map((e) => `${e.EventType} ${e.Name ?? ''}`.trim());
    for (const expected of ['ContextStarted pick', 'StepSucceeded pick-0', 'StepSucceeded pick-1', 'ContextSucceeded pick', 'ContextStarted paperwork', 'ContextSucceeded paperwork', 'ContextStarted shipping', 'WaitSucceeded pickup-window', 'StepSucceeded book', 'ContextSucceeded shipping']) {
      expect(named, named.join('\n')).toContain(expected);
    }

    const failed = await run('fulfil-2', { items: ['lamp'], address: 'nowhere' });
    expect(failed.done.Status).toBe('FAILED');
    expect(failed.done.Error?.ErrorMessage).toContain('the carrier refuses the address: nowhere');
    const types = failed.events.map((e) => `${e.EventType} ${e.Name ?? ''}`.trim());
    expect(types).toContain('StepFailed book');
    expect(types).toContain('ContextFailed shipping');
    expect(types.at(-1)).toBe('ExecutionFailed');
  });

  it('a paused execution is not replayed until it is resumed; then it runs to its end', async () => {
    const invoked = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'order-paused', Payload: '{"orderId":"order-paused"}' }));
    const arn = invoked.DurableExecutionArn ?? '';
    const started = await until(() => history(arn), (events) => events.some((e) => e.EventType === 'CallbackStarted'), 'the approval callback');
    const callbackId = started.find((e) => e.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId ?? '';
    // (Pause/ResumeDurableExecution are newer than the pinned @aws-sdk/client-lambda: sent as the SDK would.)
    const path = `${server.url}/2025-12-01/durable-executions/${encodeURIComponent(arn)}`;
    const post = (action: string, body: unknown) => fetch(`${path}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('pause', { Reason: 'investigating' })).status).toBe(202);
    // PAUSING while the invocation that started the callback is still in flight, then PAUSED.
    const first = await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
    expect(['PAUSING', 'PAUSED'], lines.join('\n')).toContain(first.Status);
    await until(() => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => (e.Status as string | undefined) === 'PAUSED', 'PAUSED');
    const invocations = (await history(arn)).filter((e) => e.EventType === 'InvocationCompleted').length;
    // The callback completes while paused (the service records it), but the function is not invoked.
    await client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from('{"approvedBy":"dave"}') }));
    const meanwhile = await history(arn);
    expect(meanwhile.map((e) => e.EventType), lines.join('\n')).toContain('CallbackSucceeded');
    expect(meanwhile.filter((e) => e.EventType === 'InvocationCompleted'), lines.join('\n')).toHaveLength(invocations);
    expect((await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }))).Status).toBe('PAUSED');

    expect((await post('resume', {})).status).toBe(202);
    const done = await until(() => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => e.Status === 'SUCCEEDED' || e.Status === 'FAILED', 'the end after resume');
    expect(done.Status).toBe('SUCCEEDED');
    expect((JSON.parse(done.Result ?? 'null') as { approval: unknown }).approval).toEqual({ approvedBy: 'dave' });
    // Resuming what is not paused is refused.
    const again = await post('resume', {});
    expect(again.status).toBe(409);
    expect(again.headers.get('x-amzn-errortype')).toBe('ResourceConflictException');
  });

  it('answers for an unknown execution with ResourceNotFoundException', async () => {
    const missing = client.send(new GetDurableExecutionCommand({ DurableExecutionArn: `arn:aws:lambda:us-east-1:123456789012:function:${FUNCTION}:$LATEST/durable-execution/nope/x` }));
    await expect(missing).rejects.toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });
});
