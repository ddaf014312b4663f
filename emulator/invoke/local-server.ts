// One local HTTP server, three ways in to the same function (what `lambda-bootstrap serve` and
// `watch` listen with):
//   1. the Runtime Interface Emulator's invoke endpoint: POST /2015-03-31/functions/function/invocations
//      (and its streaming twin), as invoke-endpoint.ts serves it;
//   2. the Lambda Invoke API for the AWS CLI and SDKs: POST /2015-03-31/functions/{name}/invocations
//      (lambda-invoke-api.ts), and InvokeWithResponseStream: POST
//      /2021-11-15/functions/{name}/response-streaming-invocations (invoke-with-response-stream.ts);
//   3. every other path: the HTTP front door, plain HTTP as a function URL event (http-front-door.ts).
// Other paths under the service's API prefixes get the service's UnknownOperationException. A
// request that cannot be mapped is answered with an error status and body; nothing a client
// sends stops the server. Before any of them, emulator/caller-guard.ts decides who may call (Host, Origin,
// Sec-Fetch-Site), and emulator/limits.ts bounds what is read.
import http from 'node:http';
import { CallerGuard, exposureWarning, sendRefusal } from '../caller-guard.ts';
import type { Way } from '../caller-guard.ts';
import { DurableService } from '../durable/durable-service.ts';
import type { DurableSettings } from '../durable/durable-service.ts';
import { HttpFrontDoor } from './http-front-door.ts';
import { InvokeEndpoint } from './invoke-endpoint.ts';
import { InvokeWithResponseStreamApi } from './invoke-with-response-stream.ts';
import { LambdaInvokeApi, sendServiceError } from './lambda-invoke-api.ts';
import type { LocalFunction } from './lambda-invoke-api.ts';
import { MAX_READ_BYTES, readBody } from '../limits.ts';
import { ServedOverHttp, listen } from '../listening.ts';

export interface LocalServerOptions {
  /** The function's name for the Invoke API (AWS_LAMBDA_FUNCTION_NAME of the runtime). */
  functionName: string;
  /** Default '127.0.0.1': nothing listens beyond this machine unless asked. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Host names clients may use besides localhost, IP addresses and `host` (emulator/caller-guard.ts). */
  allowedHosts?: readonly string[];
  /** Where REPORT lines and mapping problems go; default: standard error. */
  log?: (line: string) => void;
  /** The function has a durable configuration (`--durable`): an Invoke starts a durable execution,
   * and the durable-execution API (/2025-12-01/…) is served (emulator/durable/). */
  durable?: DurableSettings;
}

// The service's own API prefixes; no front-door request is routed to a path under them.
const SERVICE_PREFIXES = ['/2015-03-31/', '/2021-11-15/', '/2025-12-01/'];

export class LocalServer extends ServedOverHttp {
  protected readonly server: http.Server;
  private readonly log: (line: string) => void;
  /** The durable-execution service, when the function is durable. */
  readonly durable: DurableService | undefined;

  static async start(fn: LocalFunction, options: LocalServerOptions): Promise<LocalServer> {
    const local = new LocalServer(fn, options);
    const host = options.host ?? '127.0.0.1';
    await listen(local.server, options.port ?? 8080, host);
    const warning = exposureWarning(host, local.port, options.allowedHosts);
    if (warning !== undefined) local.log(`local server: ${warning}`);
    return local;
  }

  private constructor(fn: LocalFunction, options: LocalServerOptions) {
    super();
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    this.log = log;
    const guard = new CallerGuard({ host: options.host ?? '127.0.0.1', allowedHosts: options.allowedHosts });
    const rie = InvokeEndpoint.requestListener(fn, { log });
    const invokeApi = new LambdaInvokeApi(fn, { functionName: options.functionName, log });
    const streamApi = new InvokeWithResponseStreamApi(fn, { functionName: options.functionName, log });
    const frontDoor = new HttpFrontDoor(fn, { log });
    const durable = options.durable === undefined ? undefined : new DurableService(fn, { functionName: options.functionName, log, ...options.durable });
    this.durable = durable;
    this.server = http.createServer((req, res) => {
      const answer = async (): Promise<void> => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        // InvokeWithResponseStream shares the RIE's streaming path for a function named `function`:
        // an SDK's signed request there is the Invoke API's (invoke-with-response-stream.ts).
        const streamInvoke = InvokeWithResponseStreamApi.matches(url.pathname) && (!InvokeEndpoint.paths.includes(url.pathname) || InvokeWithResponseStreamApi.isSdkRequest(req));
        const durableApi = durable !== undefined && DurableService.matches(url.pathname);
        const way: Way =
          streamInvoke || durableApi ? 'invoke-api' : InvokeEndpoint.paths.includes(url.pathname) ? 'rie' : LambdaInvokeApi.matches(url.pathname) ? 'invoke-api' : 'front-door';
        const refusal = guard.check(req, way);
        if (refusal !== undefined) {
          log(`local server: refused ${req.method} ${url.pathname} from ${req.socket.remoteAddress ?? '?'}: ${refusal}`);
          return sendRefusal(res, way, refusal);
        }
        if (way === 'rie') return void rie(req, res);
        const read = await readBody(req, MAX_READ_BYTES);
        if (read.kind === 'aborted') return void res.destroy();
        if (read.kind === 'too-large') {
          if (SERVICE_PREFIXES.some((p) => url.pathname.startsWith(p))) {
            return sendServiceError(res, {
              status: 413,
              type: 'RequestTooLargeException',
              message: `Request must be smaller than ${MAX_READ_BYTES} bytes for the InvokeFunction operation`,
            });
          }
          const tooLarge = JSON.stringify({ Message: 'Request Entity Too Large' });
          res.writeHead(413, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(tooLarge)) });
          return void res.end(tooLarge);
        }
        const body = read.body;
        if (streamInvoke) return streamApi.handle(req, res, url, body);
        if (durable !== undefined && durableApi) return durable.handle(req, res, url, body);
        if (durable !== undefined && way === 'invoke-api') return durable.handleInvoke(req, res, url, body, LambdaInvokeApi.functionNameIn(url.pathname));
        if (way === 'invoke-api') return invokeApi.handle(req, res, url, body);
        if (SERVICE_PREFIXES.some((p) => url.pathname.startsWith(p))) {
          return sendServiceError(res, { status: 404, type: 'UnknownOperationException', message: `Unknown operation: ${req.method} ${url.pathname}` });
        }
        return frontDoor.handle(req, res, url, body);
      };
      answer().catch((error: unknown) => {
        log(`local server: ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
        if (res.headersSent) return void res.destroy();
        sendServiceError(res, { status: 500, type: 'ServiceException', message: `The local server failed: ${(error as Error).message}` });
      });
    });
  }

  override async close(): Promise<void> {
    await super.close();
    await this.durable?.close();
  }
}
