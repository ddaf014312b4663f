// Runtime API transport over node:http with one kept-alive connection per concurrent caller.
// Loaded at start-up far faster than the built-in fetch (undici), and it can send trailers.

import type { ClientRequest, IncomingMessage } from 'node:http';
import { TransportError, parseHostAndPort } from './transport.ts';
import type { HeaderMap, StreamingTransport, Transport, TransportResponse } from './transport.ts';

// Any byte outside ASCII: node:http reads and writes header values as Latin-1, one character a byte.
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

export function createHttpTransport(runtimeApi: string): Transport & StreamingTransport {
  const { host, port } = parseHostAndPort(runtimeApi);
  // Loaded here rather than at the top: with another transport, only a streaming handler needs it.
  const { Agent, request: httpRequest } = process.getBuiltinModule('node:http');
  // Idle kept-alive sockets are unref'd by the agent, so they never hold the event loop open:
  // callbackWaitsForEmptyEventLoop depends on that.
  const agent = new Agent({ keepAlive: true, scheduling: 'lifo' });

  function send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> | undefined,
  ): { request: ClientRequest; response: Promise<TransportResponse> } {
    let request!: ClientRequest;
    const response = new Promise<TransportResponse>((resolve, reject) => {
      request = httpRequest({ agent, host, port, method, path, headers: headers && utf8Out(headers) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: utf8In(res.rawHeaders),
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
          });
        });
        res.on('aborted', () => reject(cutShort(method, path)));
        res.on('error', (error: NodeJS.ErrnoException) => reject(connectionFailed(method, path, error)));
      });
      request.on('error', (error: NodeJS.ErrnoException) => reject(connectionFailed(method, path, error)));
    });
    return { request, response };
  }

  function request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> | undefined,
    body: string | Buffer | undefined,
  ): Promise<TransportResponse> {
    const sent = send(method, path, headers);
    sent.request.end(body);
    return sent.response;
  }

  function openStream(
    path: string,
    headers: Record<string, string>,
  ): { request: ClientRequest; response: Promise<TransportResponse> } {
    return send('POST', path, headers);
  }

  return { request, openStream };
}

/**
 * The response headers as the net transport gives them: lower-cased names, values decoded as UTF-8
 * (node:http decodes Latin-1), and a repeated header as an array of its values in order (node:http
 * joins most repeats with ", ").
 */
function utf8In(raw: string[]): HeaderMap {
  const headers: HeaderMap = Object.create(null) as HeaderMap;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    let value = raw[i + 1]!;
    if (NON_ASCII.test(value)) value = Buffer.from(value, 'latin1').toString('utf8');
    const previous = headers[name];
    if (previous === undefined) headers[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else headers[name] = [previous, value];
  }
  return headers;
}

/** Request headers with any non-ASCII value turned into its UTF-8 bytes, one Latin-1 character each,
 * which is how node:http puts them on the wire unchanged (it refuses characters above U+00FF). */
function utf8Out(headers: Record<string, string>): Record<string, string> {
  for (const name in headers) {
    if (NON_ASCII.test(headers[name]!)) {
      const copy: Record<string, string> = {};
      for (const key in headers) copy[key] = Buffer.from(headers[key]!, 'utf8').toString('latin1');
      return copy;
    }
  }
  return headers;
}

function connectionFailed(method: string, path: string, error: NodeJS.ErrnoException): TransportError {
  return new TransportError(`${method} ${path} failed: ${error.message}`, error.code, { cause: error });
}

function cutShort(method: string, path: string): TransportError {
  return new TransportError(`${method} ${path} failed: the response was cut short`, 'ECONNRESET');
}
