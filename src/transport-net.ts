// Placeholder replaced by the net transport (work in progress): delegates to node:http for now.
import type { Transport } from './transport.ts';
import { createHttpTransport } from './transport-http.ts';

export function createNetTransport(runtimeApi: string): Transport {
  return createHttpTransport(runtimeApi);
}
