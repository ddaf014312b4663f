// The Invoke API's request headers as the invocation's options, read one way by every way in that
// takes them (the Lambda Invoke API, InvokeWithResponseStream, AWS's emulator's invoke endpoint):
// X-Amz-Client-Context carries the client context as base64 of its JSON (the runtime gets the JSON,
// Lambda-Runtime-Client-Context), X-Amzn-Trace-Id the trace header, X-Amz-Tenant-Id the tenant.
// Each caller words its own 400 for a client context that is not base64 of JSON: the service's
// and the RIE's differ.
import type http from 'node:http';
import type { InvokeOptions } from '../invocation.ts';
import { header } from '../listening.ts';

/** The options of an invocation with id `requestId` from the request's headers; undefined when
 * X-Amz-Client-Context is there but is not base64 of JSON. */
export function invokeHeaders(req: http.IncomingMessage, requestId: string): InvokeOptions | undefined {
  const options: InvokeOptions = { requestId };
  const clientContext = header(req, 'x-amz-client-context');
  if (clientContext !== undefined) {
    const json = Buffer.from(clientContext, 'base64').toString('utf8');
    try {
      JSON.parse(json);
    } catch {
      return undefined;
    }
    options.clientContext = json;
  }
  const traceId = header(req, 'x-amzn-trace-id');
  if (traceId !== undefined) options.traceId = traceId;
  const tenantId = header(req, 'x-amz-tenant-id');
  if (tenantId !== undefined) options.tenantId = tenantId;
  return options;
}
