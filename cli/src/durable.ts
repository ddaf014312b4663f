// `--durable`, `--skip-time`, `--time-scale` of invoke/serve/watch: the function has a durable
// configuration (as on Lambda), so an invoke starts a durable execution that the local service
// (emulator/durable/) checkpoints and replays; waits and retry delays end at once or run faster.
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
    });
}

/** The durable clock the options ask for, or undefined without --durable. Throws a ToolError for
 * --skip-time or --time-scale without --durable (they would do nothing). */
export function durableClockOf(options: Record<string, unknown>): DurableClock | undefined {
  if (options.durable !== true) {
    if (options.skipTime === true || options.timeScale !== undefined) throw new ToolError('--skip-time and --time-scale apply to durable functions: add --durable');
    return undefined;
  }
  return { skipTime: options.skipTime === true, timeScale: options.timeScale as number | undefined };
}
