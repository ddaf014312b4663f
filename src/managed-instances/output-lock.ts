// One log record at a time across the worker threads. Every thread writes its records straight to
// the same fd (stdout or Lambda's telemetry fd) with synchronous writes; a write to a pipe is only
// atomic up to PIPE_BUF (4 KiB) and a full pipe gives short writes that the writer finishes in a
// loop, so two threads could otherwise splice their bytes together: a broken line on stdout, and
// on the telemetry fd a frame whose length no longer matches, which corrupts every frame after it.
//
// Hand-written (no library does this): one Int32 in a SharedArrayBuffer, taken with
// compareExchange and waited on with Atomics.wait. A thread can be stopped while it holds the
// lock (worker.terminate, a worker running out of heap); the holder's id is kept in the cell so
// the main thread frees it when that worker exits, and a waiter that has waited LOCK_PATIENCE_MS
// writes anyway: a stuck lock costs interleaving, never a hung function.

const FREE = 0;
/** Longest a record waits for another thread's write before it is written regardless. */
const LOCK_PATIENCE_MS = 1_000;

/** The shared cell, created once by the main thread and handed to every worker. */
export function createOutputLock(): SharedArrayBuffer {
  return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
}

/**
 * Returns `exclusive(write)`, which runs `write` while no other thread holding the same `buffer`
 * runs its own. `owner` identifies this thread (its threadId; the cell stores owner + 1).
 */
export function outputLock(buffer: SharedArrayBuffer, owner: number): (write: () => void) => void {
  const cell = new Int32Array(buffer);
  const mine = owner + 1;
  return (write) => {
    const held = acquire(cell, mine);
    try {
      write();
    } finally {
      if (held) release(cell, mine);
    }
  };
}

/** After a worker thread has exited: frees the lock if it died holding it. */
export function releaseOutputLockOf(buffer: SharedArrayBuffer, owner: number): void {
  release(new Int32Array(buffer), owner + 1);
}

function acquire(cell: Int32Array, mine: number): boolean {
  let deadline: number | undefined;
  for (;;) {
    const holder = Atomics.compareExchange(cell, 0, FREE, mine);
    if (holder === FREE) return true;
    // A console call made while this thread writes (a getter in a logged object): no deadlock.
    if (holder === mine) return false;
    const now = Date.now();
    deadline ??= now + LOCK_PATIENCE_MS;
    if (now >= deadline) return false;
    Atomics.wait(cell, 0, holder, deadline - now);
  }
}

function release(cell: Int32Array, mine: number): void {
  if (Atomics.compareExchange(cell, 0, mine, FREE) === mine) Atomics.notify(cell, 0, 1);
}
