// The local durable-execution service beyond the order workflow (issue 22): chained invokes
// (context.invoke), the execution timeout, paging of the history and of the list, the
// ExecutionPaused/ExecutionResumed events, and callback and heartbeat timeouts on the
// --skip-time clock. test/fixtures/durable/index.mjs (AWS's SDK, the project's pinned copy) runs
// under the suite's runtime build (dist/bootstrap, or the wrapper flavour) against the local server
// on 127.0.0.1, driven through @aws-sdk/client-lambda where the pinned client has the command and
// as that client would send it where it does not (Pause/Resume).
import {
  GetDurableExecutionCommand,
  GetDurableExecutionHistoryCommand,
  InvokeCommand,
  LambdaClient,
  ListDurableExecutionsByFunctionCommand,
  SendDurableExecutionCallbackHeartbeatCommand,
  StopDurableExecutionCommand,
} from '@aws-sdk/client-lambda';
import type { Event, GetDurableExecutionCommandOutput } from '@aws-sdk/client-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import type { EmulatorOptions } from '../../emulator/index.ts';
import type { DurableSettings } from '../../emulator/durable/durable-service.ts';
import { bootstrapCommand, closedPort, fixturePath, startFunction, stopAll } from './harness.ts';

const FUNCTION = 'durable-features';
const lines: string[] = [];
const servers: LocalServer[] = [];

/** A local server for the fixture with the given durable settings, and a client for it. */
async function serve(durable: DurableSettings): Promise<{ server: LocalServer; client: LambdaClient }> {
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const emulator = await startFunction(
    fixturePath('durable'),
    'index.handler',
    { AWS_ENDPOINT_URL_LAMBDA: endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    { functionName: FUNCTION },
  );
  const server = await LocalServer.start(emulator, { functionName: FUNCTION, port, durable, log: (line) => lines.push(line) });
  servers.push(server);
  return { server, client: new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }) };
}

afterAll(async () => {
  for (const server of servers) await server.close();
  await stopAll();
});

/** Polls until `done` holds; bounded so a stuck execution fails with what it last saw. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 1500; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}; last answer: ${JSON.stringify(last)}\n${lines.join('\n')}`);
}

async function run(client: LambdaClient, name: string, payload: unknown): Promise<{ arn: string; done: GetDurableExecutionCommandOutput }> {
  const invoked = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: name, Payload: JSON.stringify(payload) }));
  const arn = invoked.DurableExecutionArn ?? '';
  const done = await until(() => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => !['RUNNING', 'PAUSING', 'PAUSED'].includes(e.Status ?? ''), `the end of ${name}`);
  return { arn, done };
}

const historyOf = async (client: LambdaClient, arn: string): Promise<Event[]> =>
  (await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: true, MaxItems: 1000 }))).Events ?? [];

describe('chained invokes', () => {
  it('context.invoke of the function itself runs it as a durable execution of its own; another function fails with what to do', async () => {
    const { client } = await serve({ skipTime: true });
    const { arn, done } = await run(client, 'chain-1', { kind: 'chain', value: 21 });
    expect(done.Status, lines.join('\n')).toBe('SUCCEEDED');
    const result = JSON.parse(done.Result ?? 'null') as { child: unknown; other: { errorName: string; message: string } };
    expect(result.child).toEqual({ doubled: 42 });
    expect(result.other.errorName).toBe('InvokeError');
    expect(result.other.message).toMatch(
      /^Function not found: not-served-here\. The local durable service runs "durable-features": context\.invoke can call it \(by name or ARN, unqualified or \$LATEST\) and no other function\. Run the other function beside it with --chained-function not-served-here=<its folder>\[:<module\.export>\]/,
    );

    const events = await historyOf(client, arn);
    const started = events.filter((e) => e.EventType === 'ChainedInvokeStarted');
    expect(started.map((e) => e.Name)).toEqual(['call-self', 'call-other']);
    const self = started[0]?.ChainedInvokeStartedDetails;
    expect(self?.FunctionName).toBe(FUNCTION);
    expect(JSON.parse(self?.Input?.Payload ?? 'null')).toEqual({ kind: 'leaf', value: 21 });
    const childArn = self?.DurableExecutionArn ?? '';
    expect(childArn).toMatch(/^arn:aws:lambda:us-east-1:123456789012:function:durable-features:\$LATEST\/durable-execution\/invoke-[0-9a-f]{40}\/[0-9a-f-]{36}$/);
    const succeeded = events.find((e) => e.EventType === 'ChainedInvokeSucceeded');
    expect(JSON.parse(succeeded?.ChainedInvokeSucceededDetails?.Result?.Payload ?? 'null')).toEqual({ doubled: 42 });
    const failed = events.find((e) => e.EventType === 'ChainedInvokeFailed');
    expect(failed?.Name).toBe('call-other');
    expect(failed?.ChainedInvokeFailedDetails?.Error?.Payload?.ErrorType).toBe('ResourceNotFoundException');

    // The child is an execution of the same function, listed and readable as any other.
    const child = await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: childArn }));
    expect(child.Status).toBe('SUCCEEDED');
    expect(JSON.parse(child.Result ?? 'null')).toEqual({ doubled: 42 });
    expect(JSON.parse(child.InputPayload ?? 'null')).toEqual({ kind: 'leaf', value: 21 });
  });

  it('context.invoke of a function registered beside it (--chained-function) runs it plainly: its response is the result, its error the error', async () => {
    const runtime = bootstrapCommand();
    const pricing: EmulatorOptions = { command: runtime.command, args: runtime.args, handler: 'plain.handler', taskRoot: fixturePath('durable'), functionName: 'pricing', env: { ...runtime.env } };
    const { client } = await serve({ skipTime: true, chainedFunctions: new Map([['pricing', pricing]]) });
    const { arn, done } = await run(client, 'chain-plain-1', { kind: 'chain-plain' });
    expect(done.Status, lines.join('\n')).toBe('SUCCEEDED');
    const result = JSON.parse(done.Result ?? 'null') as { price: unknown; missing: { errorName: string; message: string } };
    expect(result.price).toEqual({ item: 'book', cents: 250, from: 'pricing' });
    expect(result.missing).toEqual({ errorName: 'InvokeError', message: 'no price for unknown' });
    const events = await historyOf(client, arn);
    const started = events.filter((e) => e.EventType === 'ChainedInvokeStarted').map((e) => e.ChainedInvokeStartedDetails);
    expect(started.map((d) => d?.FunctionName)).toEqual(['pricing', 'arn:aws:lambda:us-east-1:123456789012:function:pricing']);
    expect(started.every((d) => d?.DurableExecutionArn === undefined)).toBe(true);
    const failed = events.find((e) => e.EventType === 'ChainedInvokeFailed')?.ChainedInvokeFailedDetails?.Error?.Payload;
    expect(failed).toEqual({ ErrorType: 'TypeError', ErrorMessage: 'no price for unknown' });
    expect(lines.some((l) => l.startsWith('REPORT RequestId:'))).toBe(true);
  });
});

describe('the execution timeout', () => {
  it('an execution still running after ExecutionTimeout ends TIMED_OUT with an ExecutionTimedOut event; its day-long wait is cut short', async () => {
    const { client } = await serve({ skipTime: true, executionTimeout: 3600 });
    const { arn, done } = await run(client, 'too-long', { kind: 'long-wait' });
    expect(done.Status, lines.join('\n')).toBe('TIMED_OUT');
    expect(done.EndTimestamp).toBeInstanceOf(Date);
    const events = await historyOf(client, arn);
    const types = events.map((e) => e.EventType);
    expect(types[0]).toBe('ExecutionStarted');
    expect(events[0]?.ExecutionStartedDetails?.ExecutionTimeout).toBe(3600);
    // (The invocation that started the wait may end after the timeout: its InvocationCompleted can follow.)
    expect(types.filter((t) => t !== 'InvocationCompleted').at(-1)).toBe('ExecutionTimedOut');
    expect(types).toContain('WaitStarted');
    expect(types).not.toContain('WaitSucceeded');
    expect(types.filter((t) => t === 'ExecutionTimedOut')).toHaveLength(1);
    const listed = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: FUNCTION, Statuses: ['TIMED_OUT'] }));
    expect(listed.DurableExecutions?.map((e) => e.DurableExecutionArn)).toEqual([arn]);
  });

  it('an execution that ends within its ExecutionTimeout succeeds', async () => {
    const { client } = await serve({ skipTime: true, executionTimeout: 2 * 86_400 });
    const { done } = await run(client, 'in-time', { kind: 'long-wait' });
    expect(done.Status, lines.join('\n')).toBe('SUCCEEDED');
    expect(JSON.parse(done.Result ?? 'null')).toBe('waited a day');
  });
});

describe('paging', () => {
  it('GetDurableExecutionHistory pages with MaxItems and Marker → NextMarker, both ways; ListDurableExecutionsByFunction too', async () => {
    const { client } = await serve({ skipTime: true });
    const { arn, done } = await run(client, 'many-steps', { kind: 'steps', count: 12 });
    expect(done.Status).toBe('SUCCEEDED');
    const all = await historyOf(client, arn);
    expect(all.map((e) => e.EventId)).toEqual(all.map((_, i) => i + 1));
    expect(all.length).toBeGreaterThan(24);

    const read = async (reverse: boolean): Promise<{ ids: number[]; pages: number }> => {
      const ids: number[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const answer = await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, MaxItems: 5, Marker: marker, ReverseOrder: reverse }));
        expect(answer.Events?.length).toBeLessThanOrEqual(5);
        ids.push(...(answer.Events ?? []).map((e) => e.EventId ?? 0));
        marker = answer.NextMarker;
        pages++;
      } while (marker !== undefined);
      return { ids, pages };
    };
    const forward = await read(false);
    expect(forward.ids).toEqual(all.map((e) => e.EventId));
    expect(forward.pages).toBe(Math.ceil(all.length / 5));
    const backward = await read(true);
    expect(backward.ids).toEqual(all.map((e) => e.EventId).reverse());

    // The default page is 100 events; more than 1000 is refused; a marker not of this listing too.
    const big = client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, MaxItems: 1001 }));
    await expect(big).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    const bad = client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, Marker: 'not-a-marker' }));
    await expect(bad).rejects.toMatchObject({ name: 'InvalidParameterValueException', $metadata: { httpStatusCode: 400 } });

    // Without IncludeExecutionData the default is to include it (API reference); false leaves payloads out.
    const plain = await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn }));
    expect(plain.Events?.find((e) => e.EventType === 'StepSucceeded')?.StepSucceededDetails?.Result?.Payload).toBe('0');
    const compact = await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: false }));
    expect(compact.Events?.find((e) => e.EventType === 'StepSucceeded')?.StepSucceededDetails?.Result?.Payload).toBeUndefined();

    // The list: newest first by default, oldest first with ReverseOrder, two at a time.
    for (const name of ['list-a', 'list-b', 'list-c']) await run(client, name, { kind: 'steps', count: 1 });
    const names = async (reverse: boolean): Promise<string[]> => {
      const out: string[] = [];
      let marker: string | undefined;
      do {
        const answer = await client.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: FUNCTION, MaxItems: 2, Marker: marker, ReverseOrder: reverse }));
        expect(answer.DurableExecutions?.length).toBeLessThanOrEqual(2);
        out.push(...(answer.DurableExecutions ?? []).map((e) => e.DurableExecutionName ?? ''));
        marker = answer.NextMarker;
      } while (marker !== undefined);
      return out;
    };
    expect(await names(false)).toEqual(['list-c', 'list-b', 'list-a', 'many-steps']);
    expect(await names(true)).toEqual(['many-steps', 'list-a', 'list-b', 'list-c']);
  });
});

describe('pause and resume in the history', () => {
  it('records ExecutionPaused when the pause takes effect and ExecutionResumed on resume, with their details', async () => {
    const { server, client } = await serve({ skipTime: true });
    const invoked = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'paused-1', Payload: JSON.stringify({ kind: 'heartbeat' }) }));
    const arn = invoked.DurableExecutionArn ?? '';
    await until(() => historyOf(client, arn), (events) => events.some((e) => e.EventType === 'InvocationCompleted'), 'the first invocation to end');
    const path = `${server.url}/2025-12-01/durable-executions/${encodeURIComponent(arn)}`;
    const post = (action: string, body: unknown) => fetch(`${path}/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('pause', { Reason: 'investigating', ExecutionTimeoutPaused: true })).status).toBe(202);
    await until(() => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => (e.Status as string | undefined) === 'PAUSED', 'PAUSED');
    // GetDurableExecution's PauseDetails: the Reason only with execution data.
    const pauseDetails = async (include: boolean) => ((await (await fetch(`${path}?IncludeExecutionData=${include}`)).json()) as { PauseDetails?: Record<string, unknown> }).PauseDetails;
    expect(await pauseDetails(true)).toMatchObject({ ExecutionTimeoutPaused: true, Reason: 'investigating' });
    const withoutData = await pauseDetails(false);
    expect(withoutData).toMatchObject({ ExecutionTimeoutPaused: true });
    expect(withoutData?.Reason).toBeUndefined();
    expect((await post('resume', { Reason: 'all clear' })).status).toBe(202);

    // The pinned client's model predates these events (it drops their details): read them as sent.
    type Raw = { EventId: number; EventType: string; ExecutionPausedDetails?: Record<string, unknown>; ExecutionResumedDetails?: Record<string, unknown> };
    const raw = async (include: boolean): Promise<Raw[]> => ((await (await fetch(`${path}/history?IncludeExecutionData=${include}`)).json()) as { Events: Raw[] }).Events;
    const events = await raw(true);
    const paused = events.find((e) => e.EventType === 'ExecutionPaused');
    const resumed = events.find((e) => e.EventType === 'ExecutionResumed');
    expect(paused?.ExecutionPausedDetails, JSON.stringify(events)).toMatchObject({ ExecutionTimeoutPaused: true, Reason: { Payload: 'investigating' } });
    expect(typeof paused?.ExecutionPausedDetails?.PauseRequestTimestamp).toBe('number');
    expect(resumed?.ExecutionResumedDetails).toMatchObject({ Reason: { Payload: 'all clear' } });
    expect(typeof resumed?.ExecutionResumedDetails?.ResumeRequestTimestamp).toBe('number');
    expect((paused?.EventId ?? 0) < (resumed?.EventId ?? 0)).toBe(true);
    expect(events.map((e) => e.EventId)).toEqual(events.map((_, i) => i + 1));

    // Without execution data the reasons are left out.
    const compactPaused = (await raw(false)).find((e) => e.EventType === 'ExecutionPaused') as { ExecutionPausedDetails?: { Reason?: { Payload?: string } } } | undefined;
    expect(compactPaused?.ExecutionPausedDetails?.Reason?.Payload).toBeUndefined();

    // Stopped without an ErrorObject: STOPPED, and the ExecutionStopped event still has its (required) Error.
    const stopped = await client.send(new StopDurableExecutionCommand({ DurableExecutionArn: arn }));
    expect(stopped.StopTimestamp).toBeInstanceOf(Date);
    expect((await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }))).Status).toBe('STOPPED');
    const last = (await historyOf(client, arn)).filter((e) => e.EventType !== 'InvocationCompleted').at(-1);
    expect(last?.EventType).toBe('ExecutionStopped');
    expect(last?.ExecutionStoppedDetails?.Error).toEqual({});
  });
});

describe('callback and heartbeat timeouts on the execution clock', () => {
  it('--skip-time: a callback with a 1-hour timeout beside a skipped 1-day wait has timed out when the day is over', async () => {
    const { client } = await serve({ skipTime: true });
    const { arn, done } = await run(client, 'race-1', { kind: 'callback-beside-wait' });
    expect(done.Status, lines.join('\n')).toBe('SUCCEEDED');
    expect(JSON.parse(done.Result ?? 'null')).toBe('callback: Callback timed out');
    const events = await historyOf(client, arn);
    const types = events.map((e) => `${e.EventType} ${e.Name ?? ''}`.trim());
    // The timeout (1 h) came before the wait's end (1 day) on the execution's clock. (The callback
    // operation inside waitForCallback's context "approval" has no name of its own.)
    expect(types.indexOf('CallbackTimedOut'), types.join('\n')).toBeGreaterThan(-1);
    expect(types.indexOf('CallbackTimedOut')).toBeLessThan(types.indexOf('WaitSucceeded a-day'));
    expect(types).toContain('ContextFailed approval');
    const timedOut = events.find((e) => e.EventType === 'CallbackTimedOut');
    expect(timedOut?.CallbackTimedOutDetails?.Error?.Payload?.ErrorMessage).toBe('Callback timed out');
  });

  it('--time-scale: heartbeats keep a callback alive past its heartbeat timeout; without them it times out on heartbeat', async () => {
    // 30 minutes of heartbeat timeout at 900× is 2 s of real time; a heartbeat every 0.5 s for 3 s keeps it alive.
    const { client } = await serve({ timeScale: 900 });
    const invoked = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'beats-1', Payload: JSON.stringify({ kind: 'heartbeat' }) }));
    const arn = invoked.DurableExecutionArn ?? '';
    const started = await until(() => historyOf(client, arn), (events) => events.some((e) => e.EventType === 'CallbackStarted'), 'the callback');
    const startedDetails = started.find((e) => e.EventType === 'CallbackStarted')?.CallbackStartedDetails;
    expect(startedDetails?.HeartbeatTimeout).toBe(1800);
    expect(startedDetails?.Timeout).toBe(36_000);
    const callbackId = startedDetails?.CallbackId ?? '';
    const beganAt = Date.now();
    while (Date.now() - beganAt < 3000) {
      await client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: callbackId }));
      await new Promise((r) => setTimeout(r, 500));
    }
    expect((await historyOf(client, arn)).map((e) => e.EventType), lines.join('\n')).not.toContain('CallbackTimedOut');
    const done = await until(() => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => e.Status !== 'RUNNING', 'the end of beats-1');
    expect(done.Status).toBe('SUCCEEDED');
    expect(JSON.parse(done.Result ?? 'null')).toBe('callback: Callback timed out on heartbeat');
    const late = client.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: callbackId }));
    await expect(late).rejects.toMatchObject({ name: 'CallbackTimeoutException' });
  });
});
