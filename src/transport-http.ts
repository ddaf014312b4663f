// Runtime API transport over node:http with one kept-alive connection per concurrent caller.
// Loaded at start-up far faster than the built-in fetch (undici), and it can send trailers.

import type { ClientRequest, IncomingMessage } from 'node:http';
import { TransportError, parseHostAndPort } from './transport.ts';
import type { StreamingTransport, Transport, TransportResponse } from './transport.ts';

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
      request = httpRequest({ agent, host, port, method, path, headers }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
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

function connectionFailed(method: string, path: string, error: NodeJS.ErrnoException): TransportError {
  return new TransportError(`${method} ${path} failed: ${error.message}`, error.code, { cause: error });
}

function cutShort(method: string, path: string): TransportError {
  return new TransportError(`${method} ${path} failed: the response was cut short`, 'ECONNRESET');
}
