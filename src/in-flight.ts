// The invocations this process is running, and whether its loops still take new ones. A fatal
// error stops new work but lets the others in flight finish (Managed Instances runs several).

export class InFlight {
  readonly #requestIds = new Set<string>();
  #accepting = true;
  #onIdle: (() => void) | undefined;

  get accepting(): boolean {
    return this.#accepting;
  }

  /** Whether this invocation is still running (its result not yet reported). */
  has(requestId: string): boolean {
    return this.#requestIds.has(requestId);
  }

  begin(requestId: string): void {
    this.#requestIds.add(requestId);
  }

  end(requestId: string): void {
    this.#requestIds.delete(requestId);
    if (this.#requestIds.size === 0) this.#onIdle?.();
  }

  /** Stops taking work; resolves once every invocation but `abandoned` has ended. */
  drain(abandoned: string | undefined): Promise<void> {
    this.#accepting = false;
    if (abandoned !== undefined) this.#requestIds.delete(abandoned);
    if (this.#requestIds.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onIdle = resolve;
    });
  }
}
