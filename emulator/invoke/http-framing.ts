// What of a function's HTTP answer may go on the wire, and how it is framed: the front door
// (http-front-door.ts) puts the function's statusCode, headers and cookies into Node's writeHead,
// which throws on a header it refuses and would frame a `transfer-encoding: chunked` or a 204 body
// however the function said. Here every answer is checked and normalised before a byte is written,
// so that each request gets exactly one well-framed answer: the function's, normalised, or the
// service's 502 on a clean header set. Sources:
// - hop-by-hop and framing headers are the proxy's, never the function's: RFC 9110 §7.6.1
//   (Connection and the fields it names), RFC 9112 §6.1–6.3 (Transfer-Encoding, Content-Length:
//   the server frames the body itself); Lambda's HTTP endpoints remove Connection, Keep-Alive,
//   Upgrade, TE, Trailer, Proxy-* and the headers Connection names (Lambda developer guide,
//   "HTTP requests and responses" of Web Functions), and function URLs answer a result they cannot
//   map with 502 `{"Message":"Internal Server Error"}`;
// - a final status is 200–599 (RFC 9110 §15: 1xx are interim, 101 switches protocols); 204 and 304
//   carry no content (RFC 9110 §15.3.5, §15.4.5), so their body is dropped;
// - a header name or value Node refuses (http.validateHeaderName/Value: CR LF, control
//   characters, a name that is not a token) cannot be sent: the answer is a 502, the reason logged.
import http from 'node:http';

/** A function's HTTP answer (buffered: with its body; streamed: the prelude, body empty). */
export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

// Never the function's to send: the connection's own, and the body's framing (set by the server).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/** Statuses whose answer has no body (RFC 9110 §15.3.5, §15.4.5). */
export function forbidsBody(statusCode: number): boolean {
  return statusCode === 204 || statusCode === 304;
}

/**
 * The answer as it may go on the wire: hop-by-hop and framing headers (and the headers
 * `Connection` names) dropped, no body for 204/304, or an Error saying why it cannot be sent at
 * all (a 1xx final status, a header or cookie Node refuses). `dropped` lists what was removed, for
 * the log line.
 */
export function frameAnswer(answer: HttpAnswer): { answer: HttpAnswer; dropped: string[] } | Error {
  const status = answer.statusCode;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    return new Error(`the response's statusCode ${status} is not a final HTTP status (200-599)${status >= 100 && status < 200 ? ': 1xx answers are interim, and the service never switches protocols' : ''}`);
  }
  const named = new Set((answer.headers.connection ?? '').split(',').map((n) => n.trim().toLowerCase()).filter((n) => n !== ''));
  const headers: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [rawName, value] of Object.entries(answer.headers)) {
    const name = rawName.toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name)) {
      dropped.push(name);
      continue;
    }
    const problem = headerProblem(name, value);
    if (problem !== undefined) return new Error(problem);
    headers[name] = value;
  }
  for (const cookie of answer.cookies) {
    const problem = headerProblem('set-cookie', cookie);
    if (problem !== undefined) return new Error(problem);
  }
  let body = answer.body;
  if (forbidsBody(status) && body.length > 0) {
    dropped.push(`the ${body.length}-byte body of a ${status}`);
    body = Buffer.alloc(0);
  }
  return { answer: { statusCode: status, headers, cookies: answer.cookies, body }, dropped };
}

/**
 * The headers to hand to writeHead for a framed answer: its own, the request id, the cookies, and
 * for a buffered answer its Content-Length (none for 204/304). `streamed`: the body's length is
 * unknown, so Node frames it (chunked).
 */
export function headersFor(answer: HttpAnswer, requestId: string, streamed: boolean): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = { ...answer.headers, 'x-amzn-requestid': requestId };
  if (answer.cookies.length > 0) headers['set-cookie'] = answer.cookies;
  if (!streamed && !forbidsBody(answer.statusCode)) headers['content-length'] = String(answer.body.length);
  return headers;
}

/** Strict base64 (standard or URL-safe alphabet, padding optional): Buffer.from(…, 'base64') skips
 * what it does not know and would turn `!!!not base64$$$` into 6 bytes of something. */
export function decodeBase64(text: string): Buffer | Error {
  const compact = text.replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) {
    return new Error('the response is marked isBase64Encoded but its body is not base64');
  }
  return Buffer.from(compact, 'base64');
}

function headerProblem(name: string, value: string): string | undefined {
  try {
    http.validateHeaderName(name);
  } catch {
    return `the response's header name ${JSON.stringify(name)} is not a valid HTTP header name`;
  }
  try {
    http.validateHeaderValue(name, value);
  } catch {
    return `the response's ${name} header value holds characters HTTP does not allow (CR, LF or other control characters)`;
  }
  return undefined;
}
