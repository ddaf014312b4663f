// The checkpoint tokens of one durable execution, apart from the execution's driving (execution.ts)
// so that the rule they follow reads in one place.
// One invocation holds one live token at a time. A checkpoint must carry it; the answer carries the
// next one. A token from an earlier checkpoint or an earlier invocation is stale and refused
// (InvalidParameterValueException "Invalid Checkpoint Token", which the SDK treats as the end of
// that invocation), as the service does. GetDurableExecutionState is laxer: any token ever handed
// out for the execution reads its state.

/** The live token and every token handed out, for one execution. */
export class CheckpointTokens {
  private live: string | undefined;
  private readonly issued = new Set<string>();

  /** True when `token` is the one the next checkpoint must carry (false while none is live). */
  isLive(token: string): boolean {
    return this.live !== undefined && token === this.live;
  }

  /** True when `token` was ever handed out for this execution (GetDurableExecutionState's check). */
  isIssued(token: string): boolean {
    return this.issued.has(token);
  }

  /** Hands out `token` (an invocation's first, or the next one a checkpoint answer carries): the
   * only one the next checkpoint may use. */
  advance(token: string): void {
    this.live = token;
    this.issued.add(token);
  }

  /** No token is live any more (the invocation ended, or the execution did). Issued ones stay issued. */
  revoke(): void {
    this.live = undefined;
  }
}
