// Lambda's accepted ranges for the function settings the tool takes, refused with the message
// shape Lambda's API gives (CreateFunction / UpdateFunctionConfiguration ValidationException:
// "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member
// must have value greater than or equal to 128"), so a setting Lambda would refuse never runs locally.
import { InvalidArgumentError } from 'commander';

/** MemorySize, MB: 128-10240 (Lambda API reference, CreateFunction). */
export const MEMORY_MB = { min: 128, max: 10_240 } as const;
/** Timeout, seconds: 1-900 (Lambda API reference, CreateFunction). */
export const TIMEOUT_S = { min: 1, max: 900 } as const;

/**
 * A commander argument parser for a whole number in [min, max]. Errors: InvalidArgumentError
 * (commander prints it and the tool exits 2): not a whole number → `<flag> expects a whole number
 * of at least 1, got '<value>'`; out of range → Lambda's validation message for `field`.
 */
export function lambdaRange(flag: string, field: string, range: { min: number; max: number }, unit: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} expects a whole number of at least 1, got '${value}'`);
    if (n < range.min || n > range.max) {
      const bound = n < range.min ? `greater than or equal to ${range.min}` : `less than or equal to ${range.max}`;
      throw new InvalidArgumentError(
        `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have value ${bound} ` +
          `(Lambda accepts ${range.min}-${range.max} ${unit})`,
      );
    }
    return n;
  };
}
