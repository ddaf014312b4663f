// The invoke's client context (`Lambda-Runtime-Client-Context`), parsed once when /next answers,
// with its W3C trace context taken out: AWS's v4 client deletes `w3c` from `context.clientContext`
// and hands a frozen copy of its string fields out as `context.w3c()`; the runtime also puts them
// in the InvokeStore (traceparent, tracestate, baggage), where the AWS SDK finds them for every
// request it sends. Source: aws-lambda-nodejs-runtime-interface-client v4,
// src/context/context-builder.ts (extractAndStripW3c) and src/context/constants.ts (W3C_ALLOWED_FIELDS).

import { LambdaError, MALFORMED_INVOKE_HEADER } from '../errors.ts';

/** The fields of the client context's `w3c` object that AWS's client keeps, in its order. */
export const W3C_FIELDS = ['traceparent', 'tracestate', 'baggage'] as const;

export type W3CFieldName = (typeof W3C_FIELDS)[number];

/** What `context.w3c()` returns: frozen, only string fields. */
export type W3CFields = Readonly<Partial<Record<W3CFieldName, string>>>;

/** The client context as the handler sees it, and its W3C trace context. */
export interface ClientContext {
  /** The parsed header without its `w3c` key; undefined when the header was absent or empty. */
  readonly value: unknown;
  readonly w3c: W3CFields;
}

/** `context.w3c()` of an invocation without W3C trace context: one frozen object for all of them. */
export const NO_W3C: W3CFields = Object.freeze({});

const ABSENT: ClientContext = Object.freeze({ value: undefined, w3c: NO_W3C });

/**
 * Parses the `Lambda-Runtime-Client-Context` header value. Absent or empty: `value` undefined.
 * Not JSON: a `Runtime.MalformedInvokeHeader` LambdaError (reported as that invocation's error; AWS's
 * client throws a PlatformError quoting the parser instead, but the header may hold the caller's
 * secrets, so the message gives only its length).
 */
export function parseClientContext(header: string | undefined): ClientContext | LambdaError {
  if (header === undefined || header === '') return ABSENT;
  let value: unknown;
  try {
    value = JSON.parse(header);
  } catch {
    return malformedHeader('Lambda-Runtime-Client-Context', header);
  }
  return { value, w3c: extractW3c(value) };
}

/** The error for a client-context or identity header that is not JSON. */
export function malformedHeader(headerName: string, value: string): LambdaError {
  return new LambdaError(
    MALFORMED_INVOKE_HEADER,
    `The ${headerName} header of this invocation is not valid JSON (${value.length} characters); ` +
      'the handler was not called. Check the client context or identity the caller sent.',
  );
}

// AWS's extractAndStripW3c: the key goes whatever it holds; only an object's string fields are kept.
function extractW3c(clientContext: unknown): W3CFields {
  if (clientContext === null || typeof clientContext !== 'object' || !('w3c' in clientContext)) return NO_W3C;
  const record = clientContext as Record<string, unknown>;
  const raw = record.w3c;
  delete record.w3c;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return NO_W3C;
  const source = raw as Record<string, unknown>;
  const fields: Partial<Record<W3CFieldName, string>> = {};
  for (const name of W3C_FIELDS) {
    const value = source[name];
    if (typeof value === 'string') fields[name] = value;
  }
  return Object.freeze(fields);
}
