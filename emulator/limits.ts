// The bounds of the local servers (invoke/: local-server.ts, invoke-endpoint.ts, lambda-invoke-api.ts,
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
/** Answered invocations whose output window is still open (waiting for the pipes to go quiet, up
 * to a second under steady output): past it the oldest closes at once, so a caller that invokes in a
 * tight loop holds a fixed number of windows, not as many as it can send in that second. */
export const ANSWERED_LOG_WINDOWS = 16;
/** Settled request ids remembered (a late result post for one gets the state machine's answer). */
export const SETTLED_ID_HISTORY = 1024;
/** Protocol violations remembered (the newest). */
export const VIOLATION_HISTORY = 100;
/** Event (asynchronous) invokes accepted and not yet finished; beyond it the Invoke API answers 429. */
export const MAX_PENDING_EVENTS = 64;

/** The most of an unwanted request body (too large, or refused) read and dropped so that the
 * client, still sending, gets its answer instead of a broken pipe; past it the connection is cut. */
export const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

export type BodyRead = { kind: 'body'; body: Buffer } | { kind: 'too-large'; receivedAtLeast: number } | { kind: 'aborted' };

/**
 * Reads a request body of at most `limit` bytes. Past the limit nothing more is kept: the rest of
 * the upload is read and dropped (discardBody) before this resolves 'too-large', so a 200 MB POST
 * costs nothing beyond `limit`, and the client, which reads only once it has sent everything, gets
 * the 413 (Node closes a connection whose request was not read to its end, and a client still
 * sending would see a broken pipe instead). A declared Content-Length above the limit is refused
 * before any byte is kept. Never throws: a client that goes away mid-body is 'aborted'.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > limit) {
      // Beyond what is worth draining: answered at once (Node then closes the connection).
      if (declared > MAX_DISCARD_BYTES) return resolve({ kind: 'too-large', receivedAtLeast: declared });
      return void discardBody(req).then(() => resolve({ kind: 'too-large', receivedAtLeast: declared }));
    }
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length <= limit) return void chunks.push(chunk);
      stop();
      chunks.length = 0;
      void discardBody(req).then(() => resolve({ kind: 'too-large', receivedAtLeast: length }));
    };
    const onEnd = (): void => {
      stop();
      resolve({ kind: 'body', body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) });
    };
    // 'close' before 'end': the client went away mid-body.
    const onClose = (): void => {
      stop();
      resolve({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.on('error', () => {});
  });
}

/** Reads and drops the rest of a request body nobody wants (a refused or too large request);
 * resolves once it has ended, so that the answer written then reaches a client that sends
 * everything before it reads, and the kept-alive connection stays in step. Past MAX_DISCARD_BYTES
 * reading stops and this resolves: the answer is written and Node closes the connection after it
 * (a client that reads while it sends, like curl, gets it); a socket still open 2 s later is cut. */
export function discardBody(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.readableEnded) return resolve();
    let dropped = 0;
    req.on('data', (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped <= MAX_DISCARD_BYTES) return;
      req.pause();
      setTimeout(() => req.socket.destroy(), 2_000).unref();
      resolve();
    });
    req.once('end', () => resolve());
    req.once('close', () => resolve());
    req.on('error', () => {});
    req.resume();
  });
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
