// New Relic's serverless payloads, as the agent in serverless mode without its extension writes
// them: one stdout line per invocation, `[<version>,"NR_LAMBDA_MONITORING","<base64 gzip JSON>"]`
// (newrelic lib/collector/serverless.js), the JSON `{metadata, data}` whose data holds the
// collector's usual payloads: metric_data, analytic_event_data (the Transaction event),
// error_data and error_event_data, span_event_data. This module decodes a line into comparable
// facts: the metadata, each event with its intrinsics, user and agent attributes (aws.requestId,
// aws.lambda.arn, aws.lambda.coldStart, …), each error with its stack, and each metric's name and
// call count, with what differs between any two runs (ids, times, durations, the agent's sampling
// priority, the fake AWS's port) normalised.
import { gunzipSync } from 'node:zlib';

const MARKER = /^\[\d+,"NR_LAMBDA_MONITORING","[A-Za-z0-9+/=]*"\]$/;

/** An NR_LAMBDA_MONITORING line. */
export function isNewRelicPayloadLine(line: string): boolean {
  return MARKER.test(line);
}

interface Payload {
  metadata?: Record<string, unknown>;
  data?: Record<string, unknown>;
}

function decode(line: string): Payload | undefined {
  try {
    const [, , encoded] = JSON.parse(line) as [number, string, string];
    return JSON.parse(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8')) as Payload;
  } catch {
    return undefined;
  }
}

// Values that differ on every run of the same runtime: times, durations, random ids, the agent's
// random sampling priority, the per-run port of the fake AWS.
const VARYING = new Set([
  'timestamp', 'duration', 'totalTime', 'webDuration', 'externalDuration', 'databaseDuration', 'queueDuration',
  'traceId', 'guid', 'parentId', 'transactionId', 'spanId', 'nr.transactionGuid', 'priority', 'nr_exclusive_duration_millis',
  'server.port', 'agent_version',
]);

function normaliseValue(value: unknown, normalise: (text: string) => string, fakePort: string, key = ''): unknown {
  if (VARYING.has(key)) return '<varies>';
  if (typeof value === 'string') return normalise(value).replaceAll(fakePort, '<port>');
  if (Array.isArray(value)) {
    // A stack trace's runtime frames normalise to nothing and leave the array (observe.ts's rule).
    return value.filter((v) => !(typeof v === 'string' && v !== '' && normalise(v) === '')).map((v) => normaliseValue(v, normalise, fakePort));
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = normaliseValue((value as Record<string, unknown>)[k], normalise, fakePort, k);
    return out;
  }
  return value;
}

/** The events of an event payload `[runId, {reservoir_size, events_seen}, [event, …]]`. */
function events(payload: unknown): unknown[] {
  return Array.isArray(payload) && Array.isArray(payload[2]) ? (payload[2] as unknown[]) : [];
}

/**
 * One payload line as comparable text, or undefined when it does not decode: metadata, then one
 * line per transaction event, error, error event and span event (sorted within each kind), then
 * the metrics as `name[ scope] ×calls`, sorted.
 */
export function describeNewRelicPayload(line: string, normalise: (text: string) => string, fakePort: string): string | undefined {
  const payload = decode(line);
  if (payload === undefined) return undefined;
  const data = payload.data ?? {};
  const show = (value: unknown): string => JSON.stringify(normaliseValue(value, normalise, fakePort));
  const lines = [`New Relic payload: metadata ${show(payload.metadata ?? {})}`];
  const kinds: [string, unknown[]][] = [
    ['transaction event', events(data.analytic_event_data)],
    ['error event', events(data.error_event_data)],
    ['span event', events(data.span_event_data)],
    // error_data: [runId, [[time, transaction name, message, class, {attributes, stack_trace}, guid], …]]
    ['error', Array.isArray(data.error_data) && Array.isArray(data.error_data[1]) ? (data.error_data[1] as unknown[][]).map((e) => e.slice(1, 5)) : []],
  ];
  for (const [kind, list] of kinds) lines.push(...list.map((event) => `  ${kind} ${show(event)}`).sort());
  // metric_data: [runId, start s, end s, [[{name, scope?}, [calls, total, exclusive, min, max, sumsq]], …]]
  const metrics = Array.isArray(data.metric_data) && Array.isArray(data.metric_data[3]) ? (data.metric_data[3] as [{ name: string; scope?: string }, number[]][]) : [];
  lines.push(`  metrics: ${metrics.map(([spec, values]) => `${normalise(spec.name).replaceAll(fakePort, '<port>')}${spec.scope === undefined ? '' : ` (${spec.scope})`} ×${values[0]}`).sort().join(', ')}`);
  const other = Object.keys(data).filter((key) => !['metric_data', 'analytic_event_data', 'error_event_data', 'span_event_data', 'error_data'].includes(key)).sort();
  if (other.length > 0) lines.push(`  other payloads: ${other.join(', ')}`);
  return lines.join('\n');
}

/** Per payload line of `stdout`, in order: the request id label and whether aws.lambda.coldStart was set. */
export function newRelicColdStarts(stdout: string, requestLabel: (requestId: string) => string): string {
  const facts: string[] = [];
  for (const line of stdout.split('\n')) {
    if (!isNewRelicPayloadLine(line)) continue;
    for (const event of events(decode(line)?.data?.analytic_event_data)) {
      const agent = (Array.isArray(event) ? event[2] : undefined) as Record<string, unknown> | undefined;
      facts.push(`${requestLabel(String(agent?.['aws.requestId'] ?? '?'))} coldStart=${String(agent?.['aws.lambda.coldStart'] ?? false)}`);
    }
  }
  return facts.join('\n');
}

/**
 * Maps the agent's random ids in the distributed-tracing headers it adds to outgoing requests
 * (`traceparent: 00-<trace id>-<span guid>-01`, `tracestate: <account>@nr=0-0-<account>-<app>-<span
 * guid>-<transaction guid>-<sampled>-<priority>-<epoch ms>`) to what they stand for, from the
 * payloads in `stdout`: `nr-trace(req-N)`, `nr-span(<name>)`, `nr-transaction(req-N)`; the random
 * priority and the time become `<priority>` and `<ms>`. Text without New Relic's tracestate is left as it is.
 */
export function newRelicIdMap(stdout: string, requestLabel: (requestId: string) => string): (text: string) => string {
  const labels = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (!isNewRelicPayloadLine(line)) continue;
    const data = decode(line)?.data ?? {};
    for (const event of events(data.analytic_event_data)) {
      if (!Array.isArray(event)) continue;
      const intrinsics = event[0] as Record<string, unknown>;
      const request = requestLabel(String((event[2] as Record<string, unknown> | undefined)?.['aws.requestId'] ?? '?'));
      if (typeof intrinsics.traceId === 'string') labels.set(intrinsics.traceId, `nr-trace(${request})`);
      if (typeof intrinsics.guid === 'string') labels.set(intrinsics.guid, `nr-transaction(${request})`);
    }
    for (const event of events(data.span_event_data)) {
      const intrinsics = (Array.isArray(event) ? event[0] : {}) as Record<string, unknown>;
      if (typeof intrinsics.guid === 'string' && typeof intrinsics.name === 'string') labels.set(intrinsics.guid, `nr-span(${intrinsics.name})`);
    }
  }
  // An id no payload names (the agent wrote none: in a worker thread it cannot write to stdout's fd).
  const label = (id: string): string => labels.get(id) ?? '<id in no payload>';
  return (text) =>
    // Only a line that carries New Relic's tracestate: another agent's traceparent stays as it is.
    !text.includes('@nr=')
      ? text
      : text
      .replace(/\b00-([0-9a-f]{32})-([0-9a-f]{16})-(\d\d)\b/g, (_, trace: string, span: string, flags: string) => `00-${label(trace)}-${label(span)}-${flags}`)
      .replace(/@nr=(\d+)-(\d+)-(\d+)-(\d+)-([0-9a-f]*)-([0-9a-f]*)-(\d)-([\d.]+)-(\d+)/g, (_, version: string, type: string, account: string, app: string, span: string, transaction: string, sampled: string) =>
        `@nr=${version}-${type}-${account}-${app}-${span === '' ? '' : label(span)}-${transaction === '' ? '' : label(transaction)}-${sampled}-<priority>-<ms>`);
}
