// `invoke --durable`: one durable execution from start to end, as `lambda-bootstrap invoke` runs
// one ordinary invocation. The local server (with the durable service) listens on a free port of
// 127.0.0.1 for the time of the execution, so that the function's checkpoints reach it and
// callbacks can be sent to it (the log names the callback id and the endpoint). The result goes
// to stdout; the replays, the function's output and the history's operations to stderr.
import { Emulator } from '../emulator.ts';
import type { EmulatorOptions } from '../emulator.ts';
import { LocalServer } from '../invoke/local-server.ts';
import { durableFunctionEnv, endpointFor, freePort } from './function-endpoint.ts';
import type { DurableSettings } from './durable-service.ts';

/** Runs one execution of `event` (JSON text); resolves with the exit code: 0 SUCCEEDED, 1 otherwise. */
export async function invokeDurableOnce(options: EmulatorOptions, event: string, clock: DurableSettings, name?: string): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const port = await freePort();
  const endpoint = endpointFor('127.0.0.1', port);
  const emulator = await Emulator.start({ ...options, env: durableFunctionEnv(options.env ?? {}, endpoint), echoOutput: 'stderr' });
  let server: LocalServer | undefined;
  try {
    // Chained functions (--chained-function) reach the same service, as the function does.
    const chained = clock.chainedFunctions === undefined ? undefined : new Map([...clock.chainedFunctions].map(([name, config]) => [name, { ...config, env: durableFunctionEnv(config.env ?? {}, endpoint) }]));
    server = await LocalServer.start(emulator, { functionName: options.functionName ?? 'test-function', port, durable: { ...clock, chainedFunctions: chained }, log });
    log(`durable: the durable-execution API is on ${endpoint} (aws lambda ... --endpoint-url ${endpoint})`);
    const execution = await server.durable!.startExecution(name ?? `invoke-${Date.now()}`, event);
    await execution.done;
    for (const e of execution.history()) {
      if (e.EventType !== undefined) log(`durable: history: ${e.EventType}${typeof e.Name === 'string' ? ` ${e.Name}` : ''}`);
    }
    if (execution.status === 'SUCCEEDED') {
      process.stdout.write(`${execution.result ?? 'null'}\n`);
      return 0;
    }
    process.stdout.write(`${JSON.stringify({ status: execution.status, error: execution.error ?? null })}\n`);
    return 1;
  } finally {
    await server?.close();
    await emulator.stop();
  }
}
