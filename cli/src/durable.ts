// `--durable`, `--skip-time`, `--time-scale` of invoke/serve/watch: the function has a durable
// configuration (as on Lambda), so an invoke starts a durable execution that the local service
// (emulator/durable/) checkpoints and replays; waits and retry delays end at once or run faster;
// `--execution-timeout` is the durable configuration's ExecutionTimeout; `--chained-function`
// registers another function context.invoke may call (emulator/durable/chained-invoke.ts).
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { DURABLE_SDK_MIN_NODE_MAJOR, checkpointServerMissing, parseTimeScale } from '../../emulator/index.ts';
import type { DurableSettings, EmulatorOptions } from '../../emulator/index.ts';
import { ToolError } from './build-binary.ts';
import { emulatorOptions } from './local-function.ts';
import type { FunctionFlags } from './local-function.ts';

/** Adds the durable options to a command that runs the function. */
export function durableOptions(command: Command): Command {
  return command
    .option('--durable', 'the function has a durable configuration: an invoke starts a durable execution, checkpointed and replayed by the local durable-execution service (docs/durable-functions.md); needs Node 22 or later for the tool, as AWS\'s durable SDK does')
    .option('--skip-time', 'with --durable: waits and retry delays end at once (as the testing SDK\'s skipTime)')
    .option('--time-scale <n>', 'with --durable: waits and retry delays run n times faster (86400: a day in a second)', (value: string) => {
      try {
        return parseTimeScale(value);
      } catch (error) {
        throw new InvalidArgumentError((error as Error).message);
      }
    })
    .option('--execution-timeout <seconds>', "with --durable: the durable configuration's ExecutionTimeout (1-31622400): an execution still running after it ends TIMED_OUT; timed on the --skip-time/--time-scale clock", (value: string) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 31_622_400) throw new InvalidArgumentError(`--execution-timeout must be a whole number of seconds from 1 to 31622400 (Lambda's DurableConfig.ExecutionTimeout range), got '${value}'`);
      return n;
    })
    .option(
      '--chained-function <name=dir[:module.export]>',
      'with --durable: another function context.invoke may call by that name, run beside this one as a plain invocation (same flags; handler default index.handler; repeatable)',
      (value: string, previous: ChainedFunction[] = []) => {
        try {
          return [...previous, parseChainedFunction(value)];
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      },
    );
}

/** One `--chained-function`: the name context.invoke uses, the folder, the handler. */
export interface ChainedFunction {
  name: string;
  dir: string;
  handler: string;
}

/** Parses `name=dir[:module.export]`; throws a sentence naming the flag. */
export function parseChainedFunction(text: string): ChainedFunction {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq);
  let dir = eq < 0 ? '' : text.slice(eq + 1);
  let handler = 'index.handler';
  const colon = dir.lastIndexOf(':');
  if (colon > 0 && /^[^/\\]+\.[^/\\.]+$/.test(dir.slice(colon + 1))) {
    handler = dir.slice(colon + 1);
    dir = dir.slice(0, colon);
  }
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(name) || dir === '') {
    throw new Error(`--chained-function takes NAME=FOLDER[:module.export] (NAME: the function name context.invoke uses, 1-64 letters, digits, - or _), got "${text}"`);
  }
  return { name, dir, handler };
}

/** The durable settings the options ask for, or undefined without --durable. Throws a ToolError for
 * --skip-time, --time-scale, --execution-timeout or --chained-function without --durable (they would do nothing). */
export function durableClockOf(options: Record<string, unknown>): DurableSettings | undefined {
  if (options.durable !== true) {
    if (options.skipTime === true || options.timeScale !== undefined) throw new ToolError('--skip-time and --time-scale apply to durable functions: add --durable');
    if (options.executionTimeout !== undefined) throw new ToolError('--execution-timeout applies to durable functions: add --durable');
    if (options.chainedFunction !== undefined) throw new ToolError('--chained-function applies to durable functions (context.invoke): add --durable');
    return undefined;
  }
  // Before anything starts or is printed (a server's address, a runtime's init).
  if (Number(process.versions.node.split('.')[0]) < DURABLE_SDK_MIN_NODE_MAJOR) throw new ToolError(checkpointServerMissing(process.versions.node));
  return { skipTime: options.skipTime === true, timeScale: options.timeScale as number | undefined, executionTimeout: options.executionTimeout as number | undefined };
}

/**
 * The `--chained-function` functions as the durable service starts them: the emulator options of
 * each folder with this command's flags (memory, timeout, env, layers, binary; not --inspect), its
 * handler and its name, `env` applied (the durable endpoint). Undefined when there are none.
 * Errors: ToolError for a folder that is not there, or a name given twice or equal to the function's.
 */
export function chainedFunctionsOf(
  options: Record<string, unknown>,
  flags: FunctionFlags,
  ownName: string,
  env: (vars: Record<string, string | undefined>) => Record<string, string | undefined>,
  log: (line: string) => void,
): Map<string, EmulatorOptions> | undefined {
  const specs = (options.chainedFunction as ChainedFunction[] | undefined) ?? [];
  if (specs.length === 0) return undefined;
  const out = new Map<string, EmulatorOptions>();
  const { inspect: _inspect, ...shared } = flags;
  for (const spec of specs) {
    if (spec.name === ownName || out.has(spec.name)) throw new ToolError(`--chained-function ${spec.name}: that name is already taken${spec.name === ownName ? ' by the function itself (context.invoke calls it as a durable execution)' : ''}`);
    const dir = resolve(spec.dir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ToolError(`--chained-function ${spec.name}: ${dir} is not a folder`);
    const config = emulatorOptions(dir, { ...shared, handler: spec.handler, functionName: spec.name }, 'stderr', { log });
    config.env = env(config.env ?? {});
    out.set(spec.name, config);
  }
  return out;
}
