// The bounds of the local servers (local-server.ts, invoke-endpoint.ts, lambda-invoke-api.ts,
// http-front-door.ts) and of what the emulator remembers, in one place: how large a request body
// may be, and how much of past invocations is kept. `serve` and `watch` run all day against a
// function holding the developer's credentials; nothing a client sends may grow the process without
// limit, and nothing of an invocation outlives its answer beyond the small histories below.
import type http from 'node:http';

/** Lambda's request payload limit for a synchronous invoke (Lambda quotas; Invoke API reference:
 * "For synchronous invocations, the maximum payload size is 6 MB"), in bytes. */
export const MAX_SYNC_REQUEST_BYTES = 6_291_456;
/** Lambda's payload limit for an asynchronous (Event) invoke (Invoke API reference: "For
 * asynchronous invocations, the maximum payload size is 1 MB"; 256 KB before October 2025). */
export const MAX_EVENT_REQUEST_BYTES = 1_048_576;
/** The most of a request body a local server reads: the largest request any of its ways in can
 * accept (a front-door event carries the body as base64, so its raw body is smaller still). */
export const MAX_READ_BYTES = MAX_SYNC_REQUEST_BYTES;

/** Runtime API requests the emulator keeps in `Emulator.requests` (newest last): at most this many… */
export const REQUEST_HISTORY_COUNT = 128;
/** …and, beyond the newest REQUEST_HISTORY_MIN, at most this many body bytes (request and answer). */
export const REQUEST_HISTORY_BYTES = 8 * 1024 * 1024;
export const REQUEST_HISTORY_MIN = 8;
/** The last characters of the runtime's stdout, stderr and combined output the emulator keeps. */
export const OUTPUT_HISTORY_CHARS = 1024 * 1024;
/** Per invocation, the last bytes of its own log lines (the Invoke API's Tail returns 4 KB). */
export const INVOCATION_LOG_BYTES = 4096;
/** Answered invocations whose own log lines stay readable after their output completed. */
export const INVOCATION_LOG_HISTORY = 32;
/** Settled request ids remembered (a late result post for one gets the state machine's answer). */
export const SETTLED_ID_HISTORY = 1024;
/** Protocol violations remembered (the newest). */
export const VIOLATION_HISTORY = 100;
/** Event (asynchronous) invokes accepted and not yet finished; beyond it the Invoke API answers 429. */
export const MAX_PENDING_EVENTS = 64;

export type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'too-large'; receivedAtLeast: number } | { kind: 'aborted' };

/**
 * Reads a request body of at most `limit` bytes. A larger body is not read to its end: the caller
 * answers 413 with `Connection: close` (closeAfterAnswer), so a 200 MB upload costs nothing beyond
 * `limit`. A declared Content-Length above the limit is refused before any byte is read.
 * Never throws: a client that goes away mid-body is 'aborted'.
 */
export async function readBody(req: http.IncomingMessage, limit: number): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return { kind: 'too-large', receivedAtLeast: declared };
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > limit) return { kind: 'too-large', receivedAtLeast: length };
      chunks.push(chunk);
    }
  } catch {
    return { kind: 'aborted' };
  }
  if (!req.complete) return { kind: 'aborted' };
  return { kind: 'body', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) };
}

/** After the answer to a request whose body was not read to its end, the connection cannot carry
 * another request: mark the answer `Connection: close` before writing it, and drop the socket once
 * it is sent (the rest of the upload is never read). */
export function closeAfterAnswer(res: http.ServerResponse): void {
  res.shouldKeepAlive = false;
  res.once('finish', () => res.socket?.destroySoon());
}

/** An array kept to its newest `max` entries (oldest dropped first). */
export function keepNewest<T>(list: T[], max: number): void {
  if (list.length > max) list.splice(0, list.length - max);
}

/** A string kept to its last `max` UTF-16 units (the output histories). It is cut only once it
 * holds twice that, so that appending stays cheap (a cut copies the string). */
export function keepTail(text: string, max: number): string {
  return text.length > 2 * max ? text.slice(text.length - max) : text;
}
