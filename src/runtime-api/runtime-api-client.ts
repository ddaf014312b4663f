// Picks the transport behind the RuntimeApiClient (LAMBDA_BOOTSTRAP_TRANSPORT).

import type { TransportName } from '../environment.ts';
import { RuntimeApiClient } from './runtime-api.ts';
import type { RuntimeApiClientOptions } from './runtime-api.ts';
import type { StreamingTransport, Transport } from './transport.ts';
import { createHttpTransport } from './transport-http.ts';
import { createNetTransport } from './transport-net.ts';

/** `options.retryNext`: Lambda Managed Instances, where AWS's client retries a failed /next. */
export function createRuntimeApiClient(
  runtimeApi: string,
  transport: TransportName,
  options: RuntimeApiClientOptions,
): RuntimeApiClient {
  let http: (Transport & StreamingTransport) | undefined;
  // Streaming needs request trailers, which only node:http sends; it is created on first use.
  const streaming = (): StreamingTransport => (http ??= createHttpTransport(runtimeApi));
  const calls = transport === 'net' ? createNetTransport(runtimeApi) : (http = createHttpTransport(runtimeApi));
  return new RuntimeApiClient(calls, streaming, runtimeApi, options);
}
