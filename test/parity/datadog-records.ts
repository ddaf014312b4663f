// Datadog's records, as a function without the Datadog extension writes them to stdout: dd-trace's
// log exporter prints each finished trace as one `{"traces":[[span, …]]}` line, and
// datadog-lambda-js with DD_FLUSH_TO_LOG prints each metric point as `{"e":<epoch s>,"m":…,"t":[tags],"v":…}`
// (Datadog Forwarder format). This module turns them into comparable facts: the spans of each trace
// (name, resource, type, error, parent by name, tags), and an id map that replaces the random trace
// and span ids wherever they travel (the traceparent/tracestate dd-trace adds to outgoing requests)
// by what they stand for: `dd-trace(req-N)` (the trace whose aws.lambda span has request_id req-N)
// and `dd-span(<name>)`.

interface DatadogSpan {
  trace_id: string;
  span_id: string;
  parent_id: string;
  name: string;
  resource: string;
  service?: string;
  type?: string;
  error?: number;
  meta?: Record<string, string>;
  metrics?: Record<string, number>;
}

interface TraceLine {
  traces: DatadogSpan[][];
}

/** dd-trace's log exporter line (packages/dd-trace/src/exporters/log: TRACE_PREFIX). */
export function isDatadogTraceLine(line: string): boolean {
  return line.startsWith('{"traces":[[');
}

function parseTraceLine(line: string): DatadogSpan[][] {
  try {
    return (JSON.parse(line) as TraceLine).traces;
  } catch {
    return [];
  }
}

/** A datadog-lambda-js metric log record (dist/metrics/metric-log.js: buildMetricLog). */
export function isDatadogMetric(record: unknown): record is { e: number; m: string; t: string[]; v: number } {
  if (typeof record !== 'object' || record === null) return false;
  const keys = Object.keys(record);
  return keys.length === 4 && keys[0] === 'e' && keys[1] === 'm' && keys[2] === 't' && keys[3] === 'v';
}

// Spans for the modules required during init (DD_COLD_START_TRACING), kept only when a load took
// longer than DD_MIN_COLD_START_DURATION (3 ms): which modules pass is timing, and the order modules
// load in differs between two runs of the same runtime (observed with a 0 ms threshold). The
// aws.lambda.load span that holds them is compared.
const TIMING_SPANS = new Set(['aws.lambda.require', 'aws.lambda.require_core_module']);

// Tags whose value differs on every run of the same runtime: the tracer's process and time-based ids.
const VARYING_META = new Set(['runtime-id', '_dd.p.tid']);
const VARYING_METRICS = new Set(['process_id', 'network.destination.port']);

// Under AWS_LAMBDA_MAX_CONCURRENCY, invocations overlap in one process, and datadog-lambda-js keeps
// the invocation in module state (TraceListener.context, set by each onStartInvocation and read
// when a span is tagged; cold start from a process-wide flag): which invocation's request id, cold
// start and error land on a span is the library's race, under AWS's client as under ours (observed
// there: two aws.lambda spans tagged with the same request id, one with the other's error). Which
// trace an outgoing request joins is the same race. These are compared as `<race>` then.
const RACY_META = new Set(['request_id', 'cold_start', 'error.type', 'error.message', 'error.stack']);

/**
 * Maps dd-trace's random ids to labels, from every trace line of `stdout`: a trace id (the low 64
 * bits, hex, and the 128-bit W3C form with its `_dd.p.tid` high half) becomes `dd-trace(req-N)`
 * when the trace's aws.lambda span carries request id `requestLabel(id)`, else `dd-trace(?)`; a
 * span id becomes `dd-span(<name>)`; with `racy` (concurrent invocations, see RACY_META) every
 * trace is `dd-trace(<race>)`. Returns the replacing function (identity without traces).
 */
export function datadogIdMap(stdout: string, requestLabel: (requestId: string) => string, racy: boolean): (text: string) => string {
  const labels = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (!isDatadogTraceLine(line)) continue;
    for (const trace of parseTraceLine(line)) {
      const root = trace.find((span) => span.name === 'aws.lambda' && span.meta?.request_id !== undefined);
      for (const span of trace) {
        const traceLabel = racy ? 'dd-trace(<race>)' : root === undefined ? 'dd-trace(?)' : `dd-trace(${requestLabel(root.meta?.request_id ?? '')})`;
        const high = span.meta?.['_dd.p.tid'];
        if (high !== undefined) labels.set(`${high}${span.trace_id}`, traceLabel);
        if (!labels.has(span.trace_id)) labels.set(span.trace_id, traceLabel);
        if (span.span_id !== span.trace_id) labels.set(span.span_id, `dd-span(${span.name})`);
        else labels.set(`span:${span.span_id}`, `dd-span(${span.name})`);
      }
    }
  }
  if (labels.size === 0) return (text) => text;
  return (text) =>
    text
      // traceparent 00-<32 hex trace>-<16 hex parent>-<flags>
      .replace(/\b00-([0-9a-f]{32})-([0-9a-f]{16})-(\d\d)\b/g, (_, trace: string, parent: string, flags: string) => `00-${labels.get(trace) ?? '<trace>'}-${labels.get(parent) ?? labels.get(`span:${parent}`) ?? '<span>'}-${flags}`)
      // tracestate's dd member: t.tid (the trace id's time-based high half), p (the parent span), and
      // the OpenTelemetry random value dd-trace adds (ot=rv:…).
      .replace(/t\.tid:[0-9a-f]{16}/g, 't.tid:<high bits>')
      .replace(/\bp:([0-9a-f]{16})\b/g, (_, id: string) => `p:${labels.get(id) ?? labels.get(`span:${id}`) ?? '<span>'}`)
      .replace(/\brv:[0-9a-f]{14}\b/g, 'rv:<random>');
}

/**
 * One trace line as comparable text: its spans sorted, each `name resource type error parent=<name>
 * meta={…} metrics={…}`, with ids, times and per-process values normalised; the init-time module
 * load spans left out (see TIMING_SPANS). `normalise` is the run's normaliser. With `racy`
 * (concurrent invocations) the tags of RACY_META and the aws.lambda span's error flag read `<race>`.
 */
export function describeDatadogTraceLine(line: string, normalise: (text: string) => string, fakePort: string, racy: boolean): string {
  const out: string[] = [];
  for (const trace of parseTraceLine(line)) {
    const byId = new Map(trace.map((span) => [span.span_id, span]));
    const lines: string[] = [];
    let timingSpans = 0;
    for (const span of trace) {
      if (TIMING_SPANS.has(span.name)) {
        timingSpans++;
        continue;
      }
      const parent = span.parent_id === '0000000000000000' || span.parent_id === '' ? 'none' : byId.get(span.parent_id)?.name ?? 'remote';
      const meta: Record<string, string> = {};
      for (const key of Object.keys(span.meta ?? {}).sort()) {
        const value = span.meta?.[key] ?? '';
        meta[key] = VARYING_META.has(key) ? '<varies>' : racy && RACY_META.has(key) ? '<race>' : normalise(value).replaceAll(fakePort, '<port>');
      }
      const metrics: Record<string, number | string> = {};
      for (const key of Object.keys(span.metrics ?? {}).sort()) metrics[key] = VARYING_METRICS.has(key) ? '<varies>' : (span.metrics?.[key] ?? 0);
      lines.push(`"${span.name}" resource=${JSON.stringify(normalise(span.resource).replaceAll(fakePort, '<port>'))} service=${span.service ?? '-'} type=${span.type ?? '-'} error=${racy && span.name === 'aws.lambda' ? '<race>' : (span.error ?? 0)} parent=${parent} meta=${JSON.stringify(meta)} metrics=${JSON.stringify(metrics)}`);
    }
    lines.sort();
    out.push(`trace of ${trace.length - timingSpans} compared spans:\n  ${lines.join('\n  ')}`);
  }
  return out.join('\n');
}

/** How many aws.lambda spans in `stdout`'s trace lines say cold_start true, of how many. */
export function datadogColdStarts(stdout: string): string {
  let cold = 0;
  let invocations = 0;
  for (const line of stdout.split('\n')) {
    if (!isDatadogTraceLine(line)) continue;
    for (const trace of parseTraceLine(line)) {
      for (const span of trace) {
        if (span.name !== 'aws.lambda') continue;
        invocations++;
        if (span.meta?.cold_start === 'true') cold++;
      }
    }
  }
  return `${cold} of ${invocations} aws.lambda spans`;
}
