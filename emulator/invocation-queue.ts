// Invocations waiting for the runtime, the runtime's /next long polls waiting for invocations,
// and the ones in flight. At most `capacity` are in flight at once (1 = Lambda's sequential mode,
// N = AWS_LAMBDA_MAX_CONCURRENCY).
import type { Invocation } from './invocation.ts';

interface Poller {
  signal: AbortSignal;
  resolve: (invocation: Invocation | undefined) => void;
}

export class InvocationQueue {
  readonly capacity: number;
  private readonly waiting: Invocation[] = [];
  private readonly pollers: Poller[] = [];
  private readonly inFlight = new Set<Invocation>();
  private held = false;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  enqueue(invocation: Invocation): void {
    this.waiting.push(invocation);
    this.pump();
  }

  /** Puts a delivered invocation back at the front (its delivery failed on the wire). */
  putBack(invocation: Invocation): void {
    this.inFlight.delete(invocation);
    invocation.state = 'queued';
    this.waiting.unshift(invocation);
    this.pump();
  }

  /** Removes a queued invocation that will not be delivered (its spawn failed). */
  remove(invocation: Invocation): void {
    const index = this.waiting.indexOf(invocation);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /** Frees the in-flight slot of a settled (or orphaned) invocation. */
  release(invocation: Invocation): void {
    if (this.inFlight.delete(invocation)) this.pump();
  }

  /** Empties the waiting list and returns what was in it. */
  takeWaiting(): Invocation[] {
    return this.waiting.splice(0);
  }

  waitingInvocations(): Invocation[] {
    return [...this.waiting];
  }

  inFlightInvocations(): Invocation[] {
    return [...this.inFlight];
  }

  /** While held, nothing is delivered (a process that reported an init error gets no events). */
  hold(held: boolean): void {
    this.held = held;
    this.pump();
  }

  /** A /next long poll: resolves with the invocation to deliver, or undefined when `signal` aborts. */
  poll(signal: AbortSignal): Promise<Invocation | undefined> {
    return new Promise((resolve) => {
      const poller: Poller = { signal, resolve };
      signal.addEventListener(
        'abort',
        () => {
          const index = this.pollers.indexOf(poller);
          if (index >= 0) this.pollers.splice(index, 1);
          resolve(undefined);
        },
        { once: true },
      );
      this.pollers.push(poller);
      this.pump();
    });
  }

  private pump(): void {
    while (!this.held && this.waiting.length > 0 && this.inFlight.size < this.capacity) {
      const poller = this.pollers.shift();
      if (poller === undefined) return;
      if (poller.signal.aborted) continue;
      const invocation = this.waiting.shift();
      if (invocation === undefined) return;
      invocation.state = 'in-flight';
      this.inFlight.add(invocation);
      poller.resolve(invocation);
    }
  }
}
