// Runs a function when the event loop has nothing left to do, once per arm. This is how
// `callbackWaitsForEmptyEventLoop` works and how a handler that never settles is detected:
// the runtime's own idle sockets are unref'd, so 'beforeExit' fires exactly when user work is done.

export class EmptyEventLoop {
  #pending: (() => void) | undefined;

  constructor() {
    process.on('beforeExit', () => {
      const run = this.#pending;
      this.#pending = undefined;
      run?.();
    });
  }

  /** Replaces what runs when the loop next empties; undefined disarms. */
  arm(run: (() => void) | undefined): void {
    this.#pending = run;
  }
}
