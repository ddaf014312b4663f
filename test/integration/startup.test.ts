// Contract §1: start-up environment and the awslambda global.
import { afterAll, describe, expect, test } from 'vitest';
import { TRANSPORTS, describeOutcome, fixturePath, invokeOnce, runDirect, stopAll } from './harness.ts';

afterAll(stopAll);

const FIXTURE = fixturePath('startup');

describe.concurrent('required environment', () => {
  test('missing AWS_LAMBDA_RUNTIME_API: a message naming the variable, non-zero exit', async () => {
    const run = await runDirect({ _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: FIXTURE }, FIXTURE);
    const output = run.stdout + run.stderr;
    expect(run.signal, output).toBeNull();
    expect(run.code).not.toBe(0);
    expect(output).toContain('AWS_LAMBDA_RUNTIME_API');
    expect(output).toContain('host:port');
    expect(output).not.toContain('basic_string');
    expect(run.durationMs).toBeLessThan(5_000);
  });

  test('missing _HANDLER: a message naming the variable, non-zero exit', async () => {
    const run = await runDirect({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9', LAMBDA_TASK_ROOT: FIXTURE }, FIXTURE);
    const output = run.stdout + run.stderr;
    expect(run.signal, output).toBeNull();
    expect(run.code).not.toBe(0);
    expect(output).toContain('_HANDLER');
    expect(output).toContain('index.handler');
    expect(output).not.toContain('basic_string');
    expect(run.durationMs).toBeLessThan(5_000);
  });
});

describe.concurrent('task root and globals', () => {
  test('LAMBDA_TASK_ROOT defaults to the current directory', async () => {
    const { emulator, outcome } = await invokeOnce('startup', 'index.handler', '{}', { LAMBDA_TASK_ROOT: undefined });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toMatchObject({ cwd: FIXTURE });
  });

  test('globalThis.awslambda has streamifyResponse and HttpResponseStream before user code runs', async () => {
    const { emulator, outcome } = await invokeOnce('startup', 'index.handler');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toMatchObject({
      seenAtLoad: { hasAwslambda: true, streamifyResponse: 'function', HttpResponseStream: 'function' },
    });
  });

  // Every built-in the runtime loads is evaluated at every cold start (node:http and node:crypto
  // cost ~5 and ~7 ms on the bench machine, bench/profile.ts): those only some functions need are
  // loaded where they are used (SnapStart, the SIGTERM extension, a packaged compile cache, --import).
  test('a plain start loads none of the built-ins only some functions need', async () => {
    const { emulator, outcome } = await invokeOnce('startup', 'index.handler');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const loaded = (outcome.json() as { builtinsAtLoad: string[] }).builtinsAtLoad;
    expect(loaded).toContain('net');
    const unneeded = ['http', 'https', '_http_client', 'crypto', 'v8', 'vm', 'sea', 'zlib', 'tls', 'worker_threads'];
    expect(loaded.filter((name) => unneeded.includes(name))).toEqual([]);
  });

  test.each(['1', 'true'])('AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA=%s leaves no awslambda global', async (value) => {
    const { emulator, outcome } = await invokeOnce('startup', 'index.handler', '{}', { AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA: value });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toMatchObject({
      seenAtLoad: { hasAwslambda: false, streamifyResponse: 'undefined', HttpResponseStream: 'undefined' },
    });
  });
});

describe.concurrent('LAMBDA_BOOTSTRAP_TRANSPORT', () => {
  // node:http's keep-alive Agent announces `Connection: keep-alive`; the net transport writes only
  // Host (HTTP/1.1 keeps the connection anyway), which shows the switch really changes the client
  // on the wire.
  test.each(TRANSPORTS)('%s is the client that talks to the Runtime API', async (transport) => {
    const { emulator, outcome } = await invokeOnce('startup', 'index.handler', '{}', {}, { transport });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const connection = new Set(emulator.requests.map((r) => r.headers.connection ?? '(none)'));
    expect([...connection]).toEqual([transport === 'http' ? 'keep-alive' : '(none)']);
  });

  test('an unknown transport: a message naming the variable and its values, non-zero exit', async () => {
    const run = await runDirect(
      { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9', _HANDLER: 'index.handler', LAMBDA_TASK_ROOT: FIXTURE, LAMBDA_BOOTSTRAP_TRANSPORT: 'carrier-pigeon' },
      FIXTURE,
    );
    const output = run.stdout + run.stderr;
    expect(run.code, output).not.toBe(0);
    expect(output).toContain('LAMBDA_BOOTSTRAP_TRANSPORT');
    expect(output).toContain('carrier-pigeon');
    expect(output).not.toContain('ECONNREFUSED');
  });
});
