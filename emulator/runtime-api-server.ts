// The HTTP side of the Runtime API (/2018-06-01/runtime/*) and of the Extensions API
// (/2020-01-01/extension/*), as the Lambda service serves them. It parses requests, applies planted
// faults, records every request, and leaves the bookkeeping to a RuntimeApiBackend (the Emulator).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultPlan, faultBody } from './faults.ts';
import type { RestoreGate } from './restore.ts';
import type { Fault, FaultRoute } from './faults.ts';
import type { Invocation, Settlement } from './invocation.ts';
import { closeServer, hostAndPort } from './listening.ts';
import {
  ACCEPTED,
  INVALID_REQUEST_ID,
  MAX_BUFFERED_RESPONSE_BYTES,
  MAX_STREAMED_RESPONSE_BYTES,
  PAYLOAD_TOO_LARGE,
  apiError,
  invalidStateTransition,
  recordedErrorType,
} from './service-errors.ts';

export interface RecordedRequest {
  method: string;
  /** The raw request target, as sent (request ids stay URL-encoded). */
  path: string;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  body: Buffer;
  /** 0 while unanswered, or when the connection was closed without an answer. */
  status: number;
  responseBody: string;
  /** performance.now() when the request arrived. */
  atMs: number;
}

export type ResultTarget =
  | { kind: 'open'; invocation: Invocation }
  | { kind: 'settled' }
  | { kind: 'unknown' };

export interface RuntimeApiBackend {
  /** Called on every request from the runtime. */
  onRequest(): void;
  /** A GET /next arrived (before any fault shapes its answer): the end of init, the first time. */
  nextArrived(): void;
  /** The /next long poll: the invocation to deliver, or undefined once `signal` aborts. */
  nextInvocation(signal: AbortSignal): Promise<Invocation | undefined>;
  /** The delivery of `invocation` failed on the wire: offer it again. */
  redeliver(invocation: Invocation): void;
  lookup(requestId: string): ResultTarget;
  settle(invocation: Invocation, settlement: Settlement): void;
  /** false when the init phase is over (the process already asked for /next, or reported before). */
  initError(settlement: Settlement): boolean;
  registerExtension(name: string, events: string[]): { identifier: string; body: string };
  /** undefined for an unknown identifier; else resolves with the next event, or undefined on abort. */
  extensionNext(identifier: string, signal: AbortSignal): Promise<string | undefined> | undefined;
}

const RUNTIME = '/2018-06-01/runtime';
const EXTENSION = '/2020-01-01/extension';
const RESULT_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;
const EMPTY = Buffer.alloc(0);

export class RuntimeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults = new FaultPlan();
  /** Set for a SnapStart function (restore.ts): the restore routes exist only then. */
  restoreGate: RestoreGate | undefined;
  private readonly backend: RuntimeApiBackend;
  private readonly server: http.Server;

  constructor(backend: RuntimeApiBackend) {
    this.backend = backend;
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(apiError('EmulatorError', `The emulator failed on ${req.method} ${req.url}: ${String(error)}`));
        }
      });
    });
    // Long polls may legitimately stay open for a long time.
    this.server.requestTimeout = 0;
    this.server.keepAliveTimeout = 60_000;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** `host:port`, the value of AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    return hostAndPort(this.server);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: flattenHeaders(req.headers),
      trailers: {},
      body: EMPTY,
      status: 0,
      responseBody: '',
      atMs: performance.now(),
    };
    this.requests.push(record);
    this.backend.onRequest();
    const path = record.path.split('?')[0] ?? '';
    const method = record.method;
    const result = RESULT_PATH.exec(path);

    if (method === 'GET' && path === `${RUNTIME}/invocation/next`) {
      this.backend.nextArrived();
      const fault = await this.applyFault('next', req, res, record);
      if (fault !== 'answered') await this.next(res, record, fault);
    } else if (method === 'POST' && result !== null) {
      const route = result[2] === 'response' ? 'response' : 'error';
      if ((await this.applyFault(route, req, res, record)) === 'answered') return;
      await this.result(req, res, record, result[1] ?? '', route);
    } else if (method === 'POST' && path === `${RUNTIME}/init/error`) {
      if ((await this.applyFault('init-error', req, res, record)) === 'answered') return;
      await this.initError(req, res, record);
    } else if (method === 'POST' && path === `${EXTENSION}/register`) {
      await this.register(req, res, record);
    } else if (method === 'GET' && path === `${EXTENSION}/event/next`) {
      await this.extensionNext(res, record);
    } else if (this.restoreGate !== undefined && path.startsWith(`${RUNTIME}/restore/`)) {
      record.body = await readAll(req);
      Object.assign(record, await this.restoreGate.handle(method, path, record.body, record.headers, res));
    } else {
      record.body = await readAll(req);
      send(res, record, 404, apiError('NotFound', `Unknown Runtime API path: ${method} ${record.path}`));
    }
  }

  /** Applies a planted fault. 'answered' when the fault replaced the answer; else the fault (if
   * any) that shapes the normal /next answer. */
  private async applyFault(
    route: FaultRoute,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RecordedRequest,
  ): Promise<'answered' | Fault | undefined> {
    const fault = this.faults.take(route);
    if (fault === undefined) return undefined;
    switch (fault.kind) {
      case 'status':
        record.body = await readAll(req);
        send(res, record, fault.status, fault.body ?? faultBody(fault.status));
        return 'answered';
      case 'close':
        req.socket.destroy();
        return 'answered';
      case 'delay':
        await sleep(fault.ms);
        return undefined;
      default:
        return fault;
    }
  }

  private async next(res: http.ServerResponse, record: RecordedRequest, fault: Fault | undefined): Promise<void> {
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    res.once('close', onClose);
    const invocation = await this.backend.nextInvocation(abort.signal);
    res.off('close', onClose);
    if (invocation === undefined) return;
    if (res.destroyed) {
      this.backend.redeliver(invocation);
      return;
    }
    const headers = nextHeaders(invocation);
    if (fault?.kind === 'omit-header') {
      const omitted = fault.header.toLowerCase();
      for (const name of Object.keys(headers)) if (name.toLowerCase() === omitted) delete headers[name];
    }
    const payload = invocation.payload;
    record.status = 200;
    if (fault?.kind === 'truncate') {
      // Promise more than we send, then cut the connection: the runtime must cope with a broken read.
      const half = payload.subarray(0, Math.floor(payload.length / 2));
      record.responseBody = half.toString('utf8');
      res.writeHead(200, { ...headers, 'Content-Length': String(Math.max(payload.length, 1) * 2) });
      res.write(half, () => res.socket?.destroy());
      this.backend.redeliver(invocation);
      return;
    }
    record.responseBody = payload.toString('utf8');
    res.writeHead(200, { ...headers, 'Content-Length': String(payload.length) });
    res.end(payload);
  }

  private async result(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RecordedRequest,
    encodedId: string,
    route: 'response' | 'error',
  ): Promise<void> {
    const requestId = decodeId(encodedId);
    const target = requestId === undefined ? ({ kind: 'unknown' } as const) : this.backend.lookup(requestId);
    if (target.kind !== 'open' || target.invocation.resultInProgress) {
      record.body = await readAll(req);
      if (target.kind === 'unknown') return send(res, record, 400, INVALID_REQUEST_ID);
      return send(res, record, 403, invalidStateTransition(`a result was already posted for request ${requestId}`));
    }
    const invocation = target.invocation;
    const mode = record.headers['lambda-runtime-function-response-mode'];
    if (route === 'response' && mode !== undefined && mode !== 'streaming') {
      record.body = await readAll(req);
      return send(
        res,
        record,
        400,
        apiError('InvalidFunctionResponseMode', `Unsupported Lambda-Runtime-Function-Response-Mode '${mode}'; use 'streaming' or omit the header`),
      );
    }
    if (route === 'response' && mode === 'streaming') return this.stream(req, res, record, invocation);

    const { body, size } = await readLimited(req, MAX_BUFFERED_RESPONSE_BYTES);
    record.body = body;
    record.trailers = flattenHeaders(req.trailers);
    if (route === 'response' && size > MAX_BUFFERED_RESPONSE_BYTES) return send(res, record, 413, PAYLOAD_TOO_LARGE);
    if (invocation.state === 'settled') {
      return send(res, record, 403, invalidStateTransition(`request ${invocation.requestId} has already ended`));
    }
    if (route === 'response') {
      this.backend.settle(invocation, { kind: 'response', body, headers: record.headers, trailers: record.trailers });
    } else {
      const sentType = record.headers['lambda-runtime-function-error-type'];
      this.backend.settle(invocation, {
        kind: 'error',
        body,
        headers: record.headers,
        trailers: record.trailers,
        errorType: sentType ?? bodyErrorType(body),
        recordedErrorType: recordedErrorType(sentType),
      });
    }
    send(res, record, 202, ACCEPTED);
  }

  private async stream(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RecordedRequest,
    invocation: Invocation,
  ): Promise<void> {
    invocation.resultInProgress = true;
    invocation.options.onResponseStart?.(record.headers);
    let received = 0;
    // Pieces the caller has not taken yet: while any is pending, the runtime's bytes stay in the
    // socket, so a slow caller slows the runtime down as it does on Lambda.
    let pending = 0;
    const complete = await new Promise<boolean>((resolve) => {
      req.on('data', (data: Buffer) => {
        received += data.length;
        // Past the limit the bytes are counted, not kept.
        if (received > MAX_STREAMED_RESPONSE_BYTES) return;
        const taken = invocation.addChunk(data);
        if (!(taken instanceof Promise)) return;
        pending += 1;
        req.pause();
        const release = (): void => {
          pending -= 1;
          if (pending === 0) req.resume();
        };
        taken.then(release, release);
      });
      req.once('end', () => resolve(true));
      req.once('close', () => resolve(req.complete));
      req.once('error', () => resolve(false));
    });
    const body = invocation.joinChunks();
    record.body = body;
    if (!complete) {
      // The runtime went away mid-stream; it may still report an error for this invocation.
      invocation.resultInProgress = false;
      return;
    }
    record.trailers = flattenHeaders(req.trailers);
    if (invocation.state === 'settled') {
      return send(res, record, 403, invalidStateTransition(`request ${invocation.requestId} has already ended`));
    }
    const common = { headers: record.headers, trailers: record.trailers, streaming: true };
    if (received > MAX_STREAMED_RESPONSE_BYTES) {
      const errorBody = apiError(
        'Function.ResponseSizeTooLarge',
        `Response payload size exceeded maximum allowed payload size (${MAX_STREAMED_RESPONSE_BYTES} bytes).`,
      );
      this.backend.settle(invocation, {
        ...common,
        kind: 'error',
        body: Buffer.from(errorBody),
        errorType: 'Function.ResponseSizeTooLarge',
        recordedErrorType: 'Function.ResponseSizeTooLarge',
      });
      return send(res, record, 413, errorBody);
    }
    const errorType = record.trailers['lambda-runtime-function-error-type'];
    if (errorType !== undefined && errorType !== '') {
      const encoded = record.trailers['lambda-runtime-function-error-body'];
      const errorBody =
        encoded === undefined ? Buffer.from(JSON.stringify({ errorType, errorMessage: '' })) : Buffer.from(encoded, 'base64');
      this.backend.settle(invocation, {
        ...common,
        kind: 'error',
        body: errorBody,
        errorType,
        recordedErrorType: recordedErrorType(errorType),
      });
    } else {
      this.backend.settle(invocation, { ...common, kind: 'response', body });
    }
    send(res, record, 202, ACCEPTED);
  }

  private async initError(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    const body = await readAll(req);
    record.body = body;
    const sentType = record.headers['lambda-runtime-function-error-type'];
    const accepted = this.backend.initError({
      kind: 'init-error',
      body,
      headers: record.headers,
      errorType: sentType ?? bodyErrorType(body),
      recordedErrorType: recordedErrorType(sentType),
    });
    if (!accepted) return send(res, record, 403, invalidStateTransition('init/error after the init phase ended'));
    send(res, record, 202, ACCEPTED);
  }

  private async register(req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    record.body = await readAll(req);
    const name = record.headers['lambda-extension-name'];
    if (name === undefined || name === '') {
      return send(res, record, 400, apiError('InvalidRequest', 'Missing Lambda-Extension-Name header'));
    }
    let events: string[] = [];
    try {
      const parsed: unknown = record.body.length === 0 ? {} : JSON.parse(record.body.toString('utf8'));
      const list = (parsed as { events?: unknown }).events;
      if (Array.isArray(list)) events = list.map(String);
    } catch {
      return send(res, record, 400, apiError('InvalidRequestFormat', 'The register body must be JSON like {"events":["SHUTDOWN"]}'));
    }
    const registration = this.backend.registerExtension(name, events);
    record.status = 200;
    record.responseBody = registration.body;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Lambda-Extension-Identifier': registration.identifier });
    res.end(registration.body);
  }

  private async extensionNext(res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    const identifier = record.headers['lambda-extension-identifier'] ?? '';
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    res.once('close', onClose);
    const event = this.backend.extensionNext(identifier, abort.signal);
    if (event === undefined) {
      res.off('close', onClose);
      return send(res, record, 403, apiError('Extension.InvalidExtensionIdentifier', `Unknown Lambda-Extension-Identifier '${identifier}'; register first`));
    }
    const body = await event;
    res.off('close', onClose);
    if (body === undefined || res.destroyed) return;
    send(res, record, 200, body);
  }
}

/** The /next response headers for an invocation (its deadline has been set on delivery). */
function nextHeaders(invocation: Invocation): Record<string, string> {
  const options = invocation.options;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
    'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs ?? Date.now()),
    'Lambda-Runtime-Invoked-Function-Arn': invocation.invokedFunctionArn,
  };
  if (invocation.traceId !== undefined) headers['Lambda-Runtime-Trace-Id'] = invocation.traceId;
  if (options.clientContext !== undefined) headers['Lambda-Runtime-Client-Context'] = options.clientContext;
  if (options.cognitoIdentity !== undefined) headers['Lambda-Runtime-Cognito-Identity'] = options.cognitoIdentity;
  if (options.tenantId !== undefined) headers['Lambda-Runtime-Aws-Tenant-Id'] = options.tenantId;
  return headers;
}

function send(res: http.ServerResponse, record: RecordedRequest, status: number, body: string): void {
  record.status = status;
  record.responseBody = body;
  if (res.destroyed) return;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export function flattenHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function decodeId(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

function bodyErrorType(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const type = (parsed as { errorType?: unknown } | null)?.errorType;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the whole body, keeping at most `limit` bytes; `size` is the full size received. */
async function readLimited(req: http.IncomingMessage, limit: number): Promise<{ body: Buffer; size: number }> {
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    if (size + piece.length <= limit) pieces.push(piece);
    size += piece.length;
  }
  return { body: Buffer.concat(pieces), size };
}

async function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return (await readLimited(req, Number.MAX_SAFE_INTEGER)).body;
}
