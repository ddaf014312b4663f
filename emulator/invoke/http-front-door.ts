// The HTTP front door: plain HTTP in, a Lambda function URL event (API Gateway HTTP API payload
// format 2.0) to the function, its answer back out as HTTP, like `sam local start-api` or
// `cargo lambda watch`. Sources of the behaviour:
// - the event: AWS's "Lambda function URL request and response payloads" and API Gateway's
//   "payload format version 2.0": lower-case header names, repeated headers and query parameters
//   joined with commas, cookies taken out of the headers into `cookies`, `rawPath`,
//   `rawQueryString`, `requestContext.http`, `body` with `isBase64Encoded`;
// - the answer: an object with `statusCode` is the HTTP response (`headers`, `cookies` as
//   Set-Cookie each, `body`, `isBase64Encoded`); any other valid JSON is a 200
//   `application/json` response whose body is the function's response as it is;
// - streaming (function URL InvokeMode RESPONSE_STREAM): a handler that streams through
//   `awslambda.HttpResponseStream.from(stream, {statusCode, headers, cookies})` sends the content
//   type `application/vnd.awslambda.http-integration-response`, a JSON prelude, 8 NUL bytes,
//   then the body; any other streamed content type is a 200 with that type. A streaming handler is
//   served as a stream whatever the URL's mode would be (locally there is no function configuration).
// - errors: a function error, or a result that is not a valid HTTP answer, is a 502 with
//   `{"Message":"Internal Server Error"}`; a request too large for an invoke is a 413.
// - framing (http-framing.ts): the function's hop-by-hop and framing headers are dropped, a
//   204/304 goes without its body, and a result that cannot go on the wire (a 1xx status, a header
//   Node refuses, a body marked base64 that is not) is that 502, decided before any byte is
//   written: one well-framed answer per request, and a kept-alive connection stays in step.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { decodeBase64, forbidsBody, frameAnswer, headersFor } from './http-framing.ts';
import type { HttpAnswer } from './http-framing.ts';
import type { InvocationOutcome, InvokeOptions } from '../invocation.ts';
import type { Invoker } from './invoke-endpoint.ts';
import { drained, safeDecode } from '../listening.ts';

export const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER = Buffer.alloc(8);
/** Lambda's synchronous payload limit, which the event (with a base64 body) must fit in. */
const MAX_EVENT_BYTES = 6_291_456;
const URL_ID = 'local0000000000000000000000000000';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
// Media types whose bodies reach the function as text; everything else is base64 (function URLs
// and HTTP APIs decide the same way).
const TEXT_TYPE = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|graphql|[\w.+-]+\+(json|xml)))/i;

/** The function URL event (payload format 2.0) as the function receives it. */
export interface FunctionUrlEvent {
  version: '2.0';
  routeKey: '$default';
  rawPath: string;
  rawQueryString: string;
  cookies?: string[];
  headers: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  requestContext: {
    accountId: string;
    apiId: string;
    domainName: string;
    domainPrefix: string;
    http: { method: string; path: string; protocol: string; sourceIp: string; userAgent: string };
    requestId: string;
    routeKey: '$default';
    stage: '$default';
    time: string;
    timeEpoch: number;
  };
  body?: string;
  isBase64Encoded: boolean;
}

export type { HttpAnswer };

export interface HttpFrontDoorOptions {
  /** Where REPORT lines and mapping problems go; default: standard error. */
  log?: (line: string) => void;
}

export class HttpFrontDoor {
  private readonly invoker: Invoker;
  private readonly log: (line: string) => void;

  constructor(invoker: Invoker, options: HttpFrontDoorOptions = {}) {
    this.invoker = invoker;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Turns one HTTP request into an invocation and its outcome into the HTTP answer. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    // A client gone mid-answer is not the server's problem: logged, never an unhandled 'error'.
    res.on('error', (error) => this.log(`front door: ${req.method} ${url.pathname}: the answer could not be written: ${error.message}`));
    const event = functionUrlEvent(req, url, body, requestId);
    const payload = Buffer.from(JSON.stringify(event));
    if (payload.length > MAX_EVENT_BYTES) {
      return sendAnswer(res, errorAnswer(413, 'Request Entity Too Large'));
    }
    let streamed = false;
    let prelude: Buffer | undefined;
    // A streamed 204/304: its body bytes are dropped.
    let bodyless = false;
    const fail = (reason: string): void => {
      this.log(`front door: ${reason}; answering 502`);
      sendAnswer(res, errorAnswer(502, 'Internal Server Error'), requestId);
    };
    const options: InvokeOptions = {
      requestId,
      onResponseStart: (headers) => {
        streamed = true;
        const type = headers['content-type'] ?? 'application/octet-stream';
        if (type === HTTP_INTEGRATION_CONTENT_TYPE) {
          prelude = Buffer.alloc(0);
          return;
        }
        if (res.destroyed || res.headersSent) return;
        const framed = frameAnswer({ statusCode: 200, headers: { 'content-type': type }, cookies: [], body: Buffer.alloc(0) });
        if (framed instanceof Error) return fail(framed.message);
        res.writeHead(200, headersFor(framed.answer, requestId, true));
        res.flushHeaders();
      },
      onChunk: (data) => {
        // Gone, or already answered (a bad prelude got its 502): the rest of the stream is dropped.
        if (res.destroyed || res.writableEnded) return undefined;
        if (prelude !== undefined) {
          // Until the delimiter, bytes belong to the prelude; after it, to the body.
          prelude = Buffer.concat([prelude, data]);
          const end = prelude.indexOf(PRELUDE_DELIMITER);
          if (end < 0) return undefined;
          const rest = prelude.subarray(end + PRELUDE_DELIMITER.length);
          const answer = preludeAnswer(prelude.subarray(0, end));
          prelude = undefined;
          const framed = answer instanceof Error ? answer : frameAnswer(answer);
          if (framed instanceof Error) {
            fail(framed.message);
            return undefined;
          }
          if (framed.dropped.length > 0) this.log(`front door: dropped from the function's streamed answer: ${framed.dropped.join(', ')}`);
          bodyless = forbidsBody(framed.answer.statusCode);
          res.writeHead(framed.answer.statusCode, headersFor(framed.answer, requestId, true));
          res.flushHeaders();
          if (bodyless) return undefined;
          return rest.length === 0 || res.write(rest) ? undefined : drained(res);
        }
        if (bodyless) return undefined;
        return res.write(data) ? undefined : drained(res);
      },
    };
    const outcome = await this.invoker.invoke(payload, options);
    this.log(outcome.report);
    if (res.headersSent || res.writableEnded) {
      // A streamed answer: its end is the end of the invocation; an error after the first byte
      // cuts the connection, as the function URL does.
      if (outcome.kind !== 'response') return void res.destroy();
      return void res.end();
    }
    if (streamed && prelude !== undefined && outcome.kind === 'response') {
      // The stream ended inside the prelude: the handler never wrote the delimiter.
      const answer = preludeAnswer(prelude);
      if (!(answer instanceof Error)) return this.send(res, answer, requestId);
      return fail(answer.message);
    }
    if (outcome.kind !== 'response') {
      // The runtime's own type first (CredentialsProviderError): the recorded one alone
      // (Runtime.Unknown for any type outside Lambda's naming) hides what went wrong.
      const recorded = outcome.recordedErrorType !== undefined && outcome.recordedErrorType !== outcome.errorType ? `, recorded by Lambda as ${outcome.recordedErrorType}` : '';
      this.log(`front door: the function failed (${outcome.errorType ?? outcome.recordedErrorType ?? outcome.kind}${recorded}); answering 502`);
      return sendAnswer(res, errorAnswer(502, 'Internal Server Error'), requestId);
    }
    const answer = bufferedAnswer(outcome);
    if (answer instanceof Error) return fail(answer.message);
    this.send(res, answer, requestId);
  }

  /** The function's answer, framed (http-framing.ts), or the 502 when it cannot be sent. */
  private send(res: http.ServerResponse, answer: HttpAnswer, requestId: string): void {
    const framed = frameAnswer(answer);
    if (framed instanceof Error) {
      this.log(`front door: ${framed.message}; answering 502`);
      return sendAnswer(res, errorAnswer(502, 'Internal Server Error'), requestId);
    }
    if (framed.dropped.length > 0) this.log(`front door: dropped from the function's answer: ${framed.dropped.join(', ')}`);
    sendAnswer(res, framed.answer, requestId);
  }
}

/** The function URL event for one request. */
export function functionUrlEvent(req: http.IncomingMessage, url: URL, body: Buffer, requestId: string, now = new Date()): FunctionUrlEvent {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  // rawHeaders keeps repeats apart; names are lower-cased and repeats joined with commas.
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies = [...(cookies ?? []), ...value.split(';').map((c) => c.trim()).filter((c) => c !== '')];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const host = headers.host ?? 'localhost';
  const socket = req.socket;
  headers['x-forwarded-for'] ??= socket.remoteAddress ?? '127.0.0.1';
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= String(socket.localPort ?? '');
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const event: FunctionUrlEvent = {
    version: '2.0',
    routeKey: '$default',
    rawPath: rawPathOf(req.url ?? '/'),
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: URL_ID,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: req.method ?? 'GET',
        path: safeDecode(url.pathname),
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies !== undefined) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (body.length > 0) {
    const asText = TEXT_TYPE.test(headers['content-type'] ?? '') && isUtf8(body);
    event.body = asText ? body.toString('utf8') : body.toString('base64');
    event.isBase64Encoded = !asText;
  }
  return event;
}

/** The function's buffered result as an HTTP answer, or an Error saying why it is not one. */
export function bufferedAnswer(outcome: Pick<InvocationOutcome, 'body'>): HttpAnswer | Error {
  let result: unknown;
  try {
    result = JSON.parse(outcome.body.toString('utf8'));
  } catch {
    return new Error('the function returned a body that is not JSON');
  }
  if (result === null || typeof result !== 'object' || Array.isArray(result) || !('statusCode' in result)) {
    // Format 2.0 infers a 200 JSON response whose body is the function's response as it is.
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: outcome.body };
  }
  const r = result as Record<string, unknown>;
  const status = statusOf(r.statusCode);
  if (status instanceof Error) return status;
  const headers = headersOf(r.headers);
  if (headers instanceof Error) return headers;
  const cookies = cookiesOf(r.cookies);
  if (cookies instanceof Error) return cookies;
  let body: Buffer = Buffer.alloc(0);
  if (r.body !== undefined && r.body !== null) {
    if (typeof r.body !== 'string') return new Error(`the response's body must be a string, got ${typeof r.body}`);
    if (r.isBase64Encoded === true) {
      const decoded = decodeBase64(r.body);
      if (decoded instanceof Error) return decoded;
      body = decoded;
    } else {
      body = Buffer.from(r.body, 'utf8');
    }
  }
  return { statusCode: status, headers, cookies, body };
}

/** The prelude of a streamed HTTP response: `{"statusCode","headers","cookies"}` as JSON. */
export function preludeAnswer(prelude: Buffer): HttpAnswer | Error {
  let value: unknown;
  try {
    value = prelude.length === 0 ? {} : JSON.parse(prelude.toString('utf8'));
  } catch {
    return new Error('the streamed response prelude is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return new Error('the streamed response prelude is not a JSON object');
  const r = value as Record<string, unknown>;
  const status = r.statusCode === undefined ? 200 : statusOf(r.statusCode);
  if (status instanceof Error) return status;
  const headers = headersOf(r.headers);
  if (headers instanceof Error) return headers;
  const cookies = cookiesOf(r.cookies);
  if (cookies instanceof Error) return cookies;
  return { statusCode: status, headers, cookies, body: Buffer.alloc(0) };
}

function statusOf(value: unknown): number | Error {
  const status = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return new Error(`the response's statusCode must be an HTTP status (100-599), got ${JSON.stringify(value)}`);
  }
  return status;
}

function headersOf(value: unknown): Record<string, string> | Error {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return new Error('the response\'s headers must be an object');
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      return new Error(`the response's header ${name} must be a string, number or boolean`);
    }
    headers[name.toLowerCase()] = String(v);
  }
  return headers;
}

function cookiesOf(value: unknown): string[] | Error {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string')) return new Error('the response\'s cookies must be an array of strings');
  return value as string[];
}

/** Writes an answer that is known to be sendable (framed, or the service's own): its own
 * Content-Length, never a body on 204/304. Once headers are out, only the end is left to write. */
function sendAnswer(res: http.ServerResponse, answer: HttpAnswer, requestId: string = randomUUID()): void {
  if (res.destroyed || res.writableEnded) return;
  if (res.headersSent) return void res.end();
  res.writeHead(answer.statusCode, headersFor(answer, requestId, false));
  res.end(forbidsBody(answer.statusCode) ? undefined : answer.body);
}

/** The answer a function URL gives when it cannot produce the function's: `{"Message":…}`. */
function errorAnswer(statusCode: number, message: string): HttpAnswer {
  return { statusCode, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalServerError' }, cookies: [], body: Buffer.from(JSON.stringify({ Message: message })) };
}

function rawPathOf(requestUrl: string): string {
  const q = requestUrl.indexOf('?');
  return q < 0 ? requestUrl : requestUrl.slice(0, q);
}


function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/** `dd/Mon/yyyy:HH:mm:ss +0000`, the requestContext.time format. */
function clfTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

