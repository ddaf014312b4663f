// Contract §6: process-level failures — uncaught exceptions, unhandled rejections, and a Runtime
// API that fails or is not there.
import { afterAll, describe, expect, test } from 'vitest';
import {
  TRANSPORTS,
  closedPort,
  describeOutcome,
  errorBody,
  fixturePath,
  isAlive,
  outputSettles,
  runDirect,
  startFunction,
  stopAll,
  textLines,
  waitUntil,
} from './harness.ts';

afterAll(stopAll);

describe.concurrent('uncaught exceptions and unhandled rejections', () => {
  test('uncaughtException during an invoke: logged, posted as its error, exit 129', async () => {
    const emulator = await startFunction('process-failures', 'uncaught-invoke.handler');
    const outcome = await emulator.invoke('{}', { requestId: 'uncaught' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('TypeError');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'TypeError', errorMessage: 'thrown from a timer during the invoke' });
    expect(await emulator.processExit()).toEqual({ code: 129, signal: null });
    const line = textLines(emulator.output).find((l) => l.message.startsWith('Uncaught Exception'));
    expect(line, emulator.output).toMatchObject({ level: 'ERROR', requestId: 'uncaught' });
  });

  test('uncaughtException during init: posted as the init error, exit 129', async () => {
    const emulator = await startFunction('process-failures', 'uncaught-init.handler');
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(errorBody(outcome)).toMatchObject({ errorType: 'ReferenceError', errorMessage: 'thrown from a timer during init' });
    expect(emulator.requests.some((r) => r.path === '/2018-06-01/runtime/init/error')).toBe(true);
    expect(await emulator.processExit()).toEqual({ code: 129, signal: null });
    expect(textLines(emulator.output).some((l) => l.message.startsWith('Uncaught Exception'))).toBe(true);
  });

  test('unhandledRejection of an Error: Runtime.UnhandledPromiseRejection with String(reason), exit 128', async () => {
    const emulator = await startFunction('process-failures', 'unhandled-rejection.handler');
    const outcome = await emulator.invoke('{}', { requestId: 'unhandled' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('Runtime.UnhandledPromiseRejection');
    expect(errorBody(outcome)).toMatchObject({
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'Error: nobody catches this',
    });
    expect(await emulator.processExit()).toEqual({ code: 128, signal: null });
    const line = textLines(emulator.output).find((l) => l.message.startsWith('Unhandled Promise Rejection'));
    expect(line, emulator.output).toMatchObject({ level: 'ERROR', requestId: 'unhandled' });
  });

  test('unhandledRejection of a string: the message is the string itself', async () => {
    const emulator = await startFunction('process-failures', 'unhandled-rejection-value.handler');
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(errorBody(outcome)).toMatchObject({
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'a bare string reason',
    });
    expect(await emulator.processExit()).toEqual({ code: 128, signal: null });
  });
});

describe.each(TRANSPORTS)('the Runtime API failing (transport %s)', (transport) => {
  test('/next answered 500: a clear message and a prompt non-zero exit', async () => {
    const emulator = await startFunction('process-failures', 'ok.handler', {}, { transport });
    emulator.injectFault('next', {
      kind: 'status',
      status: 500,
      body: '{"errorMessage":"State transition from Ready to InvocationErrorResponse failed","errorType":"Runtime.ContainerError"}',
    });
    const started = Date.now();
    await emulator.spawn();
    const exit = await emulator.processExit();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(emulator.output).toContain('500');
  });

  test('the Runtime API refusing connections: a clear message naming it and a non-zero exit', async () => {
    const port = await closedPort();
    const taskRoot = fixturePath('process-failures');
    const run = await runDirect(
      {
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
        _HANDLER: 'ok.handler',
        LAMBDA_TASK_ROOT: taskRoot,
        LAMBDA_BOOTSTRAP_TRANSPORT: transport,
      },
      taskRoot,
    );
    const output = run.stdout + run.stderr;
    expect(run.signal, output).toBeNull();
    expect(run.code).not.toBe(0);
    expect(run.durationMs).toBeLessThan(5_000);
    expect(output).toContain(`127.0.0.1:${port}`);
  });

  test.each([
    [400, '{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}', 'InvalidRequestID'],
    [403, '{"errorMessage":"Invalid state transition","errorType":"InvalidStateTransition"}', 'InvalidStateTransition'],
  ])('%i on a result post: logged, and the loop asks for the next event', async (status, body, errorType) => {
    const emulator = await startFunction('process-failures', 'ok.handler', {}, { transport, waitForInit: true });
    emulator.injectFault('response', { kind: 'status', status, body });
    const pending = emulator.invoke('{}', { requestId: `rejected-${status}` }).catch(() => undefined);
    const nexts = (): number => emulator.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/invocation/next')).length;
    await waitUntil(() => nexts() >= 2, 5_000, 'the second /next');
    expect(isAlive(emulator.pid)).toBe(true);
    await outputSettles(emulator, (o) => o.includes(errorType));
    const logged = textLines(emulator.output).map((l) => l.message).join('\n');
    expect(logged, emulator.output).toContain(String(status));
    expect(logged).toContain(errorType);
    await emulator.stop();
    await pending;
  });
});
