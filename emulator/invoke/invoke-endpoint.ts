// The local invoke endpoint of AWS's Runtime Interface Emulator, so that tools written for it
// (curl scripts, SAM-style clients) work against us:
//   POST /2015-03-31/functions/function/invocations                 (buffered)
//   POST /2021-11-15/functions/function/response-streaming-invocations (streamed as it arrives)
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { CallerGuard, exposureWarning, sendRefusal } from '../caller-guard.ts';
import type { InvocationOutcome, InvokeOptions } from '../invocation.ts';
import { invokeHeaders } from './invoke-headers.ts';
import { MAX_SYNC_REQUEST_BYTES, discardBody, readBody } from '../limits.ts';
import { ServedOverHttp, drained, listen } from '../listening.ts';
import { apiError } from '../service-errors.ts';

export interface Invoker {
  invoke(payload: string | Buffer, options?: InvokeOptions): Promise<InvocationOutcome>;
}

export interface InvokeEndpointOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 8080, as in AWS's emulator; 0 picks a free port. */
  port?: number;
  /** Where REPORT lines go; default: standard error. */
  log?: (line: string) => void;
  /** Host names clients may use besides localhost, IP addresses and `host` (emulator/caller-guard.ts). */
  allowedHosts?: readonly string[];
}

const INVOKE_PATH = '/2015-03-31/functions/function/invocations';
const STREAMING_PATH = '/2021-11-15/functions/function/response-streaming-invocations';
const ERROR_TRAILERS = 'X-Amz-Function-Error, Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body';

export class InvokeEndpoint extends ServedOverHttp {
  private readonly invoker: Invoker;
  protected readonly server: http.Server;
  private readonly listener: http.RequestListener;
  private readonly log: (line: string) => void;

  static async start(invoker: Invoker, options: InvokeEndpointOptions = {}): Promise<InvokeEndpoint> {
    const endpoint = new InvokeEndpoint(invoker, options, true);
    const host = options.host ?? '127.0.0.1';
    await listen(endpoint.server, options.port ?? 8080, host);
    const warning = exposureWarning(host, endpoint.port, options.allowedHosts);
    if (warning !== undefined) endpoint.log(`emulator: ${warning}`);
    return endpoint;
  }

  /** `guarded`: this endpoint is the whole server, so it checks who calls (emulator/caller-guard.ts);
   * inside local-server.ts that server does. */
  private constructor(invoker: Invoker, options: InvokeEndpointOptions, guarded = false) {
    super();
    this.invoker = invoker;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    const guard = guarded ? new CallerGuard({ host: options.host ?? '127.0.0.1', allowedHosts: options.allowedHosts }) : undefined;
    this.listener = (req, res) => {
      const refusal = guard?.check(req, 'rie');
      if (refusal !== undefined) {
        this.log(`emulator: refused ${req.method} ${req.url} from ${req.socket.remoteAddress ?? '?'}: ${refusal}`);
        return sendRefusal(res, 'rie', refusal);
      }
      this.handle(req, res).catch((error: unknown) => {
        if (res.headersSent) return void res.destroy();
        sendJson(res, 500, apiError('EmulatorError', String(error)));
      });
    };
    this.server = http.createServer(this.listener);
  }

  /** The endpoint's request handling for a server that serves other paths too (local-server.ts). */
  static requestListener(invoker: Invoker, options: InvokeEndpointOptions = {}): http.RequestListener {
    return new InvokeEndpoint(invoker, options).listener;
  }

  /** Its two paths: the buffered and the streaming invoke. */
  static readonly paths: readonly string[] = [INVOKE_PATH, STREAMING_PATH];


  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== INVOKE_PATH && path !== STREAMING_PATH)) {
      await discardBody(req);
      return sendJson(res, 404, apiError('ResourceNotFoundException', `Unknown path: ${req.method} ${req.url}; POST to ${INVOKE_PATH}`));
    }
    // Lambda's synchronous payload limit; a larger body is not read (emulator/limits.ts).
    const read = await readBody(req, MAX_SYNC_REQUEST_BYTES);
    if (read.kind === 'aborted') return void res.destroy();
    if (read.kind === 'too-large') {
      return sendJson(res, 413, apiError('RequestTooLargeException', `Request must be smaller than ${MAX_SYNC_REQUEST_BYTES} bytes for the InvokeFunction operation`));
    }
    const payload = read.body;
    const options = invokeOptions(req);
    if (typeof options === 'string') return sendJson(res, 400, options);
    if (path === STREAMING_PATH) return this.stream(payload, options, res);
    const outcome = await this.invoker.invoke(payload, options);
    sendBuffered(res, outcome);
    // REPORT after the invocation's late lines, as Lambda writes it.
    await outcome.logsComplete;
    this.log(outcome.report);
  }

  /** Forwards the runtime's streamed body piece by piece; an error after the first byte becomes
   * trailers, one before it a buffered error answer. */
  private async stream(payload: Buffer, options: InvokeOptions, res: http.ServerResponse): Promise<void> {
    let started = false;
    const outcome = await this.invoker.invoke(payload, {
      ...options,
      onResponseStart: (headers) => {
        started = true;
        res.writeHead(200, {
          'Content-Type': headers['content-type'] ?? 'application/octet-stream',
          'X-Amzn-RequestId': options.requestId ?? '',
          Trailer: ERROR_TRAILERS,
        });
        res.flushHeaders();
      },
      onChunk: (data) => {
        if (res.destroyed || res.write(data)) return undefined;
        return drained(res);
      },
    });
    void outcome.logsComplete.then(() => this.log(outcome.report));
    if (res.destroyed) return;
    if (!started) {
      sendBuffered(res, outcome);
      return;
    }
    if (outcome.kind !== 'response') {
      res.addTrailers({
        'X-Amz-Function-Error': 'Unhandled',
        'Lambda-Runtime-Function-Error-Type': outcome.errorType ?? outcome.recordedErrorType ?? 'Runtime.Unknown',
        'Lambda-Runtime-Function-Error-Body': outcome.body.toString('base64'),
      });
    }
    res.end();
  }
}

/** Maps the AWS Invoke API headers onto the Runtime API's (invoke-headers.ts); a string is a 400 body. */
function invokeOptions(req: http.IncomingMessage): InvokeOptions | string {
  return invokeHeaders(req, randomUUID()) ?? apiError('InvalidRequestContentException', 'X-Amz-Client-Context must be the base64 encoding of a JSON object');
}

function sendJson(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** The whole outcome in one answer, as Lambda's Invoke API gives it (function errors are 200 too). */
function sendBuffered(res: http.ServerResponse, outcome: InvocationOutcome): void {
  const headers: Record<string, string> = {
    'Content-Type': outcome.headers['content-type'] ?? 'application/json',
    'X-Amzn-RequestId': outcome.requestId,
    'Content-Length': String(outcome.body.length),
  };
  if (outcome.kind !== 'response') headers['X-Amz-Function-Error'] = 'Unhandled';
  res.writeHead(200, headers);
  res.end(outcome.body);
}
