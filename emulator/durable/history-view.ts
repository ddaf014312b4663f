// An execution's history as GetDurableExecutionHistory answers it. The checkpoint server
// (checkpoint-worker.ts) records the operations' events and numbers them; the service records a
// few of its own that the testing SDK's server has no notion of (ExecutionPaused,
// ExecutionResumed: Lambda API reference, Event, 2025-12-01) and fills details that server leaves
// empty (ExecutionStartedDetails.ExecutionTimeout, ChainedInvokeStartedDetails, the required
// ExecutionStoppedDetails.Error). So the events are
// merged in the order they happened and numbered again from 1, as the service numbers them.
// Paging (MaxItems, Marker → NextMarker) follows the API: MaxItems 0 or absent is 100, at most
// 1000; a marker is opaque to the caller, and here names the EventId the next page starts at.
import type { HistoryEvent } from './checkpoint-worker.ts';

/** An event the service itself recorded, placed after the checkpoint server's event `after`. */
export interface ServiceEvent {
  after: number;
  event: HistoryEvent;
}

/** Details the service fills into the checkpoint server's events (by operation id). */
export interface HistoryPatches {
  executionTimeout?: number;
  chainedInvokes: ReadonlyMap<string, { FunctionName: string; Payload?: string; DurableExecutionArn?: string }>;
}

/** The checkpoint server's events and the service's, in order, numbered 1…n. */
export function mergeHistory(workerEvents: readonly HistoryEvent[], serviceEvents: readonly ServiceEvent[], patches: HistoryPatches): HistoryEvent[] {
  const keyed: Array<{ key: number; seq: number; event: HistoryEvent }> = [];
  workerEvents.forEach((event, seq) => keyed.push({ key: event.EventId ?? 0, seq, event: patch(event, patches) }));
  serviceEvents.forEach((s, seq) => keyed.push({ key: s.after + 0.5, seq: workerEvents.length + seq, event: s.event }));
  keyed.sort((a, b) => a.key - b.key || a.seq - b.seq);
  return keyed.map(({ event }, index) => ({ ...event, EventId: index + 1 }));
}

function patch(event: HistoryEvent, patches: HistoryPatches): HistoryEvent {
  if (event.EventType === 'ExecutionStopped') {
    // ExecutionStoppedDetails.Error is required (API reference); a stop without an ErrorObject has an empty one.
    const details = (event.ExecutionStoppedDetails ?? {}) as Record<string, unknown>;
    if (details.Error === undefined) return { ...event, ExecutionStoppedDetails: { ...details, Error: {} } };
  }
  if (event.EventType === 'ExecutionStarted' && patches.executionTimeout !== undefined) {
    const details = (event.ExecutionStartedDetails ?? {}) as Record<string, unknown>;
    return { ...event, ExecutionStartedDetails: { ...details, ExecutionTimeout: patches.executionTimeout } };
  }
  if (event.EventType === 'ChainedInvokeStarted' && event.Id !== undefined) {
    const known = patches.chainedInvokes.get(event.Id);
    if (known === undefined) return event;
    return {
      ...event,
      ChainedInvokeStartedDetails: {
        FunctionName: known.FunctionName,
        Input: { Payload: known.Payload },
        ...(known.DurableExecutionArn === undefined ? {} : { DurableExecutionArn: known.DurableExecutionArn }),
      },
    };
  }
  return event;
}

/** A page request's bad part, as the service words it (the caller sends it as a 400). */
export class PageError extends Error {
  readonly type: 'ValidationException' | 'InvalidParameterValueException';
  constructor(type: 'ValidationException' | 'InvalidParameterValueException', message: string) {
    super(message);
    this.type = type;
  }
}

const DEFAULT_ITEMS = 100;
const MAX_ITEMS = 1000;

/** Reads MaxItems: absent or 0 → 100; 1…1000; anything else a ValidationException. */
export function maxItemsOf(raw: string | null): number {
  if (raw === null || raw === '') return DEFAULT_ITEMS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > MAX_ITEMS) {
    throw new PageError('ValidationException', `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value between 0 and ${MAX_ITEMS}`);
  }
  return n === 0 ? DEFAULT_ITEMS : n;
}

/** An opaque marker for position `at` of a listing of `kind`. */
export function markerFor(kind: string, at: number): string {
  return Buffer.from(JSON.stringify({ k: kind, at })).toString('base64url');
}

/** The position a marker names; a marker of another listing, or not one of ours, is refused. */
export function markerPosition(kind: string, marker: string | null): number | undefined {
  if (marker === null || marker === '') return undefined;
  try {
    const data = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as { k?: unknown; at?: unknown };
    if (data.k === kind && typeof data.at === 'number' && Number.isInteger(data.at)) return data.at;
  } catch {
    // falls through to the refusal
  }
  throw new PageError('InvalidParameterValueException', `Invalid Marker: pass the NextMarker of a previous ${kind === 'history' ? 'GetDurableExecutionHistory' : 'ListDurableExecutionsByFunction'} answer unchanged`);
}

/**
 * One page of `items` (already in answer order: positions ascending, or descending), each with a
 * stable position `positionOf`: the items from the marker's position on (an item deleted since
 * is skipped), at most `max`; NextMarker when more follow.
 */
export function page<T>(items: readonly T[], positionOf: (item: T) => number, kind: string, max: number, from: number | undefined, descending: boolean): { items: T[]; nextMarker?: string } {
  const start = from === undefined ? 0 : items.findIndex((item) => (descending ? positionOf(item) <= from : positionOf(item) >= from));
  if (start < 0) return { items: [] };
  const slice = items.slice(start, start + max);
  const next = items[start + max];
  return next === undefined ? { items: slice } : { items: slice, nextMarker: markerFor(kind, positionOf(next)) };
}
