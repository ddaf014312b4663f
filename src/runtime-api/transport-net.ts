// Runtime API transport over raw node:net sockets: just the HTTP/1.1 the Runtime API needs.
// It spares start-up the loading of node:http (agent, ClientRequest, parser: ~5 ms) and each call
// the work of that machinery. Kept-alive connections are reused LIFO, one per request in flight:
// Managed Instances runs several long polls and posts at once.

import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { MalformedResponseError, ResponseParser } from './http-response-parser.ts';
import { TransportError, parseHostAndPort } from './transport.ts';
import type { Transport, TransportResponse } from './transport.ts';

type Method = 'GET' | 'POST';

// The idle connections kept: in practice the number of concurrent callers bounds them; the cap
// only stops a burst from holding file descriptors for good.
const MAX_IDLE = 64;
// Expire an idle connection this long before the server's announced keep-alive timeout, so that
// we do not write a request into a connection the server is closing (what node:http's Agent does).
const KEEP_ALIVE_MARGIN_MS = 1000;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Tab, printable ASCII and any non-ASCII character (sent as UTF-8, the way the Runtime API sends
// its own values, e.g. an invocation id echoed back): no control character, so no CR or LF that
// could end the header early.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\u{10ffff}]*$/u;
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;

/** What one request writes: the head and body as one string, or a head and a Buffer body. */
type Message = string | { head: string; body: Buffer };

export function createNetTransport(runtimeApi: string): Transport {
  const { host, port } = parseHostAndPort(runtimeApi);
  const hostLine = `Host: ${runtimeApi}\r\n`;
  const idle: Connection[] = [];
  // GET /next, the same bytes on every call; keyed by method, then path, so a lookup builds no key.
  const plainHeads: Record<Method, Map<string, string>> = { GET: new Map(), POST: new Map() };

  function encode(method: Method, path: string, headers: Record<string, string> | undefined, body: string | Buffer | undefined): Message | TransportError {
    const plain = headers === undefined && body === undefined;
    const cached = plain ? plainHeads[method].get(path) : undefined;
    if (cached !== undefined) return cached;
    if (!REQUEST_TARGET.test(path)) return invalid(method, path, 'the path must start with / and hold only printable ASCII');
    if (plain) {
      const head = `${method} ${path} HTTP/1.1\r\n${hostLine}${method === 'POST' ? 'Content-Length: 0\r\n' : ''}\r\n`;
      plainHeads[method].set(path, head);
      return head;
    }
    let head = `${method} ${path} HTTP/1.1\r\n${hostLine}`;
    if (headers !== undefined) {
      for (const [name, value] of Object.entries(headers)) {
        if (!TOKEN.test(name)) return invalid(method, path, `the header name ${JSON.stringify(name)} is not an HTTP token`);
        if (!HEADER_VALUE.test(value)) {
          return invalid(method, path, `the value of header ${name} holds a control character`);
        }
        head += `${name}: ${value}\r\n`;
      }
    }
    if (body === undefined) return method === 'POST' ? `${head}Content-Length: 0\r\n\r\n` : `${head}\r\n`;
    if (typeof body === 'string') return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return { head: `${head}Content-Length: ${body.length}\r\n\r\n`, body };
  }

  function request(
    method: Method,
    path: string,
    headers: Record<string, string> | undefined,
    body: string | Buffer | undefined,
  ): Promise<TransportResponse> {
    const message = encode(method, path, headers, body);
    if (message instanceof TransportError) return Promise.reject(message);
    return new Promise<TransportResponse>((resolve, reject) => {
      let reused = idle.pop();
      // One that failed or was closed a moment ago, its 'close' not yet delivered, is dropped.
      while (reused !== undefined && !reused.writable) reused = idle.pop();
      // A server may close a kept-alive connection just as we write into it (its idle timeout),
      // and then it never read the request. But a close before any answer can also come from a
      // server that read the request and failed, and nothing on our side tells the two apart. So,
      // as Go's net/http does, only a GET on a reused connection is sent again (once, on a fresh
      // connection): asking for /next again changes nothing. A POST is never repeated: the
      // server may have acted on it, and a result must not be reported twice.
      const retryable = reused !== undefined && method === 'GET';
      dispatch({ method, path, message, resolve, reject, retryable }, reused);
    });
  }

  function dispatch(exchange: Exchange, connection: Connection | undefined): void {
    try {
      (connection ?? new Connection(connect({ host, port, noDelay: true }), idle, dispatch)).send(exchange);
    } catch (error) {
      // connect() throws at once for an address it cannot use (a port out of range, say).
      const code = (error as NodeJS.ErrnoException).code;
      exchange.reject(failure(exchange, error instanceof Error ? error.message : String(error), code, error));
    }
  }

  return { request };
}

interface Exchange {
  method: Method;
  path: string;
  message: Message;
  resolve: (response: TransportResponse) => void;
  reject: (error: TransportError) => void;
  /** Whether the request may be sent again, on a fresh connection, should this one fail before any answer. */
  retryable: boolean;
}

type Dispatch = (exchange: Exchange, connection: Connection | undefined) => void;

/** One kept-alive connection, and the exchange in flight on it (at most one: no pipelining). */
class Connection {
  readonly #socket: Socket;
  readonly #idle: Connection[];
  readonly #dispatch: Dispatch;
  #exchange: Exchange | undefined;
  #parser: ResponseParser | undefined;
  #answered = false;
  #error: NodeJS.ErrnoException | undefined;
  #expires = false;

  constructor(socket: Socket, idle: Connection[], dispatch: Dispatch) {
    this.#socket = socket;
    this.#idle = idle;
    this.#dispatch = dispatch;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#error = error;
      this.#leavePool();
    });
    // The server closing an idle connection: it must not be handed out again.
    socket.on('end', () => this.#leavePool());
    socket.on('timeout', () => {
      if (this.#exchange === undefined) socket.destroy();
    });
    socket.on('close', () => this.#onClose());
  }

  get writable(): boolean {
    return this.#socket.writable;
  }

  send(exchange: Exchange): void {
    this.#exchange = exchange;
    this.#parser = new ResponseParser();
    this.#answered = false;
    const socket = this.#socket;
    // A request in flight keeps the process alive (the loop is waiting on it); an idle one does not.
    socket.ref();
    if (this.#expires) {
      socket.setTimeout(0);
      this.#expires = false;
    }
    const message = exchange.message;
    if (typeof message === 'string') {
      socket.write(message);
    } else {
      // One writev: the head and a body of any size, without copying the body.
      socket.cork();
      socket.write(message.head);
      socket.write(message.body);
      socket.uncork();
    }
  }

  #onData(chunk: Buffer): void {
    const exchange = this.#exchange;
    const parser = this.#parser;
    if (exchange === undefined || parser === undefined) {
      // Bytes nobody asked for: the connection is out of step with the server.
      this.#socket.destroy();
      return;
    }
    this.#answered = true;
    const progress = parser.push(chunk);
    if (progress === 'incomplete') return;
    this.#exchange = undefined;
    this.#parser = undefined;
    if (progress instanceof MalformedResponseError) {
      this.#socket.destroy();
      exchange.reject(failure(exchange, `malformed response: ${progress.message}`, 'EPROTO', progress));
      return;
    }
    // A server answering before it read the whole body (a 413, say) leaves the rest unsent.
    if (parser.reusable && this.#socket.writableLength === 0) this.#release(parser.keepAliveTimeoutMs);
    else this.#socket.destroy();
    exchange.resolve(parser.response());
  }

  #onClose(): void {
    this.#leavePool();
    const exchange = this.#exchange;
    const parser = this.#parser;
    if (exchange === undefined || parser === undefined) return;
    this.#exchange = undefined;
    this.#parser = undefined;
    const error = this.#error;
    if (error === undefined && parser.end() === 'complete') {
      exchange.resolve(parser.response());
    } else if (!this.#answered && exchange.retryable) {
      this.#dispatch({ ...exchange, retryable: false }, undefined);
    } else if (error !== undefined) {
      exchange.reject(failure(exchange, error.message, error.code, error));
    } else {
      const what = this.#answered ? 'the response was cut short' : 'the connection closed before a response arrived';
      exchange.reject(failure(exchange, what, 'ECONNRESET', undefined));
    }
  }

  #release(keepAliveTimeoutMs: number | undefined): void {
    if (this.#idle.length >= MAX_IDLE) {
      this.#socket.destroy();
      return;
    }
    this.#socket.unref();
    if (keepAliveTimeoutMs !== undefined) {
      this.#socket.setTimeout(Math.max(keepAliveTimeoutMs - KEEP_ALIVE_MARGIN_MS, 1));
      this.#expires = true;
    }
    this.#idle.push(this);
  }

  #leavePool(): void {
    const at = this.#idle.lastIndexOf(this);
    if (at !== -1) this.#idle.splice(at, 1);
  }
}

function failure(exchange: Exchange, what: string, code: string | undefined, cause: unknown): TransportError {
  return new TransportError(`${exchange.method} ${exchange.path} failed: ${what}`, code, cause === undefined ? undefined : { cause });
}

function invalid(method: Method, path: string, what: string): TransportError {
  return new TransportError(`${method} ${path} failed: ${what}`, 'ERR_INVALID_ARG_VALUE');
}
