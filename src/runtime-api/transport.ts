// The narrow seam between the Runtime API client and the HTTP stack that carries its calls.

import type { ClientRequest } from 'node:http';

export type HeaderMap = Record<string, string | string[] | undefined>;

export interface TransportResponse {
  status: number;
  /** Lower-cased header names. */
  headers: HeaderMap;
  body: Buffer;
}

/** The connection to the Runtime API failed (refused, reset, cut short), as opposed to an HTTP status. */
export class TransportError extends Error {
  override name = 'TransportError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export interface Transport {
  /** Resolves with any HTTP status; rejects only with a TransportError. */
  request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> | undefined,
    body: string | Buffer | undefined,
  ): Promise<TransportResponse>;
}

export interface HostAndPort {
  host: string;
  port: number;
}

/** `127.0.0.1:9001` or `[::1]:9001` → its parts. */
export function parseHostAndPort(runtimeApi: string): HostAndPort {
  const colon = runtimeApi.lastIndexOf(':');
  const rawHost = colon === -1 ? runtimeApi : runtimeApi.slice(0, colon);
  const port = colon === -1 ? 80 : Number(runtimeApi.slice(colon + 1));
  const host = rawHost.startsWith('[') && rawHost.endsWith(']') ? rawHost.slice(1, -1) : rawHost;
  return { host, port };
}

/** A POST whose body is written piece by piece (chunked), with trailers: response streaming. */
export interface StreamingTransport {
  openStream(
    path: string,
    headers: Record<string, string>,
  ): { request: ClientRequest; response: Promise<TransportResponse> };
}
