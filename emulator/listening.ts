// What the emulator's two HTTP servers (Runtime API, invoke endpoint) share once listening.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** `host:port` of a listening server, IPv6 hosts in brackets. */
export function hostAndPort(server: http.Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

/** Stops listening and drops open (kept-alive, long-polling) connections. Idempotent. */
export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}
