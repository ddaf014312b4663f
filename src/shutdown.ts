// Graceful shutdown. Lambda sends SIGTERM to the runtime only when an extension is registered,
// so a function that listens for SIGTERM (to flush telemetry, close pools) gets an internal no-op
// extension registered for it. Without a listener nothing is registered: no start-up cost.

import type { RuntimeApiClient } from './runtime-api.ts';
import { RuntimeApiError } from './runtime-api.ts';

export const EXTENSION_NAME = 'lambda-bootstrap';

/** Call once the handler module has loaded, before the first /next. */
export async function enableGracefulShutdown(client: RuntimeApiClient, forced: boolean): Promise<void> {
  if (!forced && process.listenerCount('SIGTERM') === 0) return;
  const registered = await client.registerExtension(EXTENSION_NAME);
  if (registered instanceof RuntimeApiError) {
    console.warn(
      `Could not register the '${EXTENSION_NAME}' extension, so Lambda will not send SIGTERM before shutting this sandbox down: ${registered.message}`,
    );
  }
}
