// OpenTelemetry spans, as the collector stub (fake-aws.ts, OTLP/HTTP JSON on /v1/traces) received
// them, turned into comparable lines: name, kind, status, parent (by name within the trace, the X-Ray
// header's parent id, or none), the trace (trace-N when it is the invocation's X-Ray trace), and the
// attributes, with what differs between any two runs (ids, times, ports, durations) normalised.

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
  events?: { name: string }[];
}

interface OtlpExport {
  resourceSpans?: { resource?: { attributes?: { key: string; value: OtlpValue }[] }; scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[];
}

export interface ReceivedSpan extends OtlpSpan {
  scope: string;
}

/** Every span of every export, in arrival order. */
export function receivedSpans(exports: readonly unknown[]): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const received of exports as OtlpExport[]) {
    for (const resource of received.resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) spans.push({ ...span, scope: scope.scope?.name ?? '' });
      }
    }
  }
  return spans;
}

function plain(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plain);
  return null;
}

// Attributes whose value differs on every run of the same runtime.
const VARYING = new Set(['server.port', 'net.peer.port', 'net.host.port', 'http.response_content_length_uncompressed', 'http.request_content_length_uncompressed']);

/**
 * One line per span, sorted. `traceRoots[i]` is invocation i's X-Ray root (`1-xxxxxxxx-yyyy…`),
 * whose OpenTelemetry trace id is the two hex parts joined; `normalise` is the run's normaliser.
 */
export function describeSpans(
  spans: readonly ReceivedSpan[],
  traceRoots: readonly string[],
  normalise: (text: string) => string,
  fakePort: string,
  /** Concurrent invocations: which one is a worker's first (faas.coldstart) is down to timing. */
  coldStartByTiming: boolean,
): string {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const traceLabel = (traceId: string): string => {
    const index = traceRoots.findIndex((root) => root.split('-').slice(1).join('') === traceId);
    return index === -1 ? `<other trace${xrayTimeBased(traceId) ? ', X-Ray time-based id' : ''}>` : `trace-${index + 1}`;
  };
  const lines = spans.map((span) => {
    const parent = span.parentSpanId === undefined || span.parentSpanId === '' ? 'none' : byId.get(span.parentSpanId)?.name ?? `remote ${span.parentSpanId}`;
    const attributes: Record<string, unknown> = {};
    for (const { key, value } of [...(span.attributes ?? [])].sort((a, b) => a.key.localeCompare(b.key))) {
      const v = plain(value);
      attributes[key] = (coldStartByTiming && key === 'faas.coldstart') ? '<timing>' : VARYING.has(key) ? '<varies>' : typeof v === 'string' ? normalise(v).replaceAll(fakePort, '<port>') : v;
    }
    const status = span.status?.code === undefined || span.status.code === 0 ? 'unset' : `${span.status.code}${span.status.message ? ` ${normalise(span.status.message)}` : ''}`;
    const events = (span.events ?? []).map((e) => e.name).join(',');
    return `${span.scope} "${span.name}" kind=${span.kind} status=${status} parent=${parent} ${traceLabel(span.traceId)} events=[${events}] attrs=${JSON.stringify(attributes)}`;
  });
  return lines.sort().join('\n');
}

/** How many spans say faas.coldstart true. */
export function coldStarts(spans: readonly ReceivedSpan[]): number {
  return spans.filter((span) => span.attributes?.some((a) => a.key === 'faas.coldstart' && a.value.boolValue === true)).length;
}

/**
 * Whether a trace id is X-Ray's form (the X-Ray ID generator's: the first 4 bytes are the trace's
 * start, epoch seconds) rather than 16 random bytes: its first 8 hex digits are within a day of now.
 */
function xrayTimeBased(traceId: string): boolean {
  const seconds = Number.parseInt(traceId.slice(0, 8), 16);
  return Math.abs(seconds - Date.now() / 1000) < 86_400;
}

/**
 * The resource attributes each export carried (the resource detectors' output: cloud.*, faas.*,
 * service.name, telemetry.sdk.*), one line per distinct set, sorted.
 */
export function describeResources(exports: readonly unknown[], normalise: (text: string) => string): string {
  const sets = new Set<string>();
  for (const received of exports as OtlpExport[]) {
    for (const resource of received.resourceSpans ?? []) {
      const attributes: Record<string, unknown> = {};
      for (const { key, value } of [...(resource.resource?.attributes ?? [])].sort((a, b) => a.key.localeCompare(b.key))) {
        const v = plain(value);
        attributes[key] = typeof v === 'string' ? normalise(v) : v;
      }
      sets.add(JSON.stringify(attributes));
    }
  }
  return [...sets].sort().join('\n');
}

/**
 * Names the OpenTelemetry ids a W3C traceparent carries (`00-<trace>-<span>-<flags>`) by what they
 * stand for, from the exported spans: the trace as trace-N (the invocation's X-Ray trace) or
 * `<other trace>`, the span as `otel-span(<name>)`. A traceparent of no exported trace is left as it is.
 */
export function otelIdMap(spans: readonly ReceivedSpan[], traceRoots: readonly string[]): (text: string) => string {
  if (spans.length === 0) return (text) => text;
  const traces = new Set(spans.map((span) => span.traceId));
  const names = new Map(spans.map((span) => [span.spanId, span.name]));
  const traceLabel = (traceId: string): string => {
    const index = traceRoots.findIndex((root) => root.split('-').slice(1).join('') === traceId);
    return index === -1 ? '<other trace>' : `trace-${index + 1}`;
  };
  return (text) =>
    text.replace(/\b00-([0-9a-f]{32})-([0-9a-f]{16})-(\d\d)\b/g, (whole, trace: string, span: string, flags: string) =>
      traces.has(trace) ? `00-${traceLabel(trace)}-otel-span(${names.get(span) ?? '?'})-${flags}` : whole,
    );
}
