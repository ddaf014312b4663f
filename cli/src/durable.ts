// `--durable`, `--skip-time`, `--time-scale` of invoke/serve/watch: the function has a durable
// configuration (as on Lambda), so an invoke starts a durable execution that the local service
// (emulator/durable/) checkpoints and replays; waits and retry delays end at once or run faster;
// `--execution-timeout` is the durable configuration's ExecutionTimeout.
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { parseTimeScale } from '../../emulator/index.ts';
import type { DurableClock } from '../../emulator/index.ts';
import { ToolError } from './build-binary.ts';

/** Adds the durable options to a command that runs the function. */
export function durableOptions(command: Command): Command {
  return command
    .option('--durable', 'the function has a durable configuration: an invoke starts a durable execution, checkpointed and replayed by the local durable-execution service (docs/durable-functions.md)')
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
    });
}

/** The durable clock the options ask for, or undefined without --durable. Throws a ToolError for
 * --skip-time or --time-scale without --durable (they would do nothing). */
export function durableClockOf(options: Record<string, unknown>): DurableClock | undefined {
  if (options.durable !== true) {
    if (options.skipTime === true || options.timeScale !== undefined) throw new ToolError('--skip-time and --time-scale apply to durable functions: add --durable');
    if (options.executionTimeout !== undefined) throw new ToolError('--execution-timeout applies to durable functions: add --durable');
    return undefined;
  }
  return { skipTime: options.skipTime === true, timeScale: options.timeScale as number | undefined, executionTimeout: options.executionTimeout as number | undefined };
}
