// The checkpoint server's own timers — a callback's timeout and its heartbeat timeout
// (CallbackManager in @aws/durable-execution-sdk-js-testing's checkpoint server: setTimeout of
// TimeoutSeconds / HeartbeatTimeoutSeconds × 1000) — run on the execution's clock
// (virtual-clock.ts), so that --skip-time and --time-scale treat them as they treat waits. The
// package has no option for this (its LocalDurableTestRunner's skipTime fakes the main thread's
// timers only), so the worker thread is started with a preamble that routes every timer of more
// than 0 ms to the main thread: it posts {type: 'LOCAL_TIMER', data: {op: 'set', id, ms}} (and
// 'clear') on the worker's port, and runs the timer's callback when the main thread posts
// {type: 'LOCAL_TIMER_FIRE', data: {id}} — on the same port as the API requests, so that it is
// served in order with them (a timeout fired before a wait's end is recorded before it). The
// server's own listener sees that message too and answers it with an error for no request, which
// the main thread drops (it has no requestId). A timer set while the worker serves a request is posted
// before that request's answer, on the same port, with no other answer between (the worker serves
// one message at a time and answers in the same turn), so the main thread gives it to the
// execution that request named. The package's own code runs unchanged.
import { pathToFileURL } from 'node:url';
import type { ClockTimer, VirtualClock } from './virtual-clock.ts';

/** The worker's entry (eval'd CommonJS): the timer routing, then the checkpoint server itself. */
export function workerPreamble(serverPath: string): string {
  return `
const { parentPort } = require('node:worker_threads');
const realSet = setTimeout;
const realClear = clearTimeout;
const routed = new Map();
let next = 1;
class RoutedTimer {
  constructor(id) { this.id = id; }
  ref() { return this; }
  unref() { return this; }
  hasRef() { return false; }
  refresh() { return this; }
  [Symbol.toPrimitive]() { return this.id; }
}
globalThis.setTimeout = function (fn, ms, ...args) {
  if (!(typeof ms === 'number' && ms > 0)) return realSet(fn, ms, ...args);
  const id = next++;
  routed.set(id, () => fn(...args));
  parentPort.postMessage({ type: 'LOCAL_TIMER', data: { op: 'set', id, ms } });
  return new RoutedTimer(id);
};
globalThis.clearTimeout = function (timer) {
  if (timer instanceof RoutedTimer) {
    if (routed.delete(timer.id)) parentPort.postMessage({ type: 'LOCAL_TIMER', data: { op: 'clear', id: timer.id } });
    return;
  }
  return realClear(timer);
};
parentPort.on('message', (message) => {
  if (message === null || typeof message !== 'object' || message.type !== 'LOCAL_TIMER_FIRE') return;
  const run = routed.get(message.data.id);
  routed.delete(message.data.id);
  if (run !== undefined) run();
});
import(${JSON.stringify(pathToFileURL(serverPath).href)});
`;
}

/** What an execution does with the checkpoint server's timers set on its behalf. */
export interface TimerSink {
  set(id: number, ms: number): void;
  clear(id: number): void;
}

/** The main thread's side: attributes each timer to an execution, and fires it when told. */
export class WorkerTimers {
  private readonly post: (message: unknown) => void;
  private readonly sinks = new Map<string, TimerSink>();
  /** Timers posted since the last answer: they belong to the request that answer is for. */
  private unattributed: Array<{ id: number; ms: number }> = [];
  private readonly owner = new Map<number, string>();

  /** `post` sends a message to the worker on the port its API requests use. */
  constructor(post: (message: unknown) => void) {
    this.post = post;
  }

  /** Routes the timers of execution `arn` to `sink` (until forget(arn)). */
  register(arn: string, sink: TimerSink): void {
    this.sinks.set(arn, sink);
  }

  /** Runs the timers of execution `arn` on its clock (virtual-clock.ts) until forget(arn): not
   * skippable, so scaled like waits under --time-scale and passed under --skip-time only when a
   * skipped wait reaches their due time. Each fires in the worker through fire(). */
  registerClock(arn: string, clock: VirtualClock): void {
    const routed = new Map<number, ClockTimer>();
    this.register(arn, {
      set: (id, ms) =>
        routed.set(
          id,
          clock.after(ms, false, () => {
            routed.delete(id);
            this.fire(id);
          }),
        ),
      clear: (id) => {
        routed.get(id)?.cancel();
        routed.delete(id);
      },
    });
  }

  forget(arn: string): void {
    this.sinks.delete(arn);
  }

  /** Runs timer `id` in the worker now. */
  fire(id: number): void {
    this.owner.delete(id);
    this.post({ type: 'LOCAL_TIMER_FIRE', data: { id } });
  }

  /** A LOCAL_TIMER message from the worker. */
  onTimerMessage(data: { op?: unknown; id?: unknown; ms?: unknown }): void {
    if (typeof data.id !== 'number') return;
    if (data.op === 'set' && typeof data.ms === 'number') this.unattributed.push({ id: data.id, ms: data.ms });
    if (data.op === 'clear') {
      const arn = this.owner.get(data.id);
      this.owner.delete(data.id);
      if (arn !== undefined) this.sinks.get(arn)?.clear(data.id);
      this.unattributed = this.unattributed.filter((t) => t.id !== data.id);
    }
  }

  /** The worker answered a request for execution `arn` (undefined: none known): the timers it set belong to it. */
  onAnswer(arn: string | undefined): void {
    const timers = this.unattributed;
    this.unattributed = [];
    for (const { id, ms } of timers) {
      const sink = arn === undefined ? undefined : this.sinks.get(arn);
      if (sink === undefined || arn === undefined) {
        // No execution to give it to: keep the package's own behaviour (real time).
        setTimeout(() => this.fire(id), ms).unref();
        continue;
      }
      this.owner.set(id, arn);
      sink.set(id, ms);
    }
  }
}

/** The execution a worker request is about: its DurableExecutionArn / executionId, or the one a CallbackId names. */
export function executionOfRequest(params: Record<string, unknown>): string | undefined {
  if (typeof params.DurableExecutionArn === 'string') return params.DurableExecutionArn;
  if (typeof params.executionId === 'string') return params.executionId;
  if (typeof params.CallbackId === 'string') {
    try {
      const data = JSON.parse(Buffer.from(params.CallbackId, 'base64').toString('utf8')) as { executionId?: unknown };
      return typeof data.executionId === 'string' ? data.executionId : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
