// Durable functions under both runtimes (issue 22): examples/durable-order runs against the local
// durable-execution service under dist/bootstrap and under AWS's own client (aws-lambda-ric 4.0.2
// as the managed nodejs24.x runtime starts it, runtimes.ts; BOOTSTRAP_TARGET=wrapper puts the
// wrapper flavour in dist/bootstrap's place), driven the same way through
// @aws-sdk/client-lambda; the result and the history's operations must be the same.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetDurableExecutionCommand, GetDurableExecutionHistoryCommand, InvokeCommand, LambdaClient, SendDurableExecutionCallbackSuccessCommand } from '@aws-sdk/client-lambda';
import type { Event } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { Emulator, LocalServer } from '../../emulator/index.ts';
import { closedPort } from '../integration/harness.ts';
import { REPO_ROOT } from './paths.ts';
import { MEMORY_SIZE_MB, RUNTIME_IDS, launch, managedNodePath, platformEnvironment } from './runtimes.ts';
import type { Launch, RuntimeId } from './runtimes.ts';

const EXAMPLE = join(REPO_ROOT, 'examples', 'durable-order');
const FUNCTION = 'durable-order';

interface Seen {
  result: unknown;
  operations: string[];
  invocations: number;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 1500; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function runWorkflow(runtime: RuntimeId): Promise<Seen> {
  if (!existsSync(join(EXAMPLE, 'node_modules', '.package-lock.json'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: EXAMPLE, stdio: 'inherit' });
  }
  const port = await closedPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const launched: Launch & { env?: Record<string, string> } = launch(runtime);
  const { command, args } = launched;
  const emulator = await Emulator.start({
    command,
    args,
    handler: 'index.handler',
    taskRoot: EXAMPLE,
    functionName: FUNCTION,
    memorySizeMb: MEMORY_SIZE_MB,
    env: {
      // BOOTSTRAP_TARGET=wrapper: the wrapper flavour's managed-runtime variables (harness.ts).
      ...launched.env,
      ...platformEnvironment(runtime),
      NODE_PATH: managedNodePath(mkdtempSync(join(tmpdir(), 'lambda-bootstrap-durable-parity-')), EXAMPLE),
      AWS_ENDPOINT_URL_LAMBDA: endpoint,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
  });
  const lines: string[] = [];
  const server = await LocalServer.start(emulator, { functionName: FUNCTION, port, durable: { skipTime: true }, log: (line) => lines.push(line) });
  try {
    const client = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const history = async (arn: string): Promise<Event[]> =>
      (await client.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: true }))).Events ?? [];
    const invoked = await client.send(
      new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: `order-${runtime}`, Payload: JSON.stringify({ orderId: 'order-7', items: ['a', 'b', 'c'] }) }),
    );
    const arn = invoked.DurableExecutionArn ?? '';
    // Answer once the callback's submitter step has succeeded too: an earlier answer may land
    // before or after it, which changes the history's interleaving but not the runtime's work.
    const submitted = (events: Event[]): boolean => {
      const at = events.findIndex((e) => e.EventType === 'CallbackStarted');
      return at >= 0 && events.slice(at).some((e) => e.EventType === 'StepSucceeded');
    };
    const started = await until(() => history(arn), submitted, `the callback (${runtime})`);
    const callbackId = started.find((e) => e.EventType === 'CallbackStarted')?.CallbackStartedDetails?.CallbackId ?? '';
    await client.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: callbackId, Result: Buffer.from('{"approvedBy":"carol"}') }));
    const done = await until(() => client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn })), (e) => e.Status !== 'RUNNING', `the end (${runtime})`);
    expect(done.Status, lines.join('\n')).toBe('SUCCEEDED');
    const events = await history(arn);
    const seen: Seen = {
      result: JSON.parse(done.Result ?? 'null'),
      operations: events.filter((e) => e.EventType !== 'InvocationCompleted').map((e) => `${e.EventType}${e.Name === undefined ? '' : ` ${e.Name}`}`),
      invocations: events.filter((e) => e.EventType === 'InvocationCompleted').length,
    };
    const named = runtime === 'ric' ? 'aws-lambda-ric' : process.env.BOOTSTRAP_TARGET === 'wrapper' ? 'the wrapper layer' : 'dist/bootstrap';
    console.log(`durable parity: ${named}: result ${JSON.stringify(seen.result)}; ${seen.invocations} invocations; history: ${seen.operations.join(', ')}`);
    return seen;
  } finally {
    await server.close();
    await emulator.stop();
  }
}

describe(`durable functions: ${process.env.BOOTSTRAP_TARGET === 'wrapper' ? 'the wrapper layer' : 'dist/bootstrap'} vs aws-lambda-ric 4.0.2 on the same local service`, () => {
  it('the order workflow ends with the same result and the same history', { timeout: 180_000 }, async () => {
    const [ours, ric] = [await runWorkflow(RUNTIME_IDS[0]!), await runWorkflow(RUNTIME_IDS[1]!)];
    expect(ours.result).toEqual({ orderId: 'order-7', reservation: { orderId: 'order-7', reserved: 3 }, approval: { approvedBy: 'carol' }, charge: { charged: true, attempt: 2 } });
    expect(ric.result).toEqual(ours.result);
    expect(ric.operations).toEqual(ours.operations);
    // How many invocations it took is timing, not the runtime: with --skip-time a wait may end
    // while the invocation that started it is still polling (the SDK then goes on in-process).
    expect(ric.invocations).toBeGreaterThanOrEqual(3);
    expect(ours.invocations).toBeGreaterThanOrEqual(3);
  });
});
