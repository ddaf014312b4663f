// Which user's process is on the other end of a TCP connection to one of the local servers, so
// that a server answers only the local user. Host and Origin checks (caller-guard.ts) keep web
// pages out; on a machine shared by several users (a jump host, a shared CI runner, a university
// server) another user's process could still connect to 127.0.0.1 and run the function with the
// developer's credentials, or take events from the Runtime API. Linux names the owner of each
// socket in /proc/net/tcp and /proc/net/tcp6: a connection from this machine has the client's
// socket there, with local and remote addresses swapped, and its uid. A peer with no such entry is
// on another machine (reachable only with `serve --host`, which warns). Node has no
// SO_PEERCRED for TCP, and no library reads these tables, hence this file.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/**
 * The uid owning the client end of `socket` when that end is on this machine, undefined when it is
 * not (a remote peer) or when the kernel's tables cannot be read (not Linux).
 * Source: the kernel's proc(5) /proc/net/tcp format (`local_address rem_address st … uid`), addresses
 * as the kernel's 32-bit words in host byte order (little-endian here), ports in big-endian hex.
 */
export function peerUid(socket: Socket): number | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined || localAddress === undefined || localPort === undefined) return undefined;
  const peer = `${addressHex(remoteAddress)}:${portHex(remotePort)}`;
  const us = `${addressHex(localAddress)}:${portHex(localPort)}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid …
      if (fields.length > 7 && sameEndpoint(fields[1]!, peer) && sameEndpoint(fields[2]!, us)) return Number(fields[7]);
    }
  }
  return undefined;
}

// An IPv4 peer of an IPv6 listener shows as ::ffff:a.b.c.d on our side and in /proc/net/tcp6,
// while an IPv4-only socket is in /proc/net/tcp: the addresses compare as IPv4 when either is.
function sameEndpoint(kernel: string, wanted: string): boolean {
  if (kernel.toUpperCase() === wanted) return true;
  return normalised(kernel.toUpperCase()) === normalised(wanted);
}

const MAPPED_PREFIX = '0000000000000000FFFF0000';

function normalised(endpoint: string): string {
  const [address = '', port = ''] = endpoint.split(':');
  return address.length === 32 && address.startsWith(MAPPED_PREFIX) ? `${address.slice(24)}:${port}` : `${address}:${port}`;
}

function portHex(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

// The kernel prints each 32-bit word of the address as the host's integer: on little-endian
// machines (x86_64, arm64 Linux) the bytes of each word reversed.
function addressHex(address: string): string {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(address);
  if (v4 !== null) return word([1, 2, 3, 4].map((i) => Number(v4[i])));
  const bytes = ipv6Bytes(address);
  if (bytes === undefined) return '';
  let hex = '';
  for (let i = 0; i < 16; i += 4) hex += word(bytes.slice(i, i + 4));
  return hex;
}

function word(bytes: number[]): string {
  return bytes
    .slice()
    .reverse()
    .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}

function ipv6Bytes(address: string): number[] | undefined {
  const [head = '', tail] = address.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  if (all.length !== 8 || all.some((g) => Number.isNaN(g))) return undefined;
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * Closes, at once, every connection to `server` whose client is another user's process on this
 * machine (peerUid neither this process's uid nor one of `alsoAnswered`); `refused(uid)` is told of each. Remote peers
 * and platforms without the kernel's tables are let through (the servers bind 127.0.0.1 unless
 * told otherwise). Costs one read of the tables per connection, not per request.
 */
export function localUserOnly(
  server: { prependListener(event: 'connection', listener: (socket: Socket) => void): unknown },
  alsoAnswered: readonly number[],
  refused: (uid: number) => void,
): void {
  const self = process.getuid?.();
  if (self === undefined) return;
  // Before the HTTP server's own listener: nothing of the connection is read.
  server.prependListener('connection', (socket) => {
    const uid = peerUid(socket);
    if (uid === undefined || uid === self || alsoAnswered.includes(uid)) return;
    socket.destroy();
    refused(uid);
  });
}
