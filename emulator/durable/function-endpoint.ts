// What a durable function's process needs to talk to the local service instead of Lambda's: the
// SDK's default LambdaClient (@aws/durable-execution-sdk-js) reads AWS_ENDPOINT_URL_LAMBDA, as
// every AWS SDK v3 client reads AWS_ENDPOINT_URL_<SERVICE>; so the function runs unchanged.
// The variable must be in the runtime's environment before it starts, so the local server's port
// is chosen first (freePort) when the caller asked for "any port".
import { createServer } from 'node:net';

/** A TCP port on `host` that nothing listens on now (bound, then released). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error(`no free port on ${host}`);
  return address.port;
}

/**
 * The function's environment for the local durable service at `endpoint` (http://host:port):
 * AWS_ENDPOINT_URL_LAMBDA, and — only when the caller's environment has no credentials — a
 * placeholder key pair, because the SDK's client refuses to send an unsigned request and the
 * local service does not check signatures. The function's own variables win (an explicit
 * AWS_ENDPOINT_URL_LAMBDA is kept).
 */
export function durableFunctionEnv(env: Record<string, string | undefined>, endpoint: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { AWS_ENDPOINT_URL_LAMBDA: endpoint, ...env };
  if (out.AWS_ACCESS_KEY_ID === undefined || out.AWS_SECRET_ACCESS_KEY === undefined) {
    out.AWS_ACCESS_KEY_ID = 'local-durable';
    out.AWS_SECRET_ACCESS_KEY = 'local-durable';
    delete out.AWS_SESSION_TOKEN;
  }
  return out;
}

/** `http://host:port` for a local server bound to `host` (a wildcard bind is reached on loopback). */
export function endpointFor(host: string, port: number): string {
  const reach = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' || host === '[::]' ? '[::1]' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${reach}:${port}`;
}
