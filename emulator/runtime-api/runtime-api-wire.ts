// The Runtime API's wire as the service reads and writes it: the /next headers (UTF-8 on a stack
// that writes Latin-1), request headers as the service reads them, Go's encoding/json where the
// service's answers show it (syntax error messages, case-insensitive field names), request and
// extension ids, and request bodies read whole or to a limit. Used by runtime-api-server.ts.
import type http from 'node:http';
import type { Invocation } from '../invocation.ts';

/** A Lambda-Extension-Identifier the service accepts: a UUID, hyphens optional, bare, `urn:uuid:` or braced. */
export const UUID = /^(?:urn:uuid:|\{)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i;

/** Go's encoding/json message for the first syntax error of `text` (the common cases). */
export function goJsonSyntaxError(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return 'unexpected end of JSON input';
  const first = trimmed[0] ?? '';
  if (!'{["-0123456789tfn'.includes(first)) return `invalid character '${first}' looking for beginning of value`;
  return 'unexpected end of JSON input';
}

/** Go's json.Unmarshal matches field names case-insensitively. */
export function caseInsensitive(value: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fields;
  for (const [key, field] of Object.entries(value)) fields[key.toLowerCase()] = field;
  return fields;
}

/** A UUID that matched UUID in its canonical form: lower-case, hyphenated, bare. */
export function canonicalUuid(text: string): string {
  const hex = text.replace(/^urn:uuid:/i, '').replace(/[{}-]/g, '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** A header value as the service puts it on the wire, UTF-8: node:http writes one byte per
 * character (Latin-1), so the value goes in as its UTF-8 bytes, one character each. */
function utf8Wire(value: string): string {
  return NON_ASCII.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/** The /next response headers for an invocation (its deadline has been set on delivery). */
export function nextHeaders(invocation: Invocation): Record<string, string> {
  const options = invocation.options;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
    'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs ?? Date.now()),
    'Lambda-Runtime-Invoked-Function-Arn': invocation.invokedFunctionArn,
  };
  if (invocation.traceId !== undefined) headers['Lambda-Runtime-Trace-Id'] = invocation.traceId;
  if (options.clientContext !== undefined) headers['Lambda-Runtime-Client-Context'] = options.clientContext;
  if (options.cognitoIdentity !== undefined) headers['Lambda-Runtime-Cognito-Identity'] = options.cognitoIdentity;
  if (options.tenantId !== undefined) headers['Lambda-Runtime-Aws-Tenant-Id'] = options.tenantId;
  if (invocation.invocationId !== undefined) headers['Lambda-Runtime-Invocation-Id'] = invocation.invocationId;
  for (const name in headers) headers[name] = utf8Wire(headers[name]!);
  return headers;
}

/** Lower-cased names; values decoded as UTF-8, as the service reads them (node:http decodes Latin-1). */
export function flattenHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    flat[name.toLowerCase()] = NON_ASCII.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text;
  }
  return flat;
}

/** A request id from the result path, percent-decoded; undefined when it is not valid percent-encoding. */
export function decodeId(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/** The `errorType` of an error body (JSON), or undefined when it has none or is not JSON. */
export function bodyErrorType(body: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const type = (parsed as { errorType?: unknown } | null)?.errorType;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the whole body, keeping at most `limit` bytes; `size` is the full size received and
 * `complete` false when the connection ended before the body did. */
export async function readLimited(req: http.IncomingMessage, limit: number): Promise<{ body: Buffer; size: number; complete: boolean }> {
  const pieces: Buffer[] = [];
  let size = 0;
  try {
    for await (const piece of req as AsyncIterable<Buffer>) {
      if (size + piece.length <= limit) pieces.push(piece);
      size += piece.length;
    }
  } catch {
    return { body: Buffer.concat(pieces), size, complete: false };
  }
  return { body: Buffer.concat(pieces), size, complete: req.complete };
}

/** Reads the whole body. */
export async function readAll(req: http.IncomingMessage): Promise<Buffer> {
  return (await readLimited(req, Number.MAX_SAFE_INTEGER)).body;
}
