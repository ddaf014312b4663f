// RuntimeApiClient: the Lambda Runtime API calls the loop makes, over a pluggable transport.

import { parseClientContext } from './client-context.ts';
import type { ClientContext } from './client-context.ts';
import { errorTypeHeader } from '../errors.ts';
import type { ErrorBody, LambdaError } from '../errors.ts';
import { NEXT_RETRY_POLICY, retryAfterInitialFailure } from './runtime-api-retry.ts';
import type { RetryEnvironment } from './runtime-api-retry.ts';
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
/** The per-attempt nonce of the 2026 Runtime API: given on /next, echoed on that attempt's result posts. */
export const INVOCATION_ID_HEADER = 'Lambda-Runtime-Invocation-Id';
const REQUEST_ID = 'lambda-runtime-aws-request-id';
const DEADLINE_MS = 'lambda-runtime-deadline-ms';
// AWS's v4 client: src/context/context-builder.ts (validateAndNormalizeHeaders, parseDeadline).
const MISSING_HEADERS = 'Missing required headers: ';
const INVALID_DEADLINE = 'Invalid deadline timestamp';
export const PLATFORM_ERROR = 'Runtime.PlatformError';

/** One event as handed out by `/next`. Header values are decoded as UTF-8; a repeated header counts
 * with its first value (AWS's v4 client: aws-lambda-cpp `response::get_header`, handed to
 * JavaScript with `Napi::String::New`, which reads UTF-8). */
export interface Invocation {
  requestId: string;
  /** `Lambda-Runtime-Invocation-Id` (Runtime API, July 2026): undefined when the service sent none. */
  invocationId: string | undefined;
  /** Epoch ms, `parseInt(header, 10)` as AWS's client reads it: always a finite number. */
  deadlineMs: number;
  invokedFunctionArn: string | undefined;
  traceId: string | undefined;
  /** `Lambda-Runtime-Client-Context` parsed, its `w3c` taken out (or why it could not be parsed:
   * reported as this invocation's error). */
  clientContext: ClientContext | LambdaError;
  /** `Lambda-Runtime-Cognito-Identity`, raw JSON. */
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

/** The /next answer cannot be served: a required header is missing or malformed. AWS's client
 * throws its `Runtime.PlatformError` there and the process ends; it is never retried. */
export class MalformedInvocationError extends RuntimeApiError {
  override name = 'MalformedInvocationError';
  /** AWS's own message, e.g. `Invalid deadline timestamp`. */
  readonly platformMessage: string;
  constructor(message: string, platformMessage: string) {
    super(message, 200, '');
    this.platformMessage = platformMessage;
  }
}

/** Which invocation attempt a result belongs to: what a result post names and echoes. */
export type ResultTarget = Pick<Invocation, 'requestId' | 'invocationId'>;

/** How the client behaves around failures. */
export interface RuntimeApiClientOptions {
  /** Lambda Managed Instances (`AWS_LAMBDA_MAX_CONCURRENCY` set): a failed /next is retried with
   * AWS's backoff instead of being returned at once. */
  retryNext: boolean;
  /** For tests: the retry's clock and log. Default: real timers, console.error. */
  retryEnvironment?: Partial<RetryEnvironment>;
}

/** A result post either went through or says why not. */
export type PostOutcome = { ok: true } | RuntimeApiError;

const POSTED: PostOutcome = Object.freeze({ ok: true as const });

export class RuntimeApiClient {
  readonly #transport: Transport;
  readonly #streaming: () => StreamingTransport;
  readonly #runtimeApi: string;
  readonly #retry: RetryEnvironment | undefined;

  /** `streaming` is asked for only when a streaming handler first writes. */
  constructor(
    transport: Transport,
    streaming: () => StreamingTransport,
    runtimeApi: string,
    options: RuntimeApiClientOptions = { retryNext: false },
  ) {
    this.#transport = transport;
    this.#streaming = streaming;
    this.#runtimeApi = runtimeApi;
    this.#retry = options.retryNext
      ? {
          policy: options.retryEnvironment?.policy ?? NEXT_RETRY_POLICY,
          sleep: options.retryEnvironment?.sleep ?? sleep,
          log: options.retryEnvironment?.log ?? ((message, cause) => console.error(message, cause)),
        }
      : undefined;
  }

  /**
   * Long-polls for the next event. No client-side timeout: the wait can legitimately last hours.
   * Resolves with a RuntimeApiError when the Runtime API failed (with `retryNext`, only once AWS's
   * retries are spent), or a MalformedInvocationError when its answer lacks what the runtime needs.
   */
  async next(): Promise<Invocation | RuntimeApiError> {
    const first = await this.#nextOnce();
    if (this.#retry === undefined || !isRetryable(first)) return first;
    return retryAfterInitialFailure(() => this.#nextOnce(), first, isRetryable, this.#retry);
  }

  async #nextOnce(): Promise<Invocation | RuntimeApiError> {
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
    const requestId = header(h, REQUEST_ID);
    const deadline = header(h, DEADLINE_MS);
    // An empty request id is as good as none: nothing could ever be posted for it.
    if (!requestId || deadline === undefined) {
      const missing = [...(requestId ? [] : [REQUEST_ID]), ...(deadline === undefined ? [DEADLINE_MS] : [])];
      return this.#malformed(`${MISSING_HEADERS}${missing.join(', ')}`, requestId ? `for request ${requestId}` : 'without a Lambda-Runtime-Aws-Request-Id header, so no result could ever be reported for that event');
    }
    const deadlineMs = Number.parseInt(deadline, 10);
    if (Number.isNaN(deadlineMs)) {
      return this.#malformed(INVALID_DEADLINE, `for request ${requestId} with Lambda-Runtime-Deadline-Ms ${JSON.stringify(deadline.slice(0, 40))}`);
    }
    return {
      requestId,
      invocationId: header(h, 'lambda-runtime-invocation-id'),
      deadlineMs,
      invokedFunctionArn: header(h, 'lambda-runtime-invoked-function-arn'),
      traceId: header(h, 'lambda-runtime-trace-id'),
      clientContext: parseClientContext(header(h, 'lambda-runtime-client-context')),
      cognitoIdentity: header(h, 'lambda-runtime-cognito-identity'),
      tenantId: header(h, 'lambda-runtime-aws-tenant-id'),
      body: res.body,
    };
  }

  /** Posts a result; echoes the attempt's invocation id when /next gave one. */
  respond(target: ResultTarget, json: string): Promise<PostOutcome> {
    const headers =
      target.invocationId === undefined ? JSON_HEADERS : { ...JSON_HEADERS, [INVOCATION_ID_HEADER]: target.invocationId };
    return this.#post(`${INVOCATION_PREFIX}${encodeURIComponent(target.requestId)}/response`, headers, json);
  }

  /** `xrayCause` is the ready `Lambda-Runtime-Function-XRay-Error-Cause` value, when there is one. */
  fail(target: ResultTarget, error: ErrorBody, xrayCause?: string): Promise<PostOutcome> {
    const headers = errorHeaders(error);
    if (xrayCause !== undefined) headers['Lambda-Runtime-Function-XRay-Error-Cause'] = xrayCause;
    if (target.invocationId !== undefined) headers[INVOCATION_ID_HEADER] = target.invocationId;
    return this.#post(
      `${INVOCATION_PREFIX}${encodeURIComponent(target.requestId)}/error`,
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
  streamResponse(target: ResultTarget, contentType: string): { request: ClientRequest; posted: Promise<PostOutcome> } {
    const path = `${INVOCATION_PREFIX}${encodeURIComponent(target.requestId)}/response`;
    const headers: Record<string, string> = {
      'Content-Type': contentType,
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      Trailer: STREAM_TRAILERS,
    };
    if (target.invocationId !== undefined) headers[INVOCATION_ID_HEADER] = target.invocationId;
    const opened = this.#streaming().openStream(path, headers);
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

  #malformed(platformMessage: string, detail: string): MalformedInvocationError {
    return new MalformedInvocationError(
      `The Lambda Runtime API at ${this.#runtimeApi} answered GET ${NEXT_PATH} ${detail}: ${PLATFORM_ERROR}: ${platformMessage}`,
      platformMessage,
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

/** The first value of a header, as AWS's client takes it. */
function header(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Failures of the Runtime API itself are retried; an answer it gave but the runtime cannot use is not. */
function isRetryable(result: Invocation | RuntimeApiError): result is RuntimeApiError {
  return result instanceof RuntimeApiError && !(result instanceof MalformedInvocationError);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
