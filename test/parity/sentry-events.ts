// Sentry envelopes, as the Sentry stub (fake-aws.ts, /api/<project>/envelope/) received them, turned
// into comparable lines: each item's type and payload with what differs between any two runs (ids,
// times, the runtime's own stack frames, memory figures) normalised. The envelope format: a header
// line, then for each item a header line and a payload line (develop.sentry.dev, Envelopes).

// Keys whose values differ on every run of the same runtime, or describe the machine or the
// runtime's own process rather than the function.
const VARYING_KEYS = new Set(['event_id', 'timestamp', 'start_timestamp', 'sent_at', 'sid', 'started', 'duration', 'trace_id', 'span_id', 'parent_span_id', 'sample_rand', 'modules', 'os', 'device', 'culture', 'app', 'server_name', 'free_memory', 'memory_size', 'boot_time', 'process_memory', 'app_memory', 'app_start_time', 'sdk', 'length', 'execution_duration_in_millis', 'remaining_time_in_millis']);
// The process's command line names the runtime itself: node and /var/runtime/index.mjs, or bootstrap.
const RUNTIME_KEYS = new Set(['sys.argv']);

function normaliseValue(value: unknown, normalise: (text: string) => string, functionsDir: string): unknown {
  if (typeof value === 'string') return normalise(value);
  if (Array.isArray(value)) return value.map((v) => normaliseValue(v, normalise, functionsDir));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (VARYING_KEYS.has(key)) out[key] = '<varies>';
      else if (key === 'breadcrumbs' && Array.isArray(v)) out[key] = v.map((crumb) => describeBreadcrumb(crumb, normalise));
      else if (RUNTIME_KEYS.has(key)) out[key] = '<runtime>';
      // A stack trace's frames include the runtime's own: only the function's are compared.
      else if (key === 'frames' && Array.isArray(v)) {
        out[key] = v
          .filter((frame) => typeof (frame as { filename?: unknown }).filename === 'string' && ((frame as { filename: string }).filename.includes(functionsDir)))
          .map((frame) => normaliseValue(frame, normalise, functionsDir));
      } else out[key] = normaliseValue(v, normalise, functionsDir);
    }
    return out;
  }
  return value;
}

/**
 * A breadcrumb as `<category> <level>: <message>` (its time and data vary): what the function's
 * process printed or did before the event, e.g. a console breadcrumb of Node's own warnings.
 */
function describeBreadcrumb(crumb: unknown, normalise: (text: string) => string): string {
  if (typeof crumb !== 'object' || crumb === null) return '<unparsable breadcrumb>';
  const { category, level, message } = crumb as { category?: unknown; level?: unknown; message?: unknown };
  return `${String(category ?? '?')} ${String(level ?? '?')}: ${typeof message === 'string' ? normalise(message) : '<no message>'}`;
}

/** One line per envelope item (its type and normalised payload), sorted. */
export function describeSentryEnvelopes(envelopes: readonly string[], normalise: (text: string) => string, functionsDir: string): string {
  const lines: string[] = [];
  for (const envelope of envelopes) {
    const [, ...rest] = envelope.split('\n').filter((line) => line !== '');
    for (let i = 0; i + 1 < rest.length; i += 2) {
      let header: { type?: string };
      let payload: unknown;
      try {
        header = JSON.parse(rest[i] as string) as { type?: string };
        payload = JSON.parse(rest[i + 1] as string);
      } catch {
        lines.push(`unparsable item: ${normalise(rest[i] ?? '')}`);
        continue;
      }
      lines.push(`${header.type ?? '?'} ${JSON.stringify(normaliseValue(payload, normalise, functionsDir))}`);
    }
  }
  return lines.sort().join('\n');
}
