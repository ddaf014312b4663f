// The Lambda Invoke API as the AWS CLI and SDKs call it, so that
//   aws lambda invoke --endpoint-url http://127.0.0.1:PORT --function-name NAME --log-type Tail out.json
// and `new LambdaClient({ endpoint }).send(new InvokeCommand(...))` work against the local function:
//   POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=...]
// Source of the behaviour: the Lambda API reference, Invoke (request headers X-Amz-Invocation-Type,
// X-Amz-Log-Type, X-Amz-Client-Context; response StatusCode, X-Amz-Function-Error,
// X-Amz-Log-Result, X-Amz-Executed-Version; errors ResourceNotFoundException 404,
// RequestTooLargeException 413, InvalidRequestContentException 400), and the service's REST-JSON
// error shape: an `x-amzn-ErrorType` header naming the error and a `{"Type":"User","Message":…}` body
// (`Function not found: arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`).
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { InvocationOutcome, InvokeOptions } from '../invocation.ts';
import type { Invoker } from './invoke-endpoint.ts';
import { invokeHeaders } from './invoke-headers.ts';
import { header, safeDecode } from '../listening.ts';
import { MAX_EVENT_REQUEST_BYTES, MAX_PENDING_EVENTS, MAX_SYNC_REQUEST_BYTES } from '../limits.ts';
import { REGION } from '../runtime-environment.ts';

/** A function the Invoke API can call: an Emulator, or anything that invokes and attributes the
 * runtime's output to invocations. */
export interface LocalFunction extends Invoker {
  /** One invocation's own log lines (complete once its outcome's logsComplete resolved; at least
   * the last 4 KB), or undefined when it is not known: what `--log-type Tail` returns. */
  invocationLog(requestId: string): string | undefined;
}

export interface LambdaInvokeApiOptions {
  /** The one function this server knows; any other name is ResourceNotFoundException. */
  functionName: string;
  /** Where REPORT lines go; default: standard error. */
  log?: (line: string) => void;
}

/** Lambda's request payload limits (emulator/limits.ts). */
export const MAX_REQUEST_BYTES = MAX_SYNC_REQUEST_BYTES;
export { MAX_EVENT_REQUEST_BYTES };
/** `--log-type Tail` returns the last 4 KB of the invocation's log. */
export const LOG_TAIL_BYTES = 4096;
const ACCOUNT = '123456789012';
const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const LOG_TYPES = ['None', 'Tail'] as const;

/** How one Invoke-style operation checks its request (readInvokeRequest). */
export interface InvokeOperation {
  /** The operation's path; its first group is the FunctionName segment as sent (percent-encoded). */
  readonly path: RegExp;
  /** Who takes POST, the end of the 405's message. */
  readonly takesPost: string;
  /** The operation's name in the 413's message. */
  readonly name: string;
  /** The X-Amz-Invocation-Type values it accepts. */
  readonly invocationTypes: readonly string[];
  /** The largest payload, in bytes, for an invocation type (emulator/limits.ts). */
  payloadLimit(invocationType: string): number;
}

/** Invoke: POST /2015-03-31/functions/{FunctionName}/invocations. */
const INVOKE: InvokeOperation = {
  path: PATH,
  takesPost: 'the Invoke API takes POST',
  name: 'InvokeFunction',
  invocationTypes: ['Event', 'RequestResponse', 'DryRun'],
  payloadLimit: (invocationType) => (invocationType === 'Event' ? MAX_EVENT_REQUEST_BYTES : MAX_REQUEST_BYTES),
};

/** A request an Invoke-style operation accepted. */
export interface InvokeRequest {
  readonly invocationType: string;
  readonly logType: string;
  /** The payload to invoke with: `{}` for an empty one (what `aws lambda invoke` without --payload sends). */
  readonly event: Buffer;
  readonly options: InvokeOptions;
}

/** A service error: HTTP status, the x-amzn-ErrorType name and the message. */
export interface ServiceError {
  status: number;
  type: string;
  message: string;
}

export class LambdaInvokeApi {
  private readonly fn: LocalFunction;
  private readonly functionName: string;
  private readonly log: (line: string) => void;
  /** Event invokes accepted and not finished (bounded: MAX_PENDING_EVENTS). */
  private pendingEvents = 0;

  constructor(fn: LocalFunction, options: LambdaInvokeApiOptions) {
    this.fn = fn;
    this.functionName = options.functionName;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** True for the Invoke API's path (any function name); the caller routes the request here. */
  static matches(path: string): boolean {
    return PATH.test(path);
  }

  /** The FunctionName segment of an Invoke API path, as sent (percent-encoded). */
  static functionNameIn(path: string): string {
    return PATH.exec(path)?.[1] ?? '';
  }

  /** Answers one request to the Invoke API path. Never throws for a bad request: those get the
   * service's error status and body. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, payload: Buffer): Promise<void> {
    const requestId = randomUUID();
    const fail = (error: ServiceError): void => sendServiceError(res, error, requestId);
    const read = readInvokeRequest(INVOKE, this.functionName, req, url, payload, requestId);
    if ('error' in read) return fail(read.error);
    const { invocationType, logType, event, options } = read.request;

    if (invocationType === 'DryRun') {
      res.writeHead(204, { 'X-Amzn-RequestId': requestId });
      return void res.end();
    }
    if (invocationType === 'Event') {
      // Lambda queues every accepted event; locally the queue is bounded, as it holds the payloads.
      if (this.pendingEvents >= MAX_PENDING_EVENTS) {
        return fail({
          status: 429,
          type: 'TooManyRequestsException',
          message: `Rate Exceeded. The local server holds at most ${MAX_PENDING_EVENTS} Event invokes that have not finished; retry once they have`,
        });
      }
      // Accepted now, run later: the caller never sees the outcome, only its log does.
      res.writeHead(202, { 'X-Amzn-RequestId': requestId, 'Content-Length': '0' });
      res.end();
      this.pendingEvents++;
      this.fn
        .invoke(event, options)
        .then(
          (outcome) => this.log(outcome.report),
          (error: unknown) => this.log(`Event invoke ${requestId} was not run: ${(error as Error).message}`),
        )
        .finally(() => this.pendingEvents--);
      return;
    }
    const outcome = await this.fn.invoke(event, options);
    this.log(outcome.report);
    const headers: Record<string, string> = {
      'Content-Type': outcome.headers['content-type'] ?? 'application/json',
      'Content-Length': String(outcome.body.length),
      'X-Amzn-RequestId': outcome.requestId,
      'X-Amz-Executed-Version': '$LATEST',
    };
    if (outcome.kind !== 'response') headers['X-Amz-Function-Error'] = 'Unhandled';
    if (logType === 'Tail') {
      // The runtime's output reaches us through a pipe, possibly a moment after its result POST:
      // the invocation's lines are complete once the runtime asked for more work (or died).
      await outcome.logsComplete;
      headers['X-Amz-Log-Result'] = logTail(outcome, this.fn.invocationLog(outcome.requestId) ?? '');
    }
    res.writeHead(200, headers);
    res.end(outcome.body);
  }
}

/**
 * `--log-type Tail`: base64 of the last 4 KB of the invocation's log as CloudWatch would hold it:
 * START, the runtime's lines, END and REPORT.
 */
export function logTail(outcome: InvocationOutcome, runtimeOutput: string): string {
  const lines = runtimeOutput === '' || runtimeOutput.endsWith('\n') ? runtimeOutput : `${runtimeOutput}\n`;
  const log = Buffer.from(
    `START RequestId: ${outcome.requestId} Version: $LATEST\n${lines}END RequestId: ${outcome.requestId}\n${outcome.report}\n`,
    'utf8',
  );
  return log.subarray(Math.max(0, log.length - LOG_TAIL_BYTES)).toString('base64');
}

/** The FunctionName parameter may be a name, a partial ARN (`123456789012:function:name`) or a full
 * ARN, each optionally with `:qualifier`; a `Qualifier` query parameter wins over a suffix. */
export function resolveFunctionName(text: string, qualifierParam: string | null): { name: string; qualifier: string | undefined } {
  const parts = text.split(':');
  let name = text;
  let suffix: string | undefined;
  if (parts[0] === 'arn' && parts.length >= 7) {
    name = parts[6] ?? '';
    suffix = parts[7];
  } else if (parts.length >= 3 && parts[1] === 'function') {
    name = parts[2] ?? '';
    suffix = parts[3];
  } else if (parts.length === 2) {
    name = parts[0] ?? '';
    suffix = parts[1];
  }
  return { name, qualifier: qualifierParam ?? suffix };
}

export function functionNotFound(name: string, qualifier: string | undefined): ServiceError {
  const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}${qualifier === undefined ? '' : `:${qualifier}`}`;
  return { status: 404, type: 'ResourceNotFoundException', message: `Function not found: ${arn}` };
}

/** The service's 400 ValidationException for a value outside an enum member's set, in its exact wording. */
export function validationError(value: string, member: string, allowed: readonly string[]): ServiceError {
  return {
    status: 400,
    type: 'ValidationException',
    message: `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
  };
}

/** The service's REST-JSON error: the type in x-amzn-ErrorType (what the SDKs read), the message in the body. */
export function sendServiceError(res: http.ServerResponse, error: ServiceError, requestId: string = randomUUID()): void {
  const body = JSON.stringify({ Type: 'User', Message: error.message });
  res.writeHead(error.status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Amzn-RequestId': requestId,
    'X-Amzn-ErrorType': error.type,
  });
  res.end(body);
}

/** Why `payload` is not JSON (JSON.parse's message), or undefined when it is. */
export function jsonError(payload: Buffer): string | undefined {
  try {
    JSON.parse(payload.toString('utf8'));
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}


/**
 * An Invoke-style request (Invoke, InvokeWithResponseStream) checked as the service checks it, in
 * its order and wording: POST (else 405 UnknownOperationException), the function this server knows
 * at $LATEST (404 ResourceNotFoundException), X-Amz-Invocation-Type and X-Amz-Log-Type
 * (400 ValidationException), the payload's size (413 RequestTooLargeException) and JSON
 * (400 InvalidRequestContentException), then its headers as the invocation's options.
 */
export function readInvokeRequest(
  operation: InvokeOperation,
  functionName: string,
  req: http.IncomingMessage,
  url: URL,
  payload: Buffer,
  requestId: string,
): { request: InvokeRequest } | { error: ServiceError } {
  if (req.method !== 'POST') {
    return { error: { status: 405, type: 'UnknownOperationException', message: `${req.method} is not an operation of ${url.pathname}: ${operation.takesPost}` } };
  }
  const rawName = operation.path.exec(url.pathname)?.[1] ?? '';
  const target = resolveFunctionName(safeDecode(rawName), url.searchParams.get('Qualifier'));
  if (target.name !== functionName || (target.qualifier !== undefined && target.qualifier !== '$LATEST')) {
    return { error: functionNotFound(target.name, target.qualifier) };
  }
  const invocationType = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (!operation.invocationTypes.includes(invocationType)) return { error: validationError(invocationType, 'invocationType', operation.invocationTypes) };
  const logType = header(req, 'x-amz-log-type') ?? 'None';
  if (!(LOG_TYPES as readonly string[]).includes(logType)) return { error: validationError(logType, 'logType', LOG_TYPES) };
  const limit = operation.payloadLimit(invocationType);
  if (payload.length > limit) {
    return { error: { status: 413, type: 'RequestTooLargeException', message: `Request must be smaller than ${limit} bytes for the ${operation.name} operation` } };
  }
  // An empty payload reaches the function as {} (what `aws lambda invoke` without --payload sends).
  const event = payload.length === 0 ? Buffer.from('{}') : payload;
  const parseError = jsonError(event);
  if (parseError !== undefined) {
    return { error: { status: 400, type: 'InvalidRequestContentException', message: `Could not parse request body into json: ${parseError}` } };
  }
  const options = invokeHeaders(req, requestId);
  if (options === undefined) {
    return { error: { status: 400, type: 'InvalidRequestContentException', message: 'Client context must be a valid Base64-encoded JSON object.' } };
  }
  return { request: { invocationType, logType, event, options } };
}
