// An incremental HTTP/1.1 response parser for the net transport: fed whatever the socket delivers
// (one byte or a whole response at a time), it finds the status, the headers and the body, framed
// by Content-Length, by chunked transfer coding (extensions and trailers ignored) or by the close
// of the connection. Header values are decoded as UTF-8 (the Runtime API's request ids and client
// context are UTF-8), and a repeated header keeps each value, in order, in an array.

import type { HeaderMap, TransportResponse } from './transport.ts';

/** Bytes allowed for the status line and headers together, and for each chunk header/trailer section. */
export const MAX_HEAD_BYTES = 64 * 1024;

/** The bytes received are not an HTTP/1.x response. */
export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
}

/** After a push: more bytes needed, a complete response, or why the bytes make no sense. */
export type ParseProgress = 'incomplete' | 'complete' | MalformedResponseError;

type State = 'head' | 'fixed' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'complete';

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const EMPTY = Buffer.alloc(0);
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d{1,15}$/;
// 13 hex digits stay below 2^53, so the size is an exact number.
const HEX = /^[0-9A-Fa-f]{1,13}$/;

export class ResponseParser {
  #state: State = 'head';
  // The head so far when it spans packets, and how much of "\r\n\r\n" it ends with (0-3).
  #headParts: Buffer[] = [];
  #headLength = 0;
  #headMatched = 0;
  #status = 0;
  #headers: HeaderMap = Object.create(null) as HeaderMap;
  #keepAlive = true;
  #keepAliveTimeoutMs: number | undefined;
  // Bytes left in the Content-Length body or in the current chunk.
  #remaining = 0;
  // A chunk-size or trailer line that spans packets, and the bytes of the current section.
  #line = '';
  #sectionBytes = 0;
  #body: Buffer[] = [];
  #bodyLength = 0;
  #extraBytes = 0;

  push(chunk: Buffer): ParseProgress {
    let offset = 0;
    while (offset < chunk.length || this.#state === 'fixed') {
      switch (this.#state) {
        case 'head': {
          const next = this.#pushHead(chunk, offset);
          if (next instanceof MalformedResponseError) return next;
          offset = next;
          break;
        }
        case 'fixed': {
          const take = Math.min(this.#remaining, chunk.length - offset);
          if (take > 0) this.#addBody(chunk, offset, offset + take);
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'complete';
          else return 'incomplete';
          break;
        }
        case 'chunk-size':
        case 'chunk-end':
        case 'trailers': {
          const next = this.#takeLine(chunk, offset);
          if (next instanceof MalformedResponseError) return next;
          if (next === -1) return 'incomplete';
          offset = next;
          const problem = this.#onLine(this.#finishLine());
          if (problem !== undefined) return problem;
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.#remaining, chunk.length - offset);
          this.#addBody(chunk, offset, offset + take);
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'chunk-end';
          break;
        }
        case 'until-close':
          this.#addBody(chunk, offset, chunk.length);
          offset = chunk.length;
          break;
        case 'complete':
          // Nothing may follow a response we did not ask for: the connection is not reused.
          this.#extraBytes += chunk.length - offset;
          offset = chunk.length;
          break;
      }
    }
    return this.#state === 'complete' ? 'complete' : 'incomplete';
  }

  /** The connection closed: completes a body that runs until the close, else the response was cut short. */
  end(): 'complete' | 'incomplete' {
    if (this.#state === 'until-close') this.#state = 'complete';
    return this.#state === 'complete' ? 'complete' : 'incomplete';
  }

  /** The parsed response; call once push() or end() said 'complete'. */
  response(): TransportResponse {
    const body =
      this.#body.length === 0 ? EMPTY : this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body, this.#bodyLength);
    return { status: this.#status, headers: this.#headers, body };
  }

  /** Whether the connection can carry another request once this response is complete. */
  get reusable(): boolean {
    return this.#state === 'complete' && this.#keepAlive && this.#extraBytes === 0;
  }

  /** From `Keep-Alive: timeout=N`: how long the server keeps this connection open when idle. */
  get keepAliveTimeoutMs(): number | undefined {
    return this.#keepAliveTimeoutMs;
  }

  /** Returns the offset after the head (or the chunk's end while it is incomplete). */
  #pushHead(chunk: Buffer, offset: number): number | MalformedResponseError {
    const end = this.#findHeadEnd(chunk, offset);
    const stop = end === -1 ? chunk.length : end;
    if (this.#headLength + (stop - offset) > MAX_HEAD_BYTES) {
      return new MalformedResponseError(`the status line and headers exceed ${MAX_HEAD_BYTES} bytes`);
    }
    if (end === -1) {
      this.#headParts.push(chunk.subarray(offset));
      this.#headLength += chunk.length - offset;
      return chunk.length;
    }
    let head: string;
    if (this.#headParts.length === 0) {
      head = chunk.toString('utf8', offset, end - 4);
    } else {
      this.#headParts.push(chunk.subarray(offset, end));
      head = Buffer.concat(this.#headParts).toString('utf8');
      head = head.slice(0, head.length - 4);
      this.#headParts = [];
      this.#headLength = 0;
    }
    const problem = this.#onHead(head);
    return problem ?? end;
  }

  /** The offset just past "\r\n\r\n" in `chunk`, counting a match begun in earlier packets; else -1. */
  #findHeadEnd(chunk: Buffer, offset: number): number {
    let matched = this.#headMatched;
    let from = offset;
    if (matched === 0) {
      const at = chunk.indexOf(HEAD_END, offset);
      if (at !== -1) return at + 4;
      // No terminator: only the last three bytes can start one that the next packet completes.
      from = Math.max(offset, chunk.length - 3);
    }
    for (let i = from; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === CR) matched = matched === 2 ? 3 : 1;
      else if (byte === LF && (matched === 1 || matched === 3)) matched += 1;
      else matched = 0;
      if (matched === 4) {
        this.#headMatched = 0;
        return i + 1;
      }
    }
    this.#headMatched = matched;
    return -1;
  }

  #onHead(head: string): MalformedResponseError | undefined {
    const lines = head.split('\r\n');
    const statusLine = STATUS_LINE.exec(lines[0]!);
    if (statusLine === null) {
      return new MalformedResponseError(`the status line is not HTTP/1.x: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    }
    const http10 = statusLine[1] === '0';
    const status = Number(statusLine[2]);
    const headers: HeaderMap = Object.create(null) as HeaderMap;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = colon === -1 ? '' : line.slice(0, colon);
      if (!TOKEN.test(name)) return new MalformedResponseError(`a header line is malformed: ${JSON.stringify(line.slice(0, 80))}`);
      addHeader(headers, name.toLowerCase(), line.slice(colon + 1).trim());
    }
    // 100 Continue and friends come before the real response (we never ask to switch protocols).
    if (status >= 100 && status < 200) {
      if (status === 101) return new MalformedResponseError('the server switched protocols (101), which was never asked for');
      return undefined;
    }
    this.#status = status;
    this.#headers = headers;
    const connection = headerText(headers, 'connection').toLowerCase();
    this.#keepAlive = http10 ? connection.includes('keep-alive') : !connection.includes('close');
    const hint = /timeout=(\d+)/.exec(headerText(headers, 'keep-alive'));
    if (hint !== null) this.#keepAliveTimeoutMs = Number(hint[1]) * 1000;
    return this.#startBody(headers);
  }

  /** Picks how the body is delimited (RFC 9112, section 6.3). */
  #startBody(headers: HeaderMap): MalformedResponseError | undefined {
    if (this.#status === 204 || this.#status === 304) {
      this.#state = 'complete';
      return undefined;
    }
    const transferEncoding = headers['transfer-encoding'];
    if (transferEncoding !== undefined) {
      const codings = String(transferEncoding).toLowerCase().split(',');
      const chunked = codings[codings.length - 1]!.trim() === 'chunked';
      this.#state = chunked ? 'chunk-size' : 'until-close';
      // With both framings the message is suspect: read it by Transfer-Encoding, then drop the connection.
      if (!chunked || headers['content-length'] !== undefined) this.#keepAlive = false;
      return undefined;
    }
    const contentLength = headers['content-length'];
    if (contentLength === undefined) {
      this.#state = 'until-close';
      this.#keepAlive = false;
      return undefined;
    }
    const values = new Set(String(contentLength).split(',').map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !DIGITS.test(only!)) {
      return new MalformedResponseError(`Content-Length is not one whole number: ${JSON.stringify(String(contentLength).slice(0, 80))}`);
    }
    this.#remaining = Number(only);
    this.#state = 'fixed';
    return undefined;
  }

  /** Collects bytes up to the next LF into #line; the offset after the LF, or -1 when the chunk ran out. */
  #takeLine(chunk: Buffer, offset: number): number | MalformedResponseError {
    const lf = chunk.indexOf(LF, offset);
    const end = lf === -1 ? chunk.length : lf + 1;
    this.#sectionBytes += end - offset;
    if (this.#sectionBytes > MAX_HEAD_BYTES) {
      return new MalformedResponseError(`a chunk header or the trailers exceed ${MAX_HEAD_BYTES} bytes`);
    }
    this.#line += chunk.toString('latin1', offset, end);
    return lf === -1 ? -1 : end;
  }

  #finishLine(): string {
    const line = this.#line;
    this.#line = '';
    return line.endsWith('\r\n') ? line.slice(0, -2) : line.slice(0, -1);
  }

  #onLine(line: string): MalformedResponseError | undefined {
    switch (this.#state) {
      case 'chunk-size': {
        this.#sectionBytes = 0;
        const semicolon = line.indexOf(';');
        const size = (semicolon === -1 ? line : line.slice(0, semicolon)).trim();
        if (!HEX.test(size)) return new MalformedResponseError(`a chunk size is not a hex number: ${JSON.stringify(line.slice(0, 80))}`);
        this.#remaining = Number.parseInt(size, 16);
        this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
        return undefined;
      }
      case 'chunk-end':
        this.#sectionBytes = 0;
        if (line !== '') return new MalformedResponseError('a chunk is longer than its size says');
        this.#state = 'chunk-size';
        return undefined;
      default:
        // Trailers: read and ignored, up to the empty line that ends the response.
        if (line === '') this.#state = 'complete';
        return undefined;
    }
  }

  #addBody(chunk: Buffer, start: number, end: number): void {
    this.#body.push(start === 0 && end === chunk.length ? chunk : chunk.subarray(start, end));
    this.#bodyLength += end - start;
  }
}

// A repeated header becomes an array rather than a ", "-joined string: a joined request id would
// name an invocation the service never issued. Readers take the first value, as AWS's client does.
function addHeader(headers: HeaderMap, name: string, value: string): void {
  const previous = headers[name];
  if (previous === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
  else if (Array.isArray(previous)) previous.push(value);
  else headers[name] = [previous, value];
}

function headerText(headers: HeaderMap, name: string): string {
  const value = headers[name];
  return value === undefined ? '' : String(value);
}
