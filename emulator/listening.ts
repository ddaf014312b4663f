// What the emulator's HTTP servers (Runtime API, invoke endpoint, local server) share: starting to
// listen, their address, closing, waiting for a slow client, and reading a request's header or
// path segment.

import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { localUserOnly } from './peer-user.ts';

/** Starts `server` listening on host:port, answering only this user's processes and those of
 * `alsoAnswered` (uids; peer-user.ts: another user's connection is closed unread, with one line on
 * stderr per uid); rejects with the listen error (EADDRINUSE, …). */
export function listen(server: http.Server, port: number, host: string, alsoAnswered: readonly number[] = []): Promise<void> {
  const told = new Set<number>();
  localUserOnly(server, alsoAnswered, (uid) => {
    if (told.has(uid)) return;
    told.add(uid);
    process.stderr.write(`local server on ${hostAndPort(server)}: closed a connection from another user's process (uid ${uid}): it answers only the user who started it\n`);
  });
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Resolves when `res` can take more bytes, or when it is gone (then nothing waits for it). */
export function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** `host:port` of a listening server, IPv6 hosts in brackets. */
export function hostAndPort(server: http.Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

/**
 * The address and shutdown of a server an object owns and serves on (the invoke endpoint, the
 * local server): its port and `http://host:port` once listening, and `close()` (idempotent).
 */
export abstract class ServedOverHttp {
  protected abstract readonly server: http.Server;

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://${hostAndPort(this.server)}`;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }
}

/** Stops listening and drops open (kept-alive, long-polling) connections. Idempotent. */
export async function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** One request header's value; repeated ones joined with ", " as Node joins most headers. */
export function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A path (segment) percent-decoded, or as it came when it is not valid percent-encoding. */
export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
