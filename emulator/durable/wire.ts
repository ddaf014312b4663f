// The REST-JSON wire format of the durable-execution API (Lambda API version 2025-12-01): bodies
// are JSON, timestamps are epoch seconds (the protocol's default timestampFormat), errors are the
// service's `x-amzn-ErrorType` + `{"Type":"User","Message":…}` (invoke/lambda-invoke-api.ts sendServiceError).
import type http from 'node:http';

/** JSON with every Date as epoch seconds (fractional), as the AWS SDKs read timestamps. */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, converted: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : converted;
  });
}

/** Sends a 2xx JSON answer (status 200 unless told). */
export function sendJson(res: http.ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  const body = toWireJson(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

/** Parses a JSON request body into an object; undefined when it is not a JSON object (an empty body is {}). */
export function parseObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) return {};
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** GetDurableExecutionHistory without IncludeExecutionData: the events without their payloads
 * (inputs, results, error payloads), as the service answers by default. */
export function withoutPayloads<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutPayloads(item)) as T;
  if (value instanceof Date || typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'Payload') continue;
    out[key] = withoutPayloads(member);
  }
  return out as T;
}
