// Contract §4: the invocation — context, trace id, handler styles, completion rules.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../../emulator/index.ts';
import {
  TRANSPORTS,
  describeOutcome,
  errorBody,
  invokeOnce,
  outputSettles,
  startFunction,
  stopAll,
  textLines,
  waitUntil,
} from './harness.ts';

afterAll(stopAll);

const NODEJS_EXIT_MESSAGE =
  'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes';

const ALREADY_DONE_WARNING = 'Invocation has already been reported as done. Cannot call complete more than once per invocation.';

interface SeenContext {
  awsRequestId: string;
  invokedFunctionArn: string;
  functionName: string;
  functionVersion: string;
  memoryLimitInMB: unknown;
  logGroupName: string;
  logStreamName: string;
  identity: unknown;
  clientContextType: string;
  clientContext: unknown;
  tenantId: string | null;
  xRayTraceId: string | null;
  remainingTimeInMillis: number;
  measuredAt: number;
  callbackWaitsForEmptyEventLoop: unknown;
  contextMethods: string[];
  traceEnv: string | null;
  traceEnvPresent: boolean;
  event: unknown;
}

describe.each(TRANSPORTS)('context (transport %s)', (transport) => {
  let emulator: Emulator;
  const requestId = `ctx-${transport}-5d3f`;
  const traceId = 'Root=1-67891234-abcdef0123456789abcdef01;Parent=53995c3f42cd8ad8;Sampled=1';
  const arn = 'arn:aws:lambda:eu-west-1:210987654321:function:ctx-fn:live';
  const deadlineMs = Date.now() + 120_000;
  const identity = { cognitoIdentityId: 'eu-west-1:1111', cognitoIdentityPoolId: 'eu-west-1:pool' };
  const clientContext = { client: { installation_id: 'inst-1', app_title: 'app' }, custom: { k: 'v' }, env: { platform: 'linux' } };
  let seen: SeenContext;
  let invokedAt: number;

  beforeAll(async () => {
    emulator = await startFunction(
      'invocation',
      'context.handler',
      {
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/ctx-fn',
        AWS_LAMBDA_LOG_STREAM_NAME: '2025/01/02/[7]0123456789abcdef',
      },
      { transport, functionName: 'ctx-fn', functionVersion: '7', memorySizeMb: 256, timeoutMs: 120_000, waitForInit: true },
    );
    invokedAt = Date.now();
    const outcome = await emulator.invoke('{"order":42}', {
      requestId,
      traceId,
      invokedFunctionArn: arn,
      deadlineMs,
      cognitoIdentity: JSON.stringify(identity),
      clientContext: JSON.stringify(clientContext),
      tenantId: 'tenant-blue',
    });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    seen = outcome.json() as SeenContext;
  });

  test('the event is the parsed body', () => expect(seen.event).toEqual({ order: 42 }));
  test('awsRequestId', () => expect(seen.awsRequestId).toBe(requestId));
  test('invokedFunctionArn', () => expect(seen.invokedFunctionArn).toBe(arn));
  test('functionName and functionVersion from the environment', () => {
    expect([seen.functionName, seen.functionVersion]).toEqual(['ctx-fn', '7']);
  });
  test('memoryLimitInMB is the string from the environment', () => expect(seen.memoryLimitInMB).toBe('256'));
  test('logGroupName and logStreamName', () => {
    expect([seen.logGroupName, seen.logStreamName]).toEqual(['/aws/lambda/ctx-fn', '2025/01/02/[7]0123456789abcdef']);
  });
  test('identity from Lambda-Runtime-Cognito-Identity', () => expect(seen.identity).toEqual(identity));
  test('clientContext from Lambda-Runtime-Client-Context', () => expect(seen.clientContext).toEqual(clientContext));
  test('tenantId from Lambda-Runtime-Aws-Tenant-Id', () => expect(seen.tenantId).toBe('tenant-blue'));
  test('xRayTraceId is the trace header', () => expect(seen.xRayTraceId).toBe(traceId));
  test('_X_AMZN_TRACE_ID is set during the invoke', () => expect(seen.traceEnv).toBe(traceId));
  test('getRemainingTimeInMillis() = deadline - now', () => {
    const expected = deadlineMs - seen.measuredAt;
    expect(Math.abs(seen.remainingTimeInMillis - expected)).toBeLessThanOrEqual(5);
    expect(seen.measuredAt).toBeGreaterThanOrEqual(invokedAt - 5);
  });
  test('callbackWaitsForEmptyEventLoop defaults to true', () => expect(seen.callbackWaitsForEmptyEventLoop).toBe(true));
  test('done, succeed and fail are functions', () => expect(seen.contextMethods).toEqual(['function', 'function', 'function']));

  test('an invoke without client context, identity, tenant or trace: undefined fields, trace env deleted', async () => {
    const outcome = await emulator.invoke('{}', { omitTraceId: true });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const bare = outcome.json() as SeenContext;
    expect(bare.clientContextType).toBe('undefined');
    expect(bare.tenantId).toBeNull();
    expect(bare.traceEnvPresent).toBe(false);
  });
});

describe.concurrent('handler styles', () => {
  test('an async handler: its resolved value is the result', async () => {
    const { emulator, outcome } = await invokeOnce('invocation', 'async.handler', '{"n":21}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ doubled: 42 });
  });

  test('a synchronous one-parameter handler: its plain return value is the result', async () => {
    const { emulator, outcome } = await invokeOnce('invocation', 'sync-one-param.handler', '{"word":"lambda"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ upper: 'LAMBDA' });
  });

  test('a synchronous two-parameter handler: its plain return value is the result', async () => {
    const { emulator } = await invokeOnce('invocation', 'sync-two-params.handler', '{"a":2,"b":3}');
    const outcome = await emulator.invoke('{"a":40,"b":2}', { requestId: 'two-params-2' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ sum: 42, requestId: 'two-params-2' });
  });

  test('a synchronous handler returning nothing: null at once, without waiting for its pending timer', async () => {
    const emulator = await startFunction('invocation', 'sync-busy.handler', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.body.toString()).toBe('null');
    await waitUntil(() => emulator.output.includes('handler returned'), 2_000, 'the handler log line');
    // The result was posted while the timer was still pending: its line comes only later.
    expect(emulator.output).not.toContain('timer fired');
    await waitUntil(() => emulator.output.includes('timer fired'), 5_000, 'the timer log line');
  });

  test('callback style with callbackWaitsForEmptyEventLoop true: posted after the pending timer ran', async () => {
    const emulator = await startFunction('invocation', 'callback-waits.handler', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{}', { requestId: 'cb-waits' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ style: 'callback', waited: true });
    const post = emulator.requests.find((r) => r.path.endsWith('/cb-waits/response'));
    await waitUntil(() => emulator.output.includes('timer fired'), 2_000, 'the timer log line');
    const timerLine = textLines(emulator.output).find((l) => l.message === 'timer fired');
    expect(timerLine?.requestId).toBe('cb-waits');
    const postedAt = performance.timeOrigin + (post?.atMs ?? 0);
    expect(Date.parse(timerLine?.timestamp ?? '')).toBeLessThanOrEqual(postedAt + 2);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(250);
  });

  test('callback style with callbackWaitsForEmptyEventLoop false: posted at once, before the timer', async () => {
    const emulator = await startFunction('invocation', 'callback-no-wait.handler', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ style: 'callback', waited: false });
    expect(emulator.output).not.toContain('late timer fired');
    expect(outcome.durationMs).toBeLessThan(1_000);
  });

  test('callback(error): the error is posted at once', async () => {
    const emulator = await startFunction('invocation', 'callback-error.handler', {}, { waitForInit: true });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'TypeError', errorMessage: 'callback failed' });
    expect(outcome.durationMs).toBeLessThan(800);
  });
});

describe('context.done / succeed / fail', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction('invocation', 'context-methods.handler');
  });

  test('done(null, result) posts the result', async () => {
    const outcome = await emulator.invoke('{"use":"done-result"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ via: 'done' });
  });

  test('done(error) posts the error', async () => {
    const outcome = await emulator.invoke('{"use":"done-error"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'Error', errorMessage: 'done with error' });
  });

  test('succeed(result) posts the result', async () => {
    const outcome = await emulator.invoke('{"use":"succeed"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ via: 'succeed' });
  });

  test('fail(error) posts the error', async () => {
    const outcome = await emulator.invoke('{"use":"fail"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'Error', errorMessage: 'failed via fail' });
  });
});

describe('completion rules', () => {
  test('the first completion wins; later ones are ignored with a warning', async () => {
    const emulator = await startFunction('invocation', 'first-wins.handler');
    const outcome = await emulator.invoke('{}', { requestId: 'first-wins' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toBe('first');
    const second = await emulator.invoke('{}', { requestId: 'first-wins-again' });
    expect(second.json()).toBe('first');
    const results = emulator.requests.filter((r) => r.path.includes('/invocation/first-wins/'));
    expect(results.map((r) => r.path)).toEqual(['/2018-06-01/runtime/invocation/first-wins/response']);
    const isWarning = (l: { requestId: string; level: string }): boolean => l.requestId === 'first-wins' && l.level === 'WARN';
    await outputSettles(emulator, (o) => textLines(o).filter(isWarning).length >= 3);
    const warnings = textLines(emulator.output).filter(isWarning);
    // one per ignored completion: callback, succeed, fail (the official client's wording)
    expect(warnings.map((l) => l.message), emulator.output).toEqual(Array(3).fill(ALREADY_DONE_WARNING));
  });

  test('a promise that never settles with nothing pending: Runtime.NodeJsExit', async () => {
    const { emulator, outcome } = await invokeOnce('invocation', 'never-settles.handler');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('Runtime.NodeJsExit');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'Runtime.NodeJsExit', errorMessage: NODEJS_EXIT_MESSAGE });
  });
});

describe.each(TRANSPORTS)('events and request ids (transport %s)', (transport) => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction('invocation', 'echo.handler', {}, { transport });
  });

  test('a non-JSON event is an invocation error and the loop continues', async () => {
    const bad = await emulator.invoke('{"unterminated": ', { requestId: 'not-json' });
    expect(bad.kind, describeOutcome(bad, emulator)).toBe('error');
    const pid = emulator.pid;
    const good = await emulator.invoke('{"fine":true}', { requestId: 'json-again' });
    expect(good.kind, describeOutcome(good, emulator)).toBe('response');
    expect(good.json()).toEqual({ event: { fine: true }, requestId: 'json-again' });
    expect(emulator.pid).toBe(pid);
  });

  test('a request id with /, #, % and non-ASCII is URL-encoded in the result path', async () => {
    const requestId = 'req/1#frag%20é';
    const outcome = await emulator.invoke('{}', { requestId });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ event: {}, requestId });
    const paths = emulator.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    expect(paths).toContain(`/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/response`);
  });
});
