// A raw HTTP/1.1 client for the local server's framing tests: writes requests on one connection
// (pipelined, as a kept-alive client or proxy may) and parses the answers byte for byte, strictly:
// a Content-Length that does not match, two framings at once, or bytes left over are visible here,
// where Node's own client would hide or refuse them.
import net from 'node:net';

export interface RawResponse {
  status: number;
  reason: string;
  /** Lower-cased names; repeats joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawExchange {
  responses: RawResponse[];
  /** Bytes after the last complete response (a desynchronised connection leaves some). */
  leftover: Buffer;
  /** The server closed the connection. */
  closed: boolean;
}

/** `GET <path>` with Host 127.0.0.1:<port>. */
export function get(port: number, path: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
}

/** Sends `requests` in one write and reads until `expected` answers are parsed, the server closes,
 * or it stays quiet for `quietMs` after the last byte. */
export function exchange(port: number, requests: string[], expected = requests.length, quietMs = 3_000): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(requests.join('')));
    let data = Buffer.alloc(0);
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseAll(data);
      resolve({ ...parsed, closed });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (parseAll(data).responses.length >= expected) finish();
      else arm();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('error', (error) => (closed ? undefined : reject(error)));
    arm();
  });
}

function parseAll(data: Buffer): { responses: RawResponse[]; leftover: Buffer } {
  const responses: RawResponse[] = [];
  let rest: Buffer = data;
  for (;;) {
    const one = parseOne(rest);
    if (one === undefined) break;
    responses.push(one.response);
    rest = one.rest;
  }
  return { responses, leftover: rest };
}

function parseOne(data: Buffer): { response: RawResponse; rest: Buffer } | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(statusLine);
  if (match === null) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const status = Number(match[1]);
  let rest: Buffer = data.subarray(headEnd + 4);
  let body: Buffer = Buffer.alloc(0);
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
    // No body, whatever the headers say.
  } else if (headers['transfer-encoding'] !== undefined) {
    const chunks: Buffer[] = [];
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) return undefined;
      if (rest.length < lineEnd + 2 + size + 2) return undefined;
      chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
      rest = rest.subarray(lineEnd + 2 + size + 2);
      if (size === 0) break;
    }
    body = Buffer.concat(chunks);
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (rest.length < length) return undefined;
    body = rest.subarray(0, length);
    rest = rest.subarray(length);
  }
  return { response: { status, reason: match[2] ?? '', headers, body }, rest };
}
