// Runtime API transport over the built-in fetch: the original design, kept selectable with
// LAMBDA_BOOTSTRAP_TRANSPORT=fetch. Caveat: undici gives up on a response whose headers take
// longer than 300 s, so a /next long poll idle for more than five minutes fails with this transport.

import { TransportError } from './transport.ts';
import type { HeaderMap, Transport, TransportResponse } from './transport.ts';

export function createFetchTransport(runtimeApi: string): Transport {
  const origin = `http://${runtimeApi}`;

  async function request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> | undefined,
    body: string | Buffer | undefined,
  ): Promise<TransportResponse> {
    try {
      const res = await fetch(origin + path, { method, headers, body });
      const bytes = Buffer.from(await res.arrayBuffer());
      const map: HeaderMap = {};
      res.headers.forEach((value, name) => {
        map[name] = value;
      });
      return { status: res.status, headers: map, body: bytes };
    } catch (error) {
      const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
      const detail = cause?.message ?? (error as Error).message;
      throw new TransportError(`${method} ${path} failed: ${detail}`, cause?.code, { cause: error });
    }
  }

  return { request };
}
