// What each Managed Instances worker thread is started with besides its script: node's flags and
// its share of the heap.

/**
 * Flags a worker rejects (ERR_WORKER_INVALID_EXEC_ARGV: heap sizes and --expose-gc are the
 * process's, not a thread's); the same list AWS's client 4.x removes (WorkerManager
 * getFilteredExecArgv), which also covers the binary's --max-old-space-size-percentage.
 */
const PROCESS_WIDE_FLAGS = ['--expose-gc', '--max-semi-space-size', '--max-old-space-size'];

/** `execArgv` for a worker: this thread's node flags without the process-wide ones. */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  return execArgv.filter((arg) => !PROCESS_WIDE_FLAGS.some((flag) => arg.startsWith(flag)));
}

/**
 * Each worker's old-generation limit in MiB: the heap limit this process has (`heapLimitBytes`,
 * V8's heap_size_limit: what the binary's --max-old-space-size-percentage or the managed
 * runtime's --max-old-space-size gave one runtime process for the whole sandbox) shared evenly
 * among `workers`, so that together they fit the sandbox as one process would. At least 1 MiB.
 */
export function workerHeapLimitMb(heapLimitBytes: number, workers: number): number {
  return Math.max(1, Math.floor(heapLimitBytes / 1024 / 1024 / Math.max(1, workers)));
}

/**
 * Makes `megabytes` the old-generation limit of every isolate created from now on: the workers
 * (and any worker thread the function starts itself). V8's heap flags are process-wide and win
 * over a Worker's `resourceLimits` (measured on the pinned Node 24: a worker started with
 * maxOldGenerationSizeMb 100 under --max-old-space-size=1000 gets 1000), so without this every
 * worker could grow to the whole sandbox's heap, and the sandbox would be killed for its memory
 * instead of one worker failing with ERR_WORKER_OUT_OF_MEMORY. The main thread keeps the limit it
 * started with (its heap is configured already). Not part of V8's flag hash: code caches still match.
 */
export function limitFutureIsolates(megabytes: number): void {
  process.getBuiltinModule('node:v8').setFlagsFromString(`--max-old-space-size=${megabytes}`);
}
