// Runs one parity case under one runtime in one mode, through the emulator, and turns what can be
// observed into an Observation: named facets (each invocation's outcome and log records, the
// records outside any invocation, the requests the function made to the fake AWS, the X-Ray
// segments it sent, protocol violations), each a normalised string, so that two runtimes' runs
// compare facet by facet.
//
// Normalisation removes only what differs between any two runs of the same runtime, or what names
// the runtime's own code rather than the function's behaviour: timestamps, the Runtime API's port,
// X-Ray segment ids and times, and stack frames outside the function's directory (the runtime's
// own frames: /var/runtime/index.mjs on one side, the bundle on the other). Request ids and trace
// ids are chosen by the suite (the same for both runtimes) and printed as req-N / trace-N.
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Emulator } from '../../emulator/index.ts';
import type { InvocationOutcome } from '../../emulator/index.ts';
import { functionDir, isRawEvent, MAX_CONCURRENCY } from './cases.ts';
import type { Mode, ParityCase } from './cases.ts';
import type { FakeAws, RecordedCall } from './fake-aws.ts';
import { FUNCTIONS_DIR, PARITY_DIR } from './paths.ts';
import { coldStarts, describeResources, describeSpans, otelIdMap, receivedSpans } from './otel-spans.ts';
import { describeSentryEnvelopes } from './sentry-events.ts';
import { describeNewRelicPayload, isNewRelicPayloadLine, newRelicColdStarts, newRelicIdMap } from './newrelic-payloads.ts';
import { datadogColdStarts, datadogIdMap, describeDatadogTraceLine, isDatadogMetric, isDatadogTraceLine } from './datadog-records.ts';
import { launch, managedNodePath, MEMORY_SIZE_MB, platformEnvironment } from './runtimes.ts';
import type { RuntimeId } from './runtimes.ts';

/** Facet name → normalised content. */
export type Observation = Map<string, string>;

export interface Run {
  observation: Observation;
  /** Everything the runtime printed, for failure messages. */
  output: string;
}

/** What every run of the suite shares: the layer root standing in for /opt, a refused port. */
export interface Workspace {
  /** Stands for `/`: holds opt/nodejs/node_modules/parity-layer-lib. */
  root: string;
  refusedEndpoint: string;
}

export function createWorkspace(refusedPort: number): Workspace {
  const root = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-parity-'));
  const layerModules = join(root, 'opt', 'nodejs', 'node_modules');
  mkdirSync(layerModules, { recursive: true });
  cpSync(join(PARITY_DIR, 'layer', 'parity-layer-lib'), join(layerModules, 'parity-layer-lib'), { recursive: true });
  return { root, refusedEndpoint: `http://127.0.0.1:${refusedPort}` };
}

export function requestId(index: number): string {
  return `c0ffee00-0000-4000-8000-${String(index + 1).padStart(12, '0')}`;
}

function traceRoot(index: number): string {
  return `1-67748580-${(index + 1).toString(16).padStart(24, '0')}`;
}

export function traceHeader(index: number): string {
  return `Root=${traceRoot(index)};Parent=5e1f000000000001;Sampled=1`;
}

const LOG_STREAM = '2025/01/01/[$LATEST]0123456789abcdef0123456789abcdef';

/** The environment both runtimes get, on top of what the emulator sets for every function. */
export function caseEnvironment(parityCase: ParityCase, mode: Mode, workspace: Workspace, fake: FakeAws): Record<string, string> {
  const dir = functionDir(parityCase);
  const env: Record<string, string> = {
    NODE_PATH: managedNodePath(workspace.root, dir),
    AWS_LAMBDA_LOG_STREAM_NAME: LOG_STREAM,
    AWS_ACCESS_KEY_ID: 'AKIAPARITYEXAMPLE000',
    AWS_SECRET_ACCESS_KEY: 'parity-secret-access-key',
    AWS_SESSION_TOKEN: 'parity-session-token',
    AWS_ENDPOINT_URL: fake.endpoint,
    PARITY_REFUSED_ENDPOINT: workspace.refusedEndpoint,
    AWS_XRAY_DAEMON_ADDRESS: fake.daemonAddress,
    _AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1',
    _AWS_XRAY_DAEMON_PORT: fake.daemonAddress.split(':')[1] ?? '',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  };
  // One worker thread in AWS's client: init then runs once, as in ours, and every invocation
  // shares one module instance (AWS_LAMBDA_NODEJS_WORKER_COUNT, the Managed Instances setting).
  if (mode === 'concurrent') env.AWS_LAMBDA_NODEJS_WORKER_COUNT = '1';
  // "Lambda Managed Instances only support JSON log format": the service sets it (Lambda developer
  // guide, Configuring JSON and plain text log formats).
  if (mode === 'concurrent') env.AWS_LAMBDA_LOG_FORMAT = 'JSON';
  for (const [name, value] of Object.entries(parityCase.env ?? {})) env[name] = value.replaceAll('{{dir}}', dir).replaceAll('{{endpoint}}', fake.endpoint).replaceAll('{{endpointHost}}', fake.endpoint.replace(/^http:\/\//, ''));
  return env;
}

export async function observe(parityCase: ParityCase, runtime: RuntimeId, mode: Mode, workspace: Workspace, fake: FakeAws): Promise<Run> {
  fake.reset();
  // BOOTSTRAP_TARGET=wrapper launches the wrapper layer under the managed bootstrap stand-in.
  const { command, args, env: launchEnvironment } = launch(runtime);
  const emulator = await Emulator.start({
    command,
    args,
    handler: parityCase.handler,
    taskRoot: functionDir(parityCase),
    env: { ...launchEnvironment, ...platformEnvironment(runtime), ...caseEnvironment(parityCase, mode, workspace, fake) },
    memorySizeMb: MEMORY_SIZE_MB,
    maxConcurrency: mode === 'concurrent' ? MAX_CONCURRENCY : undefined,
    initTimeoutMs: parityCase.initTimeoutMs,
  });
  try {
    const invoke = (event: unknown, index: number): Promise<InvocationOutcome> =>
      emulator.invoke(isRawEvent(event) ? event.raw : JSON.stringify(event), {
        requestId: requestId(index),
        traceId: traceHeader(index),
        clientContext: parityCase.clientContexts?.[index],
      });
    let outcomes: InvocationOutcome[];
    // Spans the collector stub held when each invocation's result arrived: an agent must flush
    // before the invocation ends (Lambda freezes the sandbox then).
    const spansAtResult: number[] = [];
    const envelopesAtResult: number[] = [];
    if (mode === 'sequential') {
      outcomes = [];
      for (const [index, event] of parityCase.events.entries()) {
        outcomes.push(await invoke(event, index));
        spansAtResult.push(receivedSpans(fake.otlpExports).length);
        envelopesAtResult.push(fake.sentryEnvelopes.length);
      }
    } else {
      const first = parityCase.firstAlone === undefined ? [] : [await invoke(parityCase.events[0], 0)];
      outcomes = [...first, ...(await Promise.all(parityCase.events.slice(first.length).map((event, index) => invoke(event, index + first.length))))];
    }
    await quiet(emulator, fake);
    const base = normaliser(parityCase.events.length, emulator.runtimeApi);
    // dd-trace's random trace and span ids, named by what they stand for (datadog-records.ts).
    const datadogIds = datadogIdMap(emulator.stdout, base, mode === 'concurrent');
    // New Relic's, named the same way (newrelic-payloads.ts).
    const newRelicIds = newRelicIdMap(emulator.stdout, base);
    // OpenTelemetry's, in the traceparent its propagator adds to outgoing requests (otel-spans.ts).
    const otelIds = otelIdMap(receivedSpans(fake.otlpExports), parityCase.events.map((_, index) => traceRoot(index)));
    const normalise: Normalise = (text) => base(otelIds(newRelicIds(datadogIds(text))));
    const fakePort = fake.endpoint.split(':').at(-1) ?? '';
    const observation: Observation = new Map();
    for (const [index, outcome] of outcomes.entries()) observation.set(`req-${index + 1} outcome`, describeOutcome(outcome, normalise));
    for (const [group, records] of logRecords(emulator, parityCase.events.length, normalise, (line) => describeDatadogTraceLine(line, normalise, fakePort, mode === 'concurrent'), (line) => describeNewRelicPayload(line, normalise, fakePort))) {
      // Concurrent mode compares each group's records as a set: invocations overlap, and AWS's
      // client runs the handler in a worker thread, whose process.stdout writes reach the pipe
      // through the main thread, after console records it writes synchronously (fs.writeSync).
      if (mode === 'concurrent') records.sort();
      observation.set(`${group} logs`, records.join('\n'));
    }
    const calls = fake.calls.map((call) => describeCall(call, normalise));
    if (mode === 'concurrent') calls.sort();
    observation.set('requests to AWS', calls.join('\n'));
    observation.set('X-Ray segments', fake.segments.map((s) => describeSegment(s, normalise)).sort().join('\n'));
    if (fake.otlpExports.length > 0 || spansAtResult.some((n) => n > 0)) {
      const spans = receivedSpans(fake.otlpExports);
      const roots = parityCase.events.map((_, index) => traceRoot(index));
      // Under concurrency which invocation is cold, and whether any is (the instrumentation calls a
      // first request more than 10 s after the process started a proactive initialisation), is
      // timing, unless the case sends its first event alone (firstAlone): then the first is cold.
      const coldStartByTiming = mode === 'concurrent' && parityCase.firstAlone === undefined;
      observation.set('OpenTelemetry spans', describeSpans(spans, roots, normalise, fake.endpoint.split(':').at(-1) ?? '', coldStartByTiming));
      if (!coldStartByTiming) observation.set('OpenTelemetry cold starts', String(coldStarts(spans)));
      observation.set('OpenTelemetry span count', String(spans.length));
      observation.set('OpenTelemetry resource', describeResources(fake.otlpExports, normalise));
      if (mode === 'sequential') observation.set('OpenTelemetry spans exported when each result arrived', spansAtResult.join(','));
    }
    if (fake.sentryEnvelopes.length > 0 || envelopesAtResult.some((n) => n > 0)) {
      observation.set('Sentry envelope items', describeSentryEnvelopes(fake.sentryEnvelopes, normalise, FUNCTIONS_DIR));
      // Sentry flushes before the invocation ends (its wrapper awaits flush before returning).
      if (mode === 'sequential') observation.set('Sentry envelopes received when each result arrived', envelopesAtResult.join(','));
    }
    if (emulator.stdout.includes('{"traces":[[')) observation.set('Datadog cold starts', datadogColdStarts(emulator.stdout));
    if (emulator.stdout.includes('"NR_LAMBDA_MONITORING"')) observation.set('New Relic cold starts', newRelicColdStarts(emulator.stdout, base));
    observation.set('protocol violations', emulator.protocolViolations.map(normalise).join('\n'));
    return { observation, output: emulator.output };
  } finally {
    await emulator.stop();
  }
}

/** Output and X-Ray datagrams travel apart from the result post: waits until neither has grown for 300 ms (at most 5 s). */
async function quiet(emulator: Emulator, fake: FakeAws): Promise<void> {
  let last = '';
  let stableSince = Date.now();
  const started = Date.now();
  while (Date.now() - started < 5_000) {
    const now = `${emulator.output.length}/${fake.segments.length}`;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 300) {
      return;
    }
    await sleep(50);
  }
}

type Normalise = (text: string) => string;

function normaliser(invocations: number, runtimeApi: string): Normalise {
  const ids = Array.from({ length: invocations }, (_, i) => [requestId(i), `req-${i + 1}`] as const);
  const traces = Array.from({ length: invocations }, (_, i) => [traceRoot(i), `trace-${i + 1}`] as const);
  return (text) => {
    let out = text;
    for (const [id, label] of ids) out = out.replaceAll(id, label);
    for (const [root, label] of traces) out = out.replaceAll(root, label);
    // A trace the suite did not start (an agent's own root, when no X-Ray header reached it):
    // random on every run.
    out = out.replace(/\b1-[0-9a-f]{8}-[0-9a-f]{24}\b/g, '<unrelated trace>');
    out = out.replaceAll(runtimeApi, '<runtime-api>');
    out = out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<time>');
    out = out.replace(/"totalRetryDelay":\d+/g, '"totalRetryDelay":"<ms>"');
    // Node's process warnings name the process id ("(node:978) [DEP0205] ..."): new on every run.
    out = out.replace(/\(node:\d+\) /g, '(node:<pid>) ');
    return dropRuntimeFrames(out);
  };
}

const FRAME = /^(\s+)at (async )?(?:.*\()?([^()]+?)\)?( \{)?$/;

/**
 * Stack frames (`    at …`) in \n- or \r-separated text: those outside the function's own files
 * are dropped, the others keep only their location (the function's label depends on how the
 * runtime holds the handler: `handler` vs `BufferedInvokeProcessor.handler`).
 */
function dropRuntimeFrames(text: string): string {
  if (!text.includes(' at ')) return text;
  const pieces = text.split(/(\r\n|\r|\n)/);
  const kept: string[] = [];
  for (let i = 0; i < pieces.length; i += 2) {
    const piece = pieces[i] ?? '';
    const frame = FRAME.exec(piece);
    if (frame !== null) {
      if (!piece.includes(FUNCTIONS_DIR)) continue;
      kept.push(`${frame[1]}at ${frame[2] ?? ''}${frame[3]}${frame[4] ?? ''}`, pieces[i + 1] ?? '');
      continue;
    }
    kept.push(piece, pieces[i + 1] ?? '');
  }
  return kept.join('').replace(/(\r\n|\r|\n)$/, text.match(/(\r\n|\r|\n)$/)?.[0] ?? '');
}

/** Normalises every string inside a JSON value, and epoch-millisecond numbers (EMF's Timestamp); keys keep their order. */
function normaliseJson(value: unknown, normalise: Normalise): unknown {
  if (typeof value === 'string') return normalise(value);
  if (typeof value === 'number' && Number.isInteger(value) && value > 1.5e12 && value < 2.5e12) return '<epoch-ms>';
  if (Array.isArray(value)) {
    // A stack frame element that normalises to nothing (a runtime frame) leaves the array.
    return value.filter((v) => !(typeof v === 'string' && v !== '' && normalise(v) === '')).map((v) => normaliseJson(v, normalise));
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      // The SDK's retry back-off is jittered: its total differs on every run of the same runtime.
      out[key] = key === 'totalRetryDelay' ? '<ms>' : normaliseJson((value as Record<string, unknown>)[key], normalise);
    }
    return out;
  }
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const COMPARED_HEADERS = ['content-type', 'lambda-runtime-function-response-mode', 'lambda-runtime-function-error-type', 'trailer'];

function describeOutcome(outcome: InvocationOutcome, normalise: Normalise): string {
  const lines = [`kind: ${outcome.kind}`, `error type: ${outcome.errorType ?? '-'}`, `recorded error type: ${outcome.recordedErrorType ?? '-'}`];
  for (const name of COMPARED_HEADERS) if (outcome.headers[name] !== undefined) lines.push(`header ${name}: ${outcome.headers[name]}`);
  if (outcome.headers['lambda-runtime-function-xray-error-cause'] !== undefined) lines.push('header lambda-runtime-function-xray-error-cause: (present)');
  const text = outcome.body.toString('utf8');
  if (outcome.streaming) {
    const json = parseJson(text);
    lines.push(`streamed body: ${JSON.stringify(json === undefined ? normalise(text) : normaliseErrorBody(json, normalise))}`);
  } else {
    const json = parseJson(text);
    lines.push(`body: ${json === undefined ? JSON.stringify(normalise(text)) : JSON.stringify(normaliseErrorBody(json, normalise))}`);
  }
  for (const [name, value] of Object.entries(outcome.trailers).sort()) {
    if (name === 'lambda-runtime-function-error-body') {
      const decoded = parseJson(Buffer.from(value, 'base64').toString('utf8'));
      lines.push(`trailer ${name}: ${JSON.stringify(normaliseErrorBody(decoded, normalise))}`);
    } else {
      lines.push(`trailer ${name}: ${normalise(value)}`);
    }
  }
  return lines.join('\n');
}

/** An error body's trace keeps only the lines that name the function's files (and its first line). */
function normaliseErrorBody(body: unknown, normalise: Normalise): unknown {
  const value = normaliseJson(body, normalise);
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { trace?: unknown }).trace)) return value;
  const trace = (value as { trace: unknown[] }).trace.filter((line) => typeof line !== 'string' || !/^\s+at /.test(line) || line.includes(FUNCTIONS_DIR));
  return { ...value, trace };
}

const TEXT_RECORD = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t([^\t]*)\t([A-Z]+)\t(.*)$/s;

/**
 * The runtime's output as log records grouped by invocation (`req-N`) or `outside invocations`:
 * the runtime's TEXT records (timestamp, request id, level, message), JSON lines (the runtime's
 * JSON records, Powertools' structured logs and EMF), and any other line as a RAW record.
 */
function logRecords(
  emulator: Emulator,
  invocations: number,
  normalise: Normalise,
  describeDatadogTrace: (line: string) => string,
  describeNewRelic: (line: string) => string | undefined,
): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  const labels = Array.from({ length: invocations }, (_, i) => `req-${i + 1}`);
  const add = (stream: string, line: string): void => {
    if (line === '') return;
    let level = 'RAW';
    let requestLabel = '';
    let message: string;
    const text = TEXT_RECORD.exec(line);
    const json = line.startsWith('{') ? parseJson(line) : undefined;
    if (text !== null) {
      requestLabel = normalise(text[1] ?? '');
      level = text[2] ?? '';
      // The runtime's own error records: `Invoke Error <TAB>{json}` (contract §8).
      const labelled = /^([^\t{]*\t)(\{.*\})$/s.exec(text[3] ?? '');
      const payload = labelled === null ? undefined : parseJson(labelled[2] ?? '');
      message = payload === undefined ? normalise(text[3] ?? '') : `${labelled?.[1] ?? ''}${JSON.stringify(normaliseJson(payload, normalise))}`;
    } else if (isNewRelicPayloadLine(line) && describeNewRelic(line) !== undefined) {
      // New Relic's serverless payload (no extension): compared decoded, not as base64.
      level = 'NR-PAYLOAD';
      message = describeNewRelic(line) ?? '';
    } else if (isDatadogTraceLine(line)) {
      // dd-trace's log exporter (no Datadog extension): compared span by span, not as raw JSON.
      level = 'DD-TRACE';
      message = describeDatadogTrace(line);
    } else if (typeof json === 'object' && json !== null) {
      const record = normaliseJson(json, normalise) as Record<string, unknown>;
      // A datadog-lambda-js metric point (DD_FLUSH_TO_LOG) is stamped in epoch seconds.
      if (isDatadogMetric(json)) record.e = '<epoch-s>';
      level = typeof record.level === 'string' ? record.level : 'JSON';
      const id = record.requestId ?? record.function_request_id;
      requestLabel = typeof id === 'string' ? id : '';
      message = JSON.stringify(record);
    } else {
      message = normalise(line);
    }
    const group = labels.find((label) => requestLabel === label) ?? labels.find((label) => new RegExp(`\\b${label}\\b`).test(message)) ?? 'outside invocations';
    const records = groups.get(group) ?? [];
    records.push(`${stream} ${level} [${requestLabel}] ${message}`);
    groups.set(group, records);
  };
  for (const line of emulator.stdout.split('\n')) add('stdout', line);
  for (const line of emulator.stderr.split('\n')) add('stderr', line);
  for (const label of labels) if (!groups.has(label)) groups.set(label, []);
  return groups;
}

function describeCall(call: RecordedCall, normalise: Normalise): string {
  const trace = call.traceHeader === undefined ? '-' : normalise(call.traceHeader).replace(/Parent=[0-9a-f]{16}/, 'Parent=<id>');
  // The W3C part only when the request carried one, so the other cases' lines stay as they were.
  const w3c = call.w3c === undefined ? '' : ` w3c=${normalise(call.w3c)}`;
  return `${call.method} ${call.path}${call.target === '' ? '' : ` ${call.target}`} trace=${trace}${w3c} preload=${call.preloadHeader ?? '-'} body=${JSON.stringify(normalise(call.body))}`;
}

/**
 * X-Ray ids and times differ on every run: ids become <id> (the trace header's parent stays), times
 * <t>; an exception's parsed frames become <frames> (they include the runtime's own).
 */
function describeSegment(segment: unknown, normalise: Normalise): string {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value).sort()) {
        const v = (value as Record<string, unknown>)[key];
        if (key === 'start_time' || key === 'end_time') out[key] = '<t>';
        // An exception's frames are parsed from the whole stack, the runtime's own frames included.
        else if (key === 'stack' && Array.isArray(v)) out[key] = '<frames>';
        else if ((key === 'id' || key === 'parent_id') && typeof v === 'string' && v !== '5e1f000000000001') out[key] = '<id>';
        else out[key] = strip(v);
      }
      return out;
    }
    return typeof value === 'string' ? normalise(value) : value;
  };
  return JSON.stringify(strip(segment));
}
