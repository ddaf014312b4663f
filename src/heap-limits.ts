// V8 sizes its heap from the machine, not from the function: without limits a 128 MB function
// can grow far past 128 MB before a full GC. The managed Node.js runtimes start node with
// --max-semi-space-size and --max-old-space-size derived from AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
// Our binary is a single executable: V8 reads these flags only when the isolate is created
// (v8.setFlagsFromString afterwards changes nothing, and command-line flags go to the script),
// but it does honour NODE_OPTIONS. So, once, at the very start, the process re-executes itself
// (same pid, via execve) with the flags in NODE_OPTIONS, then puts NODE_OPTIONS back as it was
// so that child processes of the handler do not inherit them.
// The re-exec costs a second Node start (~30 ms measured), so it happens only when V8's own
// limit would let the heap outgrow the function's memory; where the sandbox's RAM already
// matches the function (V8 then sizes itself below it), start-up pays nothing.
import { getHeapStatistics } from 'node:v8';

/** Set on the re-executed process; holds the caller's NODE_OPTIONS (possibly empty). */
export const ORIGINAL_NODE_OPTIONS = '_LAMBDA_BOOTSTRAP_ORIGINAL_NODE_OPTIONS';

/** The managed runtime's formula: new space = memory/10, split in two semi-spaces; old = the rest. */
export function heapFlags(memorySizeMb: string | undefined): string[] | undefined {
  if (memorySizeMb === undefined || !/^\d+$/.test(memorySizeMb)) return undefined;
  const memory = Number(memorySizeMb);
  if (memory < 64) return undefined;
  const newSpace = Math.floor(memory / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memory - newSpace}`];
}

export type HeapLimitsPlan =
  | { action: 'reexec'; nodeOptions: string; original: string }
  | { action: 'restore'; nodeOptions: string | undefined }
  | { action: 'none'; reason: string };

/** Decides what start-up must do, from the environment and V8's current heap limit in MB. */
export function planHeapLimits(env: Record<string, string | undefined>, heapLimitMb: number): HeapLimitsPlan {
  const original = env[ORIGINAL_NODE_OPTIONS];
  if (original !== undefined) return { action: 'restore', nodeOptions: original === '' ? undefined : original };
  const current = env.NODE_OPTIONS ?? '';
  // The user's own heap settings win, as they do with the managed runtime's NODE_OPTIONS.
  if (/--max-(old|semi)-space-size/.test(current)) return { action: 'none', reason: 'NODE_OPTIONS already sets heap limits' };
  const flags = heapFlags(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  if (!flags) return { action: 'none', reason: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE is not set to a size in MB' };
  if (heapLimitMb <= Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE)) return { action: 'none', reason: "V8's heap limit already fits the function's memory" };
  return { action: 'reexec', nodeOptions: [current, ...flags].filter(Boolean).join(' '), original: current };
}

/**
 * Call first thing at start-up, before any other work. Either returns (limits in place, or not
 * applicable) or replaces the process image and never returns.
 */
export function applyHeapLimits(): void {
  const plan = planHeapLimits(process.env, getHeapStatistics().heap_size_limit / 1024 / 1024);
  if (plan.action === 'restore') {
    delete process.env[ORIGINAL_NODE_OPTIONS];
    if (plan.nodeOptions === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = plan.nodeOptions;
    return;
  }
  if (plan.action === 'none' || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...process.argv.slice(2)], {
    ...process.env,
    NODE_OPTIONS: plan.nodeOptions,
    [ORIGINAL_NODE_OPTIONS]: plan.original,
  });
}
