// RuntimeApiClient: the Lambda Runtime API calls the loop makes, over a pluggable transport.

import { errorTypeHeader } from './errors.ts';
import type { ErrorBody } from './errors.ts';
import { TransportError } from './transport.ts';
import type { ClientRequest } from 'node:http';
import type { HeaderMap, StreamingTransport, Transport, TransportResponse } from './transport.ts';

const VERSION = '/2018-06-01';
const NEXT_PATH = `${VERSION}/runtime/invocation/next`;
const INVOCATION_PREFIX = `${VERSION}/runtime/invocation/`;
const INIT_ERROR_PATH = `${VERSION}/runtime/init/error`;
const EXTENSION_REGISTER_PATH = '/2020-01-01/extension/register';
const NO_EVENTS = JSON.stringify({ events: [] });
const JSON_HEADERS = Object.freeze({ 'Content-Type': 'application/json' });
const STREAM_TRAILERS = 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body';

/** One event as handed out by `/next`. */
export interface Invocation {
  requestId: string;
  deadlineMs: number;
  invokedFunctionArn: string | undefined;
  traceId: string | undefined;
  clientContext: string | undefined;
  cognitoIdentity: string | undefined;
  tenantId: string | undefined;
  body: Buffer;
}

/** The Runtime API answered, but not with success. `status` 0 means it could not be reached. */
export class RuntimeApiError extends Error {
  override name = 'RuntimeApiError';
  readonly status: number;
  readonly responseBody: string;
  constructor(message: string, status: number, responseBody: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.responseBody = responseBody;
  }
}

/** A result post either went through or says why not. */
export type PostOutcome = { ok: true } | RuntimeApiError;

const POSTED: PostOutcome = Object.freeze({ ok: true as const });

export class RuntimeApiClient {
  readonly #transport: Transport;
  readonly #streaming: () => StreamingTransport;
  readonly #runtimeApi: string;

  /** `streaming` is asked for only when a streaming handler first writes. */
  constructor(transport: Transport, streaming: () => StreamingTransport, runtimeApi: string) {
    this.#transport = transport;
    this.#streaming = streaming;
    this.#runtimeApi = runtimeApi;
  }

  /** Long-polls for the next event. No client-side timeout: the wait can legitimately last hours. */
  async next(): Promise<Invocation | RuntimeApiError> {
    let res;
    try {
      res = await this.#transport.request('GET', NEXT_PATH, undefined, undefined);
    } catch (error) {
      return this.#unreachable('GET', NEXT_PATH, error);
    }
    if (res.status !== 200) {
      const text = res.body.toString('utf8');
      return new RuntimeApiError(
        `The Lambda Runtime API at ${this.#runtimeApi} answered GET ${NEXT_PATH} with ${res.status} ${text}`.trimEnd(),
        res.status,
        text,
      );
    }
    const h = res.headers;
    const requestId = header(h, 'lambda-runtime-aws-request-id');
    if (!requestId) {
      return new RuntimeApiError(
        `The Lambda Runtime API at ${this.#runtimeApi} answered GET ${NEXT_PATH} without a Lambda-Runtime-Aws-Request-Id header, so no result could ever be reported for that event`,
        res.status,
        '',
      );
    }
    return {
      requestId,
      deadlineMs: Number(header(h, 'lambda-runtime-deadline-ms')),
      invokedFunctionArn: header(h, 'lambda-runtime-invoked-function-arn'),
      traceId: header(h, 'lambda-runtime-trace-id'),
      clientContext: header(h, 'lambda-runtime-client-context'),
      cognitoIdentity: header(h, 'lambda-runtime-cognito-identity'),
      tenantId: header(h, 'lambda-runtime-aws-tenant-id'),
      body: res.body,
    };
  }

  respond(requestId: string, json: string): Promise<PostOutcome> {
    return this.#post(`${INVOCATION_PREFIX}${encodeURIComponent(requestId)}/response`, JSON_HEADERS, json);
  }

  /** `xrayCause` is the ready `Lambda-Runtime-Function-XRay-Error-Cause` value, when there is one. */
  fail(requestId: string, error: ErrorBody, xrayCause?: string): Promise<PostOutcome> {
    const headers = errorHeaders(error);
    if (xrayCause !== undefined) headers['Lambda-Runtime-Function-XRay-Error-Cause'] = xrayCause;
    return this.#post(
      `${INVOCATION_PREFIX}${encodeURIComponent(requestId)}/error`,
      headers,
      JSON.stringify(error),
    );
  }

  initError(error: ErrorBody): Promise<PostOutcome> {
    return this.#post(INIT_ERROR_PATH, errorHeaders(error), JSON.stringify(error));
  }

  /** Registers an internal extension that subscribes to no events (it only makes Lambda send SIGTERM).
   * Resolves with the `Lambda-Extension-Identifier` the service assigned, which the extension must
   * then use on `GET /2020-01-01/extension/event/next` (source: aws-lambda-runtime-interface-emulator
   * lambda/rapi/handler/agentregister.go). */
  async registerExtension(name: string): Promise<{ identifier: string } | RuntimeApiError> {
    const headers = { 'Content-Type': 'application/json', 'Lambda-Extension-Name': name };
    let res;
    try {
      res = await this.#transport.request('POST', EXTENSION_REGISTER_PATH, headers, NO_EVENTS);
    } catch (error) {
      return this.#unreachable('POST', EXTENSION_REGISTER_PATH, error);
    }
    const checked = this.#checked(EXTENSION_REGISTER_PATH, res);
    if (checked instanceof RuntimeApiError) return checked;
    const identifier = header(res.headers, 'lambda-extension-identifier');
    if (!identifier) {
      return new RuntimeApiError(
        `The Lambda Runtime API at ${this.#runtimeApi} answered POST ${EXTENSION_REGISTER_PATH} without a Lambda-Extension-Identifier header`,
        res.status,
        res.body.toString('utf8'),
      );
    }
    return { identifier };
  }

  /** Opens the streaming response POST; the caller writes and ends `request`. */
  streamResponse(requestId: string, contentType: string): { request: ClientRequest; posted: Promise<PostOutcome> } {
    const path = `${INVOCATION_PREFIX}${encodeURIComponent(requestId)}/response`;
    const opened = this.#streaming().openStream(path, {
      'Content-Type': contentType,
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      Trailer: STREAM_TRAILERS,
    });
    return { request: opened.request, posted: opened.response.then((res) => this.#checked(path, res), (error: unknown) => this.#unreachable('POST', path, error)) };
  }

  async #post(path: string, headers: Record<string, string>, body: string): Promise<PostOutcome> {
    let res;
    try {
      res = await this.#transport.request('POST', path, headers, body);
    } catch (error) {
      return this.#unreachable('POST', path, error);
    }
    return this.#checked(path, res);
  }

  #checked(path: string, res: TransportResponse): PostOutcome {
    if (res.status >= 200 && res.status < 300) return POSTED;
    const text = res.body.toString('utf8');
    return new RuntimeApiError(
      `The Lambda Runtime API at ${this.#runtimeApi} answered POST ${path} with ${res.status} ${text}`.trimEnd(),
      res.status,
      text,
    );
  }

  #unreachable(method: string, path: string, error: unknown): RuntimeApiError {
    const detail = error instanceof TransportError ? error.message : `${method} ${path} failed: ${String(error)}`;
    return new RuntimeApiError(
      `Cannot reach the Lambda Runtime API at ${this.#runtimeApi}: ${detail}`,
      0,
      '',
      { cause: error },
    );
  }
}

function errorHeaders(error: ErrorBody): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': errorTypeHeader(error),
  };
}

function header(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
