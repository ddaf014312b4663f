// Command line for the emulator: serve an RIE-compatible invoke endpoint, or invoke once.
//   node emulator/cli.ts --handler index.handler --task-root examples/hello -- /path/to/bootstrap
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Emulator } from './emulator.ts';
import type { EmulatorOptions } from './emulator.ts';
import { invokeDurableOnce } from './durable/one-shot.ts';
import { durableFunctionEnv, endpointFor, freePort } from './durable/function-endpoint.ts';
import { parseTimeScale } from './durable/time-scale.ts';
import type { DurableClock } from './durable/time-scale.ts';
import { InvokeEndpoint } from './invoke/invoke-endpoint.ts';
import { LocalServer } from './invoke/local-server.ts';
import { invokeOnce } from './one-shot.ts';
import { shutdownLine } from './shutdown-line.ts';

const USAGE = `Usage: node emulator/cli.ts --handler <module.function> --task-root <dir> [options] -- <bootstrap> [args...]

Runs a Lambda custom runtime locally against an emulated Runtime API.

Options:
  --handler <name>        _HANDLER for the runtime (required)
  --task-root <dir>       LAMBDA_TASK_ROOT and working directory (required)
  --port <n>              invoke endpoint port (default 8080); POST /2015-03-31/functions/function/invocations
  --host <addr>           invoke endpoint address (default 127.0.0.1; beyond loopback, anyone on the
                          network can invoke the function with the credentials it runs with)
  --allowed-host <name>   a Host name clients may use besides localhost and IP addresses (repeatable;
                          .example.com for its subdomains too). Other Hosts, cross-site browser requests
                          and browsers' text/plain or form POSTs get 403 (see docs/emulator.md)
  --runtime-api-port <n>  Runtime API port (default: any free port)
  --memory <mb>           AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128), enforced: a runtime whose
                          resident memory exceeds it is killed (Runtime.OutOfMemory)
  --timeout <seconds>     invocation timeout (default 30)
  --init-timeout <s>      init timeout (default 10); then init is retried inside the first invoke
  --function-name <name>  AWS_LAMBDA_FUNCTION_NAME (default test-function)
  --max-concurrency <n>   AWS_LAMBDA_MAX_CONCURRENCY: invocations in flight at once
  --snap-start            SnapStart: AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, serve restore/next
                          and restore/error, restore as soon as init is done (docs/snapstart.md)
  --env K=V               extra environment variable (repeatable)
  --invoke <json>         one-shot: invoke once with this event, print the response, exit
  --event-file <file>     one-shot: like --invoke, with the event read from a file
  --durable               the function is durable: an invoke starts a durable execution, replayed by
                          the local durable-execution service on --port (docs/durable-functions.md)
  --skip-time             with --durable: waits and retry delays end at once
  --time-scale <n>        with --durable: waits and retry delays run n times faster
  -h, --help              show this help

One-shot mode prints the response body on stdout, and on stderr everything the runtime wrote for the
invocation (until it asked for the next one), the REPORT line, then what it wrote while shutting
down; it exits 0 when the function succeeded and 1 when it failed. Serve mode stops on Ctrl-C or
SIGTERM with Lambda's shutdown sequence: SIGTERM to the runtime when an extension is registered
(a SIGTERM listener makes dist/bootstrap register one), 500 ms, then SIGKILL.
See docs/emulator.md.`;

class UsageError extends Error {
  override name = 'UsageError';
}

interface CliConfig {
  emulator: EmulatorOptions;
  port: number;
  host: string;
  allowedHosts: string[];
  event: string | undefined;
  durable: DurableClock | undefined;
}

function parse(argv: string[]): CliConfig | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      handler: { type: 'string' },
      'task-root': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'allowed-host': { type: 'string', multiple: true },
      'runtime-api-port': { type: 'string' },
      memory: { type: 'string' },
      timeout: { type: 'string' },
      'init-timeout': { type: 'string' },
      'snap-start': { type: 'boolean' },
      'function-name': { type: 'string' },
      'max-concurrency': { type: 'string' },
      env: { type: 'string', multiple: true },
      invoke: { type: 'string' },
      'event-file': { type: 'string' },
      durable: { type: 'boolean' },
      'skip-time': { type: 'boolean' },
      'time-scale': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (values.handler === undefined) throw new UsageError('--handler is required (e.g. --handler index.handler)');
  if (values['task-root'] === undefined) throw new UsageError('--task-root is required (the folder holding the function code)');
  const [command, ...args] = positionals;
  if (command === undefined) throw new UsageError('the runtime to run is missing: put it after `--`, e.g. `-- dist/bootstrap`');
  if (values.invoke !== undefined && values['event-file'] !== undefined) {
    throw new UsageError('use either --invoke or --event-file, not both');
  }
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf('=');
    // The text is not echoed: a pair without a name may be a secret value whose name was forgotten.
    if (eq <= 0) throw new UsageError(`--env expects K=V: one --env ${eq === 0 ? 'has no name before its =' : 'has no ='} (its text is not printed: it may be a secret)`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  let event = values.invoke;
  if (values['event-file'] !== undefined) {
    try {
      event = readFileSync(values['event-file'], 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --event-file ${values['event-file']}: ${(error as Error).message}`);
    }
  }
  const options: EmulatorOptions = {
    command: resolve(command),
    args,
    handler: values.handler,
    taskRoot: resolve(values['task-root']),
    env,
    // Serve mode: the runtime's output, live, all on stderr (with the REPORT lines).
    echoOutput: event === undefined ? 'stderr' : false,
    enforceMemory: true,
  };
  if (values['snap-start'] === true) options.snapStart = true;
  if (values.memory !== undefined) options.memorySizeMb = number('--memory', values.memory);
  if (values.timeout !== undefined) options.timeoutMs = number('--timeout', values.timeout) * 1000;
  if (values['init-timeout'] !== undefined) options.initTimeoutMs = number('--init-timeout', values['init-timeout']) * 1000;
  if (values['function-name'] !== undefined) options.functionName = values['function-name'];
  if (values['max-concurrency'] !== undefined) options.maxConcurrency = number('--max-concurrency', values['max-concurrency']);
  if (values['runtime-api-port'] !== undefined) options.port = number('--runtime-api-port', values['runtime-api-port'], true);
  const port = values.port === undefined ? 8080 : number('--port', values.port, true);
  let durable: DurableClock | undefined;
  if (values.durable === true) {
    durable = { skipTime: values['skip-time'] === true };
    if (values['time-scale'] !== undefined) {
      try {
        durable.timeScale = parseTimeScale(values['time-scale']);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
  } else if (values['skip-time'] === true || values['time-scale'] !== undefined) {
    throw new UsageError('--skip-time and --time-scale apply to durable functions: add --durable');
  }
  return { emulator: options, port, event, host: values.host ?? '127.0.0.1', allowedHosts: values['allowed-host'] ?? [], durable };
}

function number(flag: string, text: string, zeroAllowed = false): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new UsageError(`${flag} expects a positive number, got '${text}'`);
  }
  return value;
}

async function serve(options: EmulatorOptions, port: number, host: string, allowedHosts: string[], durable: DurableClock | undefined): Promise<void> {
  let endpoint: { url: string; close(): Promise<void> };
  let emulator: Emulator;
  if (durable === undefined) {
    emulator = await Emulator.start(options);
    endpoint = await InvokeEndpoint.start(emulator, { port, host, allowedHosts });
  } else {
    // A durable function needs the Lambda API beside the invoke endpoint: the local server serves both.
    const listenPort = port === 0 ? await freePort(host) : port;
    emulator = await Emulator.start({ ...options, env: durableFunctionEnv(options.env ?? {}, endpointFor(host, listenPort)) });
    endpoint = await LocalServer.start(emulator, { functionName: options.functionName ?? 'test-function', port: listenPort, host, allowedHosts, durable });
  }
  process.stderr.write(
    `Runtime API on ${emulator.runtimeApi}; invoke with:\n` +
      `  curl -d '{}' ${endpoint.url}/2015-03-31/functions/function/invocations\n`,
  );
  let stopping = false;
  // Ctrl-C (the terminal signals the emulator's process group; the runtime has its own) and
  // SIGTERM both end the sandbox the way Lambda does, so a function's SIGTERM listener runs.
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      await endpoint.close();
      const result = await emulator.shutdown();
      process.stderr.write(`${shutdownLine('emulator', signal, result)}\n`);
      await emulator.stop();
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await emulator.spawn();
}

async function main(): Promise<void> {
  let config: CliConfig | 'help';
  try {
    config = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`emulator: ${(error as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (config === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    if (config.event !== undefined && config.durable !== undefined) process.exitCode = await invokeDurableOnce(config.emulator, config.event, config.durable);
    else if (config.event !== undefined) process.exitCode = await invokeOnce(config.emulator, config.event);
    else await serve(config.emulator, config.port, config.host, config.allowedHosts, config.durable);
  } catch (error) {
    process.stderr.write(`emulator: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

await main();
