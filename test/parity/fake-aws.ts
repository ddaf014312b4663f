// The AWS the parity functions talk to, on 127.0.0.1: just enough of S3 (path-style GetObject /
// PutObject, REST-XML), DynamoDB (GetItem / PutItem, JSON 1.0) and an X-Ray daemon (UDP) for the
// real SDK and Powertools code paths to run end to end, plus an /echo route for the preload
// function. Hand-written because no maintained npm package serves both protocols on a local port
// without Docker or Java (LocalStack, DynamoDB Local), and the suite needs every request recorded
// so that what each runtime made the SDK send can be compared (X-Amzn-Trace-Id from InvokeStore).
// Wire formats: the S3 API reference (GetObject, PutObject, Error responses) and the DynamoDB
// low-level API (X-Amz-Target `DynamoDB_20120810.*`, `__type` errors).
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the runtime's function sent it: what the comparison looks at. */
export interface RecordedCall {
  method: string;
  path: string;
  /** X-Amz-Target for DynamoDB, else empty. */
  target: string;
  /** The X-Ray trace header the SDK (recursion detection middleware) or X-Ray SDK added, if any. */
  traceHeader: string | undefined;
  /** Headers the preload function's instrumentation adds. */
  preloadHeader: string | undefined;
  /** The W3C trace context the SDK added from the InvokeStore: `traceparent|tracestate|baggage`, or undefined. */
  w3c: string | undefined;
  body: string;
}

/** Objects every run starts with (bucket `parity-bucket`). */
const SEEDED_OBJECTS: Record<string, string> = { 'hello.txt': 'hello from the fake S3\n' };
const FIXED_DATE = 'Wed, 01 Jan 2025 00:00:00 GMT';

export class FakeAws {
  readonly calls: RecordedCall[] = [];
  /** Raw X-Ray segment documents received by the daemon port, in arrival order. */
  readonly segments: unknown[] = [];
  /** OTLP/HTTP JSON trace exports received on /v1/traces (the OpenTelemetry collector stub), in arrival order. */
  readonly otlpExports: unknown[] = [];
  /** Sentry envelopes received on /api/<project>/envelope/ (the Sentry stub), raw, in arrival order. */
  readonly sentryEnvelopes: string[] = [];
  private readonly objects = new Map<string, string>();
  private readonly items = new Map<string, unknown>();
  private readonly server: Server;
  private readonly daemon: Socket;

  private constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
    this.daemon = createSocket('udp4');
    this.daemon.on('message', (message) => this.onSegment(message));
  }

  static async start(): Promise<FakeAws> {
    const fake = new FakeAws();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => fake.daemon.bind(0, '127.0.0.1', resolve));
    return fake;
  }

  /** `http://127.0.0.1:port`: AWS_ENDPOINT_URL for the SDK. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** `127.0.0.1:port`: AWS_XRAY_DAEMON_ADDRESS. */
  get daemonAddress(): string {
    return `127.0.0.1:${this.daemon.address().port}`;
  }

  /** Back to the seeded state with nothing recorded: each runtime's run starts from the same AWS. */
  reset(): void {
    this.calls.length = 0;
    this.segments.length = 0;
    this.otlpExports.length = 0;
    this.sentryEnvelopes.length = 0;
    this.objects.clear();
    for (const [key, value] of Object.entries(SEEDED_OBJECTS)) this.objects.set(key, value);
    this.items.clear();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.daemon.close(() => resolve()));
  }

  private onSegment(message: Buffer): void {
    // The daemon protocol: a JSON header line, a newline, then the segment document.
    const text = message.toString('utf8');
    const newline = text.indexOf('\n');
    try {
      this.segments.push(JSON.parse(text.slice(newline + 1)));
    } catch {
      this.segments.push({ unparsable: text });
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const header = (name: string): string | undefined => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(',') : value;
      };
      const target = header('x-amz-target') ?? '';
      // The collector stub: exports are observed as spans, not as requests to AWS.
      if (req.method === 'POST' && url.pathname === '/v1/traces') {
        this.otlpExports.push(JSON.parse(body));
        return send(res, 200, 'application/json', '{}');
      }
      if (req.method === 'POST' && /^\/api\/\d+\/envelope\/?$/.test(url.pathname)) {
        this.sentryEnvelopes.push(body);
        return send(res, 200, 'application/json', '{}');
      }
      this.calls.push({
        method: req.method ?? '',
        path: url.pathname,
        target,
        traceHeader: header('x-amzn-trace-id'),
        preloadHeader: header('x-parity-preload'),
        w3c: header('traceparent') === undefined ? undefined : `${header('traceparent')}|${header('tracestate') ?? ''}|${header('baggage') ?? ''}`,
        body: decodeChunkedPayload(body, header('content-encoding'), header('x-amz-content-sha256')),
      });
      if (url.pathname === '/echo') return send(res, 200, 'application/json', JSON.stringify({ preload: header('x-parity-preload') ?? null }));
      if (target.startsWith('DynamoDB_20120810.')) return this.dynamodb(target.slice('DynamoDB_20120810.'.length), body, res);
      return this.s3(req.method ?? 'GET', url.pathname, body, res);
    });
  }

  private s3(method: string, path: string, body: string, res: ServerResponse): void {
    const match = /^\/([^/]+)\/(.+)$/.exec(path);
    if (match === null || match[1] !== 'parity-bucket') {
      return s3Error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    }
    const key = decodeURIComponent(match[2] ?? '');
    if (method === 'PUT') {
      const stored = decodeChunkedPayload(body, undefined, undefined);
      this.objects.set(key, stored);
      res.setHeader('ETag', etag(stored));
      return send(res, 200, undefined, '');
    }
    if (method === 'GET') {
      const object = this.objects.get(key);
      if (object === undefined) return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', key);
      res.setHeader('ETag', etag(object));
      res.setHeader('Last-Modified', FIXED_DATE);
      return send(res, 200, 'text/plain', object);
    }
    return s3Error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  private dynamodb(operation: string, body: string, res: ServerResponse): void {
    const input = JSON.parse(body) as { TableName?: string; Key?: unknown; Item?: Record<string, unknown> };
    if (input.TableName !== 'parity-table') {
      return dynamoError(res, 'ResourceNotFoundException', 'Requested resource not found');
    }
    if (operation === 'PutItem') {
      const item = input.Item ?? {};
      this.items.set(JSON.stringify(item.pk), item);
      return send(res, 200, 'application/x-amz-json-1.0', '{}');
    }
    if (operation === 'GetItem') {
      const key = (input.Key ?? {}) as Record<string, unknown>;
      const item = this.items.get(JSON.stringify(key.pk));
      return send(res, 200, 'application/x-amz-json-1.0', JSON.stringify(item === undefined ? {} : { Item: item }));
    }
    return dynamoError(res, 'UnknownOperationException', `Unknown operation ${operation}`);
  }
}

function send(res: ServerResponse, status: number, contentType: string | undefined, body: string): void {
  res.statusCode = status;
  if (contentType !== undefined) res.setHeader('Content-Type', contentType);
  res.setHeader('x-amz-request-id', 'PARITYREQUEST');
  res.setHeader('Date', FIXED_DATE);
  res.end(body);
}

function s3Error(res: ServerResponse, status: number, code: string, message: string, key?: string): void {
  const keyXml = key === undefined ? '' : `<Key>${key}</Key>`;
  send(res, status, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${keyXml}<RequestId>PARITYREQUEST</RequestId><HostId>parity</HostId></Error>`);
}

function dynamoError(res: ServerResponse, type: string, message: string): void {
  send(res, 400, 'application/x-amz-json-1.0', JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
}

function etag(text: string): string {
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `"${hash.toString(16).padStart(8, '0')}"`;
}

/**
 * S3 uploads from recent SDKs use `aws-chunked` encoding with a trailing checksum
 * (`<hex size>\r\n<data>\r\n0\r\nx-amz-checksum-crc32:…\r\n\r\n`): returns the data alone.
 */
function decodeChunkedPayload(body: string, contentEncoding: string | undefined, sha: string | undefined): string {
  const chunked = contentEncoding?.includes('aws-chunked') === true || sha?.startsWith('STREAMING-') === true || /^[0-9a-f]+\r\n/.test(body);
  if (!chunked) return body;
  let rest = body;
  let data = '';
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) return body;
    const size = Number.parseInt(rest.slice(0, lineEnd).split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) return body;
    if (size === 0) return data;
    data += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}
