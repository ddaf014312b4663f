// The HTTP side of the Runtime API (/2018-06-01/runtime/*) and of the Extensions API
// (/2020-01-01/extension/*), as the Lambda service serves them. It parses requests, applies planted
// faults, records every request, and leaves the state machines to a RuntimeApiBackend (the
// Emulator), which answers with the rows of emulator/runtime-api/state-table.ts. How it reads and writes the
// wire's details (headers in UTF-8, Go's JSON, ids, bodies) is runtime-api-wire.ts.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { runtimeApiRefusal } from '../caller-guard.ts';
import { FaultPlan, faultBody } from './faults.ts';
import { discardBody } from '../limits.ts';
import { newInvocationId } from '../managed-instances.ts';
import type { Fault, FaultRoute } from './faults.ts';
import type { Invocation, Settlement } from '../invocation.ts';
import { closeServer, hostAndPort, listen } from '../listening.ts';
import { MAX_BUFFERED_RESPONSE_BYTES, MAX_STREAMED_RESPONSE_BYTES, apiError, recordedErrorType } from '../service-errors.ts';
import { extensionRow } from './extension-state-table.ts';
import { ACCEPTED_BODY, goMarshal } from './rie-bodies.ts';
import { runtimeRow } from './state-table.ts';
import type { BodyParams, Row } from './state-table.ts';
import { UUID, bodyErrorType, canonicalUuid, caseInsensitive, decodeId, flattenHeaders, goJsonSyntaxError, nextHeaders, readAll, readLimited } from './runtime-api-wire.ts';

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

/** A complete answer the server writes as is. */
export interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Default application/json; Go's http.NotFound writes text/plain. */
  contentType?: string;
}

export type NextResult = { kind: 'event'; invocation: Invocation } | { kind: 'answer'; answer: Answer } | { kind: 'aborted' };

export type ResultGate = { kind: 'open'; invocation: Invocation } | { kind: 'answer'; answer: Answer };

export interface RegisterRequest {
  name: string;
  events: string[];
  wantsAccountId: boolean;
}

/** The service's side: the state machines of emulator/runtime-api/state-table.ts applied to one sandbox. */
export interface RuntimeApiBackend {
  /** Called on every request from the runtime. */
  onRequest(): void;
  /** GET /next: resolves with the event to deliver, a refusal, or 'aborted' when the poll closed. */
  runtimeNext(signal: AbortSignal): Promise<NextResult>;
  /** The delivery of `invocation` failed on the wire: offer it again. */
  redeliver(invocation: Invocation): void;
  /** The request-id guard and the state machine for a result post; `echoedInvocationId` is its
   * Lambda-Runtime-Invocation-Id header (undefined when absent). */
  resultGate(requestId: string | undefined, route: 'response' | 'error', echoedInvocationId: string | undefined): ResultGate;
  /** A (streamed) result body started arriving: InvocationResponse until it ends. */
  resultStarted(invocation: Invocation): void;
  /** The runtime went away mid-body: the invocation is Running again. */
  resultAbandoned(invocation: Invocation): void;
  /** Records the result; the runtime becomes RuntimeResponseSentState. */
  settle(invocation: Invocation, settlement: Settlement): void;
  /** A bad response mode: the invocation fails, the runtime stays in InvocationResponse. */
  badResponseMode(invocation: Invocation, settlement: Settlement): void;
  initError(settlement: Settlement): Answer;
  /** SnapStart routes exist only when the function has SnapStart on. */
  readonly snapStart: boolean;
  restoreNext(signal: AbortSignal): Promise<Answer | undefined>;
  restoreError(settlement: Settlement): Answer;
  registerExtension(request: RegisterRequest): Answer;
  /** undefined once `signal` aborts. */
  extensionNext(identifier: string, signal: AbortSignal): Promise<Answer | undefined>;
  extensionError(identifier: string, kind: 'init' | 'exit', errorType: string): Answer;
  /** A planted status fault answered a result post in the service's place. */
  faultAnswered(route: 'response' | 'error', requestId: string | undefined, status: number): void;
}

const RUNTIME = '/2018-06-01/runtime';
const EXTENSION = '/2020-01-01/extension';
const RESULT_PATH = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/;
const EMPTY = Buffer.alloc(0);

export class RuntimeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults = new FaultPlan();
  private readonly backend: RuntimeApiBackend;
  private readonly server: http.Server;
  private readonly invocationIds: boolean;

  /** `invocationIds`: give every delivery a Lambda-Runtime-Invocation-Id (the 2026 Runtime API). */
  constructor(backend: RuntimeApiBackend, invocationIds = true) {
    this.backend = backend;
    this.invocationIds = invocationIds;
    this.server = http.createServer((req, res) => {
      // Only the runtime process may call (caller-guard.ts): never a web page in a browser.
      const refusal = runtimeApiRefusal(req);
      if (refusal !== undefined) {
        const body = apiError('AccessDeniedException', refusal);
        return void discardBody(req).then(() => {
          res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' });
          res.end(body);
        });
      }
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

  /** `alsoAnswered`: uids besides this process's whose connections are answered (the runtime's user). */
  listen(host: string, port: number, alsoAnswered: readonly number[] = []): Promise<void> {
    return listen(this.server, port, host, alsoAnswered);
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
      const fault = await this.applyFault('next', req, res, record);
      if (fault !== 'answered') await this.next(res, record, fault);
    } else if (method === 'POST' && result !== null) {
      const route = result[2] === 'response' ? 'response' : 'error';
      const requestId = decodeId(result[1] ?? '');
      const fault = await this.applyFault(route, req, res, record);
      if (fault === 'answered') {
        if (record.status >= 400 && record.status < 500) this.backend.faultAnswered(route, requestId, record.status);
        return;
      }
      await this.result(req, res, record, requestId, route);
    } else if (method === 'POST' && path === `${RUNTIME}/init/error`) {
      if ((await this.applyFault('init-error', req, res, record)) === 'answered') return;
      record.body = await readAll(req);
      answer(res, record, this.backend.initError(this.errorSettlement('init-error', record)));
    } else if ((path === `${RUNTIME}/restore/next` || path === `${RUNTIME}/restore/error`) && !this.backend.snapStart) {
      record.body = await readAll(req);
      answer(res, record, { status: 404, body: '404 page not found\n', contentType: 'text/plain; charset=utf-8' });
    } else if (method === 'GET' && path === `${RUNTIME}/restore/next`) {
      await this.restoreNext(res, record);
    } else if (method === 'POST' && path === `${RUNTIME}/restore/error`) {
      record.body = await readAll(req);
      answer(res, record, this.backend.restoreError(this.errorSettlement('error', record)));
    } else if (method === 'POST' && path === `${EXTENSION}/register`) {
      record.body = await readAll(req);
      answer(res, record, this.register(record));
    } else if (method === 'GET' && path === `${EXTENSION}/event/next`) {
      await this.extensionNext(res, record);
    } else if (method === 'POST' && (path === `${EXTENSION}/init/error` || path === `${EXTENSION}/exit/error`)) {
      record.body = await readAll(req);
      answer(res, record, this.extensionError(record, path.endsWith('init/error') ? 'init' : 'exit'));
    } else {
      record.body = await readAll(req);
      answer(res, record, { status: 404, body: '404 page not found\n', contentType: 'text/plain; charset=utf-8' });
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
        answer(res, record, { status: fault.status, body: fault.body ?? faultBody(fault.status) });
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
    const next = await this.backend.runtimeNext(abort.signal);
    res.off('close', onClose);
    if (next.kind === 'aborted') return;
    if (next.kind === 'answer') return answer(res, record, next.answer);
    const invocation = next.invocation;
    if (res.destroyed) {
      this.backend.redeliver(invocation);
      return;
    }
    // Every delivery is a new attempt, with an id of its own.
    invocation.invocationId = this.invocationIds ? newInvocationId() : undefined;
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
    requestId: string | undefined,
    route: 'response' | 'error',
  ): Promise<void> {
    const gate = this.backend.resultGate(requestId, route, record.headers['lambda-runtime-invocation-id']);
    if (gate.kind === 'answer') {
      record.body = await readAll(req);
      return answer(res, record, gate.answer);
    }
    const invocation = gate.invocation;
    const mode = record.headers['lambda-runtime-function-response-mode'];
    if (route === 'response' && mode !== undefined && mode !== '' && mode !== 'streaming') {
      record.body = await readAll(req);
      this.backend.badResponseMode(invocation, {
        kind: 'error',
        body: EMPTY,
        headers: record.headers,
        errorType: 'Runtime.InvalidResponseModeHeader',
        recordedErrorType: 'Runtime.InvalidResponseModeHeader',
      });
      return answer(res, record, row(runtimeRow('Running', 'response', 'bad-mode')));
    }
    if (route === 'response' && mode === 'streaming') return this.stream(req, res, record, invocation);

    this.backend.resultStarted(invocation);
    const { body, size, complete } = await readLimited(req, MAX_BUFFERED_RESPONSE_BYTES);
    record.body = body;
    record.trailers = flattenHeaders(req.trailers);
    if (!complete) {
      this.backend.resultAbandoned(invocation);
      return;
    }
    if (route === 'response' && size > MAX_BUFFERED_RESPONSE_BYTES) {
      const message = `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_BUFFERED_RESPONSE_BYTES} bytes).`;
      this.backend.settle(invocation, {
        kind: 'error',
        body: Buffer.from(goMarshal({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: message })),
        headers: record.headers,
        errorType: 'Function.ResponseSizeTooLarge',
        recordedErrorType: 'Function.ResponseSizeTooLarge',
      });
      return answer(res, record, row(runtimeRow('Running', 'response', 'too-large')));
    }
    if (route === 'response') {
      this.backend.settle(invocation, { kind: 'response', body, headers: record.headers, trailers: record.trailers });
    } else {
      this.backend.settle(invocation, { ...this.errorSettlement('error', record), trailers: record.trailers });
    }
    answer(res, record, { status: 202, body: ACCEPTED_BODY });
  }

  private errorSettlement(kind: 'error' | 'init-error', record: RecordedRequest): Settlement {
    const sentType = record.headers['lambda-runtime-function-error-type'];
    return {
      kind,
      body: record.body,
      headers: record.headers,
      errorType: sentType ?? bodyErrorType(record.body),
      recordedErrorType: recordedErrorType(sentType),
    };
  }

  private async stream(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RecordedRequest,
    invocation: Invocation,
  ): Promise<void> {
    this.backend.resultStarted(invocation);
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
      this.backend.resultAbandoned(invocation);
      return;
    }
    record.trailers = flattenHeaders(req.trailers);
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
      return answer(res, record, { status: 413, body: errorBody });
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
    answer(res, record, { status: 202, body: ACCEPTED_BODY });
  }

  private async restoreNext(res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    res.once('close', onClose);
    const result = await this.backend.restoreNext(abort.signal);
    res.off('close', onClose);
    if (result === undefined) return;
    if (result.status === 200) {
      // RestoreRenderer: WriteHeader(200), no body, no Content-Type.
      record.status = 200;
      if (!res.destroyed) {
        res.writeHead(200, { 'Content-Length': '0' });
        res.end();
      }
      return;
    }
    answer(res, record, result);
  }

  /** POST /extension/register: the request-level checks of agentregister.go, then the registry. */
  private register(record: RecordedRequest): Answer {
    const name = record.headers['lambda-extension-name'] ?? '';
    if (name === '') return row(extensionRow('extension.register.no-name'));
    const text = record.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return row(extensionRow('extension.register.bad-json'), { jsonError: goJsonSyntaxError(text) });
    }
    const fields = caseInsensitive(parsed);
    const keys = fields.configurationkeys;
    if (Array.isArray(keys) && keys.length > 0) return row(extensionRow('extension.register.configuration-keys'));
    const list = fields.events;
    const events = Array.isArray(list) ? list.map(String) : [];
    const features = (record.headers['lambda-extension-accept-feature'] ?? '').split(',').map((f) => f.trim());
    return this.backend.registerExtension({ name, events, wantsAccountId: features.includes('accountId') });
  }

  private identifier(record: RecordedRequest): string | Answer {
    const identifier = record.headers['lambda-extension-identifier'] ?? '';
    if (identifier === '') return row(extensionRow('extension.any.missing-identifier'));
    if (!UUID.test(identifier)) return row(extensionRow('extension.any.invalid-identifier'));
    return canonicalUuid(identifier);
  }

  private async extensionNext(res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    const identifier = this.identifier(record);
    if (typeof identifier !== 'string') return answer(res, record, identifier);
    const abort = new AbortController();
    const onClose = (): void => abort.abort();
    res.once('close', onClose);
    const result = await this.backend.extensionNext(identifier, abort.signal);
    res.off('close', onClose);
    if (result === undefined) return;
    answer(res, record, result);
  }

  private extensionError(record: RecordedRequest, kind: 'init' | 'exit'): Answer {
    const identifier = this.identifier(record);
    if (typeof identifier !== 'string') return identifier;
    const errorType = record.headers['lambda-extension-function-error-type'] ?? '';
    if (errorType === '') return row(extensionRow('extension.any.error-missing-type'));
    return this.backend.extensionError(identifier, kind, errorType);
  }
}

/** A table row's answer. */
export function row(tableRow: Row, params: BodyParams = {}): Answer {
  return { status: tableRow.status, body: tableRow.body(params) };
}

function answer(res: http.ServerResponse, record: RecordedRequest, reply: Answer): void {
  record.status = reply.status;
  record.responseBody = reply.body;
  if (res.destroyed) return;
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': reply.contentType ?? 'application/json',
    'Content-Length': String(Buffer.byteLength(reply.body)),
  });
  res.end(reply.body);
}
