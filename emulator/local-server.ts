// One local HTTP server, three ways in to the same function (what `lambda-bootstrap serve` and
// `watch` listen with):
//   1. the Runtime Interface Emulator's invoke endpoint: POST /2015-03-31/functions/function/invocations
//      (and its streaming twin), as invoke-endpoint.ts serves it;
//   2. the Lambda Invoke API for the AWS CLI and SDKs: POST /2015-03-31/functions/{name}/invocations
//      (lambda-invoke-api.ts);
//   3. every other path: the HTTP front door, plain HTTP as a function URL event (http-front-door.ts).
// Other paths under the service's API prefixes get the service's UnknownOperationException. A
// request that cannot be mapped is answered with an error status and body; nothing a client
// sends stops the server.
import http from 'node:http';
import { HttpFrontDoor } from './http-front-door.ts';
import { InvokeEndpoint } from './invoke-endpoint.ts';
import { LambdaInvokeApi, sendServiceError } from './lambda-invoke-api.ts';
import type { LocalFunction } from './lambda-invoke-api.ts';
import { ServedOverHttp, listen } from './listening.ts';

export interface LocalServerOptions {
  /** The function's name for the Invoke API (AWS_LAMBDA_FUNCTION_NAME of the runtime). */
  functionName: string;
  /** Default '127.0.0.1': nothing listens beyond this machine unless asked. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Where REPORT lines and mapping problems go; default: standard error. */
  log?: (line: string) => void;
}

// The service's own API prefixes; no front-door request is routed to a path under them.
const SERVICE_PREFIXES = ['/2015-03-31/', '/2021-11-15/'];
/** Bodies above this are refused before they are read whole (Lambda's limits are 6 MB). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class LocalServer extends ServedOverHttp {
  protected readonly server: http.Server;

  static async start(fn: LocalFunction, options: LocalServerOptions): Promise<LocalServer> {
    const local = new LocalServer(fn, options);
    await listen(local.server, options.port ?? 8080, options.host ?? '127.0.0.1');
    return local;
  }

  private constructor(fn: LocalFunction, options: LocalServerOptions) {
    super();
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const rie = InvokeEndpoint.requestListener(fn, { log });
    const invokeApi = new LambdaInvokeApi(fn, { functionName: options.functionName, log });
    const frontDoor = new HttpFrontDoor(fn, { log });
    this.server = http.createServer((req, res) => {
      const answer = async (): Promise<void> => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (InvokeEndpoint.paths.includes(url.pathname)) return void rie(req, res);
        const body = await readBody(req);
        if (body === undefined) {
          if (SERVICE_PREFIXES.some((p) => url.pathname.startsWith(p))) {
            return sendServiceError(res, { status: 413, type: 'RequestTooLargeException', message: `Request must be smaller than ${MAX_BODY_BYTES} bytes` });
          }
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
          return void res.end(JSON.stringify({ Message: 'Request Entity Too Large' }));
        }
        if (LambdaInvokeApi.matches(url.pathname)) return invokeApi.handle(req, res, url, body);
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

}

/** The whole request body, or undefined when it is over MAX_BODY_BYTES (the rest is read and
 * dropped, so that the client still gets the answer). */
async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return length > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks);
}
