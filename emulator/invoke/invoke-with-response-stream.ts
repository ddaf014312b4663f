// InvokeWithResponseStream of the Lambda Invoke API, as the AWS SDKs call it, so that
//   new LambdaClient({ endpoint }).send(new InvokeWithResponseStreamCommand({ FunctionName, Payload }))
// works against the local function:
//   POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations[?Qualifier=...]
// Source of the behaviour: the Lambda API reference, InvokeWithResponseStream (request headers
// X-Amz-Invocation-Type RequestResponse|DryRun, X-Amz-Log-Type, X-Amz-Client-Context; response
// StatusCode, X-Amz-Executed-Version, Content-Type, and an event stream of PayloadChunk {Payload}
// events ended by one InvokeComplete {ErrorCode, ErrorDetails, LogResult}), and the service's
// event-stream encoding (application/vnd.amazon.eventstream: each message a prelude of total and
// headers length with its CRC32, typed headers :message-type=event, :event-type, :content-type, the
// payload, and a CRC32 of the whole message; event-stream.ts).
// The function's bytes go out as PayloadChunk events as the runtime streams them (a streaming
// handler), or as one PayloadChunk when the function answered buffered. A function error ends the
// stream with InvokeComplete's ErrorCode (the error type the runtime reported, Sandbox.Timedout for
// a timeout, Runtime.ExitError when the runtime died) and ErrorDetails (the error document the
// runtime sent, or the service's message); the request's errors (unknown function, bad payload)
// are the service's REST-JSON errors, as for Invoke.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { InvocationOutcome } from '../invocation.ts';
import { LOG_TAIL_BYTES, logTail, readInvokeRequest, sendServiceError } from './lambda-invoke-api.ts';
import type { InvokeOperation, LocalFunction, ServiceError } from './lambda-invoke-api.ts';
import { MAX_SYNC_REQUEST_BYTES } from '../limits.ts';
import { drained } from '../listening.ts';
import { encodeMessage } from './event-stream.ts';

const PATH = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations\/?$/;
const INVOKE_WITH_RESPONSE_STREAM: InvokeOperation = {
  path: PATH,
  takesPost: 'InvokeWithResponseStream takes POST',
  name: 'InvokeWithResponseStream',
  invocationTypes: ['RequestResponse', 'DryRun'],
  payloadLimit: () => MAX_SYNC_REQUEST_BYTES,
};
/** The largest piece of the function's output carried in one PayloadChunk event. */
export const MAX_PAYLOAD_CHUNK_BYTES = 64 * 1024;
export { LOG_TAIL_BYTES };

/** One event of the response's event stream, encoded (prelude, headers, payload, CRCs). */
export function encodeEvent(eventType: 'PayloadChunk' | 'InvokeComplete', body: Uint8Array, contentType: string): Buffer {
  return encodeMessage({ ':event-type': eventType, ':content-type': contentType, ':message-type': 'event' }, body);
}

/** The InvokeComplete event's fields (each absent when it has no value). */
export interface InvokeComplete {
  ErrorCode?: string;
  ErrorDetails?: string;
  LogResult?: string;
}

export interface ResponseStreamApiOptions {
  /** The one function this server knows; any other name is ResourceNotFoundException. */
  functionName: string;
  /** Where REPORT lines go; default: standard error. */
  log?: (line: string) => void;
}

export class InvokeWithResponseStreamApi {
  private readonly fn: LocalFunction;
  private readonly functionName: string;
  private readonly log: (line: string) => void;

  constructor(fn: LocalFunction, options: ResponseStreamApiOptions) {
    this.fn = fn;
    this.functionName = options.functionName;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** True for the operation's path (any function name). */
  static matches(path: string): boolean {
    return PATH.test(path);
  }

  /**
   * True when a request to the RIE's own streaming path (`/2021-11-15/functions/function/…`, the
   * same path as this operation for a function named `function`) is an SDK's
   * InvokeWithResponseStream: it is SigV4-signed (`Authorization: AWS4-HMAC-SHA256 …`), which
   * curl scripts for the RIE are not. Those get the event stream; the rest the RIE's raw bytes.
   */
  static isSdkRequest(req: http.IncomingMessage): boolean {
    const authorization = req.headers.authorization;
    return typeof authorization === 'string' && authorization.startsWith('AWS4-HMAC-SHA256 ');
  }

  /** Answers one request; never throws for a bad request (the service's error status and body). */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, payload: Buffer): Promise<void> {
    const requestId = randomUUID();
    const fail = (error: ServiceError): void => sendServiceError(res, error, requestId);
    const read = readInvokeRequest(INVOKE_WITH_RESPONSE_STREAM, this.functionName, req, url, payload, requestId);
    if ('error' in read) return fail(read.error);
    const { invocationType, logType, event, options } = read.request;
    if (invocationType === 'DryRun') {
      res.writeHead(204, { 'X-Amzn-RequestId': requestId });
      return void res.end();
    }

    const start = (): void => {
      if (res.headersSent) return;
      res.writeHead(200, {
        'Content-Type': 'application/vnd.amazon.eventstream',
        'X-Amzn-RequestId': requestId,
        'X-Amz-Executed-Version': '$LATEST',
      });
      res.flushHeaders();
    };
    /** Writes the bytes as PayloadChunk events; resolves once the caller took them (back-pressure). */
    const send = (data: Buffer): Promise<void> | undefined => {
      let wait: Promise<void> | undefined;
      for (let at = 0; at < data.length; at += MAX_PAYLOAD_CHUNK_BYTES) {
        if (res.destroyed) return undefined;
        const piece = data.subarray(at, at + MAX_PAYLOAD_CHUNK_BYTES);
        if (!res.write(encodeEvent('PayloadChunk', piece, 'application/octet-stream'))) wait = drained(res);
      }
      return wait;
    };
    const outcome = await this.fn.invoke(event, {
      ...options,
      onResponseStart: start,
      onChunk: (data) => send(data),
    });
    if (res.destroyed) {
      void outcome.logsComplete.then(() => this.log(outcome.report));
      return;
    }
    start();
    // A buffered answer (the function did not stream): its body in PayloadChunk events.
    if (!outcome.streaming && outcome.kind === 'response' && outcome.body.length > 0) await send(outcome.body);
    const complete: InvokeComplete = completionOf(outcome);
    if (logType === 'Tail') {
      // The invocation's lines are complete once the runtime asked for more work (or died).
      await outcome.logsComplete;
      complete.LogResult = logTail(outcome, this.fn.invocationLog(outcome.requestId) ?? '');
    }
    if (!res.destroyed) res.end(encodeEvent('InvokeComplete', Buffer.from(JSON.stringify(complete)), 'application/json'));
    void outcome.logsComplete.then(() => this.log(outcome.report));
  }
}

/** InvokeComplete's error fields for an outcome: none for a response. */
export function completionOf(outcome: InvocationOutcome): InvokeComplete {
  switch (outcome.kind) {
    case 'response':
      return {};
    case 'timeout':
      return { ErrorCode: 'Sandbox.Timedout', ErrorDetails: errorMessageOf(outcome.body) ?? 'Task timed out' };
    case 'exited':
      return { ErrorCode: outcome.errorType ?? 'Runtime.ExitError', ErrorDetails: outcome.body.toString('utf8') };
    default:
      return { ErrorCode: outcome.errorType ?? outcome.recordedErrorType ?? 'Runtime.Unknown', ErrorDetails: outcome.body.toString('utf8') };
  }
}

function errorMessageOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : undefined;
  } catch {
    return undefined;
  }
}
