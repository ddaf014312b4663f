// Graceful shutdown. Lambda sends SIGTERM to the runtime only when an extension is registered,
// so a function that listens for SIGTERM (to flush telemetry, close pools) gets an internal no-op
// extension registered for it. Without a listener nothing is registered: no start-up cost.
//
// Lambda ends init only when the runtime AND every registered extension have called their `next`
// (aws-lambda-runtime-interface-emulator lambda/rapid/handlers.go doRuntimeDomainInit:
// initFlow.AwaitAgentsReady; lambda/core/internalagent_states.go InternalAgentRegisteredState.Ready),
// so the extension calls `GET /2020-01-01/extension/event/next` at once. With `events: []` the
// service never answers it; the request stays open for the life of the process on its own socket,
// unref'd, so it neither keeps the process alive nor delays its exit. It is a separate plain
// node:http request (not the loop's transport) because its socket must never be shared or reused.

import type { RuntimeApiClient } from './runtime-api/runtime-api.ts';
import { RuntimeApiError } from './runtime-api/runtime-api.ts';
import { parseHostAndPort } from './runtime-api/transport.ts';

export const EXTENSION_NAME = 'lambda-bootstrap';
const EVENT_NEXT_PATH = '/2020-01-01/extension/event/next';

/** Call once the handler module has loaded, before the first /next. `runtimeApi` is host:port. */
export async function enableGracefulShutdown(client: RuntimeApiClient, runtimeApi: string, forced: boolean): Promise<void> {
  if (!forced && process.listenerCount('SIGTERM') === 0) return;
  const registered = await client.registerExtension(EXTENSION_NAME);
  if (registered instanceof RuntimeApiError) {
    console.warn(
      `Could not register the '${EXTENSION_NAME}' extension, so Lambda will not send SIGTERM before shutting this sandbox down: ${registered.message}`,
    );
    return;
  }
  signalExtensionReady(runtimeApi, registered.identifier);
}

/** Sends the extension's `event/next` (its readiness) and leaves it open without holding the
 * process. An answer is read and dropped: an extension that subscribed to no events has nothing to
 * do with one (SHUTDOWN reaches this process as SIGTERM). Only a refusal is worth a log line. */
export function signalExtensionReady(runtimeApi: string, identifier: string): void {
  const { host, port } = parseHostAndPort(runtimeApi);
  // Loaded here, not at start: only functions with a SIGTERM listener pay node:http's ~5 ms.
  const request = process.getBuiltinModule('node:http').request({
    host,
    port,
    method: 'GET',
    path: EVENT_NEXT_PATH,
    headers: { 'Lambda-Extension-Identifier': identifier },
    agent: false,
  });
  request.on('socket', (socket) => socket.unref());
  request.on('response', (response) => {
    response.socket.unref();
    const pieces: Buffer[] = [];
    response.on('data', (piece: Buffer) => pieces.push(piece));
    response.on('end', () => {
      if (response.statusCode === 200) return;
      console.warn(
        `The Lambda Runtime API at ${runtimeApi} answered GET ${EVENT_NEXT_PATH} for the '${EXTENSION_NAME}' extension with ` +
          `${response.statusCode} ${Buffer.concat(pieces).toString('utf8')}`.trimEnd(),
      );
    });
    response.on('error', () => {});
  });
  // The service going away (shutdown, a reset sandbox) ends this request; that is not news.
  request.on('error', () => {});
  request.end();
}
