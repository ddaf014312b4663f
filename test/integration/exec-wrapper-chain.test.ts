// The wrapper flavour next to another layer's exec wrapper (issue 18): ADOT's and Datadog's layers
// ask for AWS_LAMBDA_EXEC_WRAPPER themselves, and Lambda runs only one. With
// AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-bootstrap-wrapper and LAMBDA_BOOTSTRAP_EXEC_WRAPPER naming the
// other, lambda-bootstrap's wrapper hands its command line to that one, which sets its environment
// and execs it. A stand-in of such a wrapper (test/fixtures/exec-wrapper-chain/layer-wrapper) adds
// a NODE_OPTIONS --require preload, as theirs do. Runs in every BOOTSTRAP_TARGET: it starts the
// wrapper layer itself (dist/wrapper-layer, `make layer-wrapper`).
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { Emulator } from '../../emulator/index.ts';
import { FIXTURES, WRAPPER_LAYER_DIR, describeOutcome, managedRuntimeCommand } from './harness.ts';

const FIXTURE = join(FIXTURES, 'exec-wrapper-chain');
const started: Emulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((e) => e.stop()));
});

async function start(chained: string): Promise<Emulator> {
  const { command, args, env } = managedRuntimeCommand();
  const emulator = await Emulator.start({
    command,
    args,
    handler: 'index.handler',
    taskRoot: FIXTURE,
    env: { ...env, LAMBDA_BOOTSTRAP_EXEC_WRAPPER: chained },
  });
  started.push(emulator);
  return emulator;
}

describe.concurrent('LAMBDA_BOOTSTRAP_EXEC_WRAPPER: another layer\'s exec wrapper chained after lambda-bootstrap\'s', () => {
  test('the other wrapper gets node, its flags and lambda-bootstrap\'s bundle; its preload runs; the function runs on lambda-bootstrap', async () => {
    const emulator = await start(join(FIXTURE, 'layer-wrapper'));
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const result = outcome.json() as { preload: { ran: boolean } | null; wrapperArgs: string; runtimeScript: string; chainVariable: string | null };
    const bundle = join(WRAPPER_LAYER_DIR, 'lambda-bootstrap', 'bootstrap.js');
    const args = result.wrapperArgs.split(' ');
    expect(args.at(-1)).toBe(bundle);
    expect(args).toContain('--expose-gc');
    expect(args).toContain('--max-http-header-size');
    expect(args[0]).toMatch(/node$/);
    expect(result.runtimeScript).toBe(bundle);
    expect(result.preload?.ran).toBe(true);
    // Used up by the chain: the function and its child processes do not see it.
    expect(result.chainVariable).toBe(null);
  });

  test('a chained wrapper that does not exist: init fails with the managed bootstrap\'s message and status 127', async () => {
    const missing = join(FIXTURE, 'no-such-wrapper');
    const emulator = await start(missing);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).not.toBe('response');
    expect(emulator.output).toContain(`${missing}: does not exist (LAMBDA_BOOTSTRAP_EXEC_WRAPPER)`);
    expect(outcome.exit?.code).toBe(127);
  });

  test('a chained wrapper that is not executable: status 126', async () => {
    const notExecutable = join(FIXTURE, 'preload.cjs');
    const emulator = await start(notExecutable);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).not.toBe('response');
    expect(emulator.output).toContain(`${notExecutable}: is not an executable (LAMBDA_BOOTSTRAP_EXEC_WRAPPER)`);
    expect(outcome.exit?.code).toBe(127 - 1);
  });
});
