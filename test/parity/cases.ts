// The parity cases: each a real function (test/parity/functions/<function>), one handler of it, the
// events it is invoked with, and any environment of its own. Every case runs in both modes unless
// its `modes` says why not.
import { join } from 'node:path';
import { FUNCTIONS_DIR } from './paths.ts';

export interface ParityCase {
  /** `<function>/<what>`: the name results and allow-list entries use. */
  name: string;
  /** Folder under test/parity/functions. */
  function: string;
  handler: string;
  /** Invoked in this order one at a time (sequential mode), all at once (concurrent mode). */
  events: unknown[];
  /** Lambda-Runtime-Client-Context (raw JSON) of each event, by index; none when absent. */
  clientContexts?: readonly (string | undefined)[];
  /** Extra environment; `{{dir}}` becomes the function's absolute directory. */
  env?: Record<string, string>;
  /**
   * Lambda's 10 s init limit, raised for a function whose init is heavy (an agent loading hundreds
   * of modules through loader hooks) on a loaded test machine: a timed-out init is retried inside
   * the first invoke, which changes what both runtimes report (faas.coldstart) by chance.
   */
  initTimeoutMs?: number;
  /**
   * Concurrent mode sends the first event alone and the others together once it is answered, and
   * says why: an agent's cold-start report on Managed Instances is then one fact (the process's
   * first invocation) rather than which of several simultaneous invocations its code saw first.
   */
  firstAlone?: string;
  /** The modes it is compared in (default: every mode), and why any is left out. */
  modes?: { only: readonly Mode[]; why: string };
}

export type Mode = 'sequential' | 'concurrent';
export const MODES: readonly Mode[] = ['sequential', 'concurrent'];
/** AWS_LAMBDA_MAX_CONCURRENCY in concurrent mode (Lambda Managed Instances). */
export const MAX_CONCURRENCY = 4;

/** The modes a case is compared in. */
export function modesOf(parityCase: ParityCase): readonly Mode[] {
  return parityCase.modes?.only ?? MODES;
}

/** How many comparisons a full run makes. */
export function comparisonCount(): number {
  return CASES.reduce((sum, parityCase) => sum + modesOf(parityCase).length, 0);
}

const sqsRecord = (id: string, body: unknown): Record<string, unknown> => ({
  messageId: id,
  receiptHandle: `handle-${id}`,
  body: JSON.stringify(body),
  attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1735689600000', SenderId: 'AIDAPARITY', ApproximateFirstReceiveTimestamp: '1735689600001' },
  messageAttributes: {},
  md5OfBody: '0',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:parity-queue',
  awsRegion: 'us-east-1',
});

const httpEvent = (body: string): Record<string, unknown> => ({
  httpMethod: 'POST',
  path: '/greet',
  headers: { 'Content-Type': 'application/json' },
  body,
  isBase64Encoded: false,
});

/** The traceparents of the sdk-s3/w3c case's first two invocations (the third has none). */
export const W3C_TRACEPARENTS = ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'] as const;

/** A Lambda function URL (payload 2.0) GET event for `path`. */
const functionUrlEvent = (path: string): Record<string, unknown> => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: { host: 'abc.lambda-url.us-east-1.on.aws', 'user-agent': 'parity' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc',
    domainName: 'abc.lambda-url.us-east-1.on.aws',
    domainPrefix: 'abc',
    http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'parity' },
    requestId: 'url-request',
    routeKey: '$default',
    stage: '$default',
    time: '01/Jan/2025:00:00:00 +0000',
    timeEpoch: 1735689600000,
  },
  isBase64Encoded: false,
});

/**
 * Datadog without its extension (no /opt/extensions/datadog-agent): dd-trace writes its traces and
 * datadog-lambda-js its metrics to stdout (DD_FLUSH_TO_LOG), Datadog's Forwarder set-up.
 */
/**
 * Lambda Managed Instances "does not support cold starts" (Lambda developer guide, Scaling Lambda
 * Managed Instances): the runtime reports none, and datadog-lambda-js decides itself, from a
 * process-wide flag, that a process's first invocation is its cold start.
 */
const DATADOG_COLD_START = "datadog-lambda-js's cold_start tag is a process-wide flag that simultaneous invocations race for";

const DATADOG_ENV: Record<string, string> = {
  DD_TRACE_ENABLED: 'true',
  DD_FLUSH_TO_LOG: 'true',
  DD_SERVICE: 'parity-datadog',
  DD_TRACE_STARTUP_LOGS: 'false',
};

/**
 * New Relic's agent in serverless mode without its extension: each invocation's payload goes to
 * stdout (NR_LAMBDA_MONITORING); no config file, the agent's own log off (its default file is in
 * the working directory, read-only on Lambda).
 */
/** The agent marks the first invocation a process serves (lib/serverless/aws-lambda.js: a module flag). */
const NEW_RELIC_COLD_START = "New Relic's aws.lambda.coldStart goes to whichever invocation the agent sees first";

const NEW_RELIC_ENV: Record<string, string> = {
  NEW_RELIC_SERVERLESS_MODE_ENABLED: 'true',
  NEW_RELIC_NO_CONFIG_FILE: 'true',
  NEW_RELIC_APP_NAME: 'parity-newrelic',
  NEW_RELIC_ACCOUNT_ID: '1234567',
  NEW_RELIC_TRUSTED_ACCOUNT_KEY: '1234567',
  NEW_RELIC_PRIMARY_APPLICATION_ID: '7654321',
  NEW_RELIC_LOG_ENABLED: 'false',
  // Where the New Relic extension would read payloads (the agent's default is /tmp/newrelic-telemetry,
  // used whenever that path exists): a path that never exists, so the payload goes to stdout
  // whatever another program left in /tmp.
  NEWRELIC_PIPE_PATH: '/nonexistent/newrelic-telemetry',
};

/** What ADOT's exec wrapper (/opt/otel-handler) exports before the runtime starts, for a function without it. */
const ADOT_ENV: Record<string, string> = {
  NODE_OPTIONS: '--import {{dir}}/adot.mjs',
  OTEL_RESOURCE_ATTRIBUTES: 'service.name=test-function',
  OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '{{endpoint}}/v1/traces',
};

export const CASES: readonly ParityCase[] = [
  {
    name: 'sdk-s3/send',
    function: 'sdk-s3',
    handler: 'index.handler',
    events: [
      { op: 'get', key: 'hello.txt' },
      { op: 'put', key: 'orders/1.txt', body: 'order one' },
      { op: 'get', key: 'missing.txt' },
      { op: 'get', key: 'hello.txt', bucket: 'no-such-bucket' },
    ],
  },
  {
    // A caller's W3C trace context (client context `w3c`): the SDK sends each invocation's own
    // traceparent/tracestate/baggage with its request (issue 19; see the allow-list for AWS's 4.0.2).
    name: 'sdk-s3/w3c',
    function: 'sdk-s3',
    handler: 'index.handler',
    events: [
      { op: 'get', key: 'hello.txt' },
      { op: 'put', key: 'orders/2.txt', body: 'order two' },
      { op: 'get', key: 'hello.txt' },
    ],
    clientContexts: [
      JSON.stringify({ custom: { caller: 'a' }, w3c: { traceparent: W3C_TRACEPARENTS[0], tracestate: 'vendor=a', baggage: 'user=alice' } }),
      JSON.stringify({ w3c: { traceparent: W3C_TRACEPARENTS[1] } }),
      undefined,
    ],
  },
  {
    name: 'sdk-s3/refused',
    function: 'sdk-s3',
    handler: 'index.handler',
    events: [
      { op: 'get', key: 'hello.txt', refused: true },
      { op: 'put', key: 'x.txt', body: 'x', refused: true },
    ],
  },
  {
    name: 'sdk-dynamodb/send',
    function: 'sdk-dynamodb',
    handler: 'index.handler',
    events: [
      { op: 'put', item: { pk: 'order-1', total: 42, tags: ['a', 'b'] } },
      { op: 'get', pk: 'seeded-never' },
      { op: 'put', item: { pk: 'order-2', nested: { ok: true } } },
      { op: 'get', pk: 'order-1', table: 'no-such-table' },
    ],
  },
  {
    name: 'sdk-dynamodb/refused',
    function: 'sdk-dynamodb',
    handler: 'index.handler',
    events: [
      { op: 'get', pk: 'order-1', refused: true },
      { op: 'put', item: { pk: 'order-9' }, refused: true },
    ],
  },
  {
    name: 'powertools/logger',
    function: 'powertools',
    handler: 'logger.handler',
    env: { POWERTOOLS_SERVICE_NAME: 'parity-orders', POWERTOOLS_LOG_LEVEL: 'INFO' },
    events: [
      { orderId: 'o-1', items: 2 },
      { orderId: 'o-2', items: 0, reject: true },
      { orderId: 'o-3', items: 5 },
    ],
  },
  {
    name: 'powertools/tracer',
    function: 'powertools',
    handler: 'tracer.handler',
    env: { POWERTOOLS_SERVICE_NAME: 'parity-orders', POWERTOOLS_TRACE_ENABLED: 'true' },
    events: [{ orderId: 't-1' }, { orderId: 't-2', fail: true }, { orderId: 't-3' }],
    modes: {
      only: ['sequential'],
      why:
        "with several invocations in one process, the X-Ray SDK's segment for one invocation lands on another invocation's trace, " +
        'in an order that depends on timing, under AWS\'s client as under ours (observed: t-1 on trace-2 there, on trace-3 here); ' +
        '_X_AMZN_TRACE_ID is process-wide, so neither runtime sets it on Managed Instances (contract §10)',
    },
  },
  {
    name: 'powertools/metrics',
    function: 'powertools',
    handler: 'metrics.handler',
    env: { POWERTOOLS_METRICS_NAMESPACE: 'Parity' },
    events: [
      { channel: 'web', count: 1, orderId: 'm-1' },
      { channel: 'app', count: 3, orderId: 'm-2' },
      { channel: 'web', count: 2, orderId: 'm-3' },
    ],
  },
  {
    name: 'powertools/batch',
    function: 'powertools',
    handler: 'batch.handler',
    events: [
      { Records: [sqsRecord('msg-1', { orderId: 'b-1' }), sqsRecord('msg-2', { orderId: 'b-2', fail: true }), sqsRecord('msg-3', { orderId: 'b-3' })] },
      { Records: [sqsRecord('msg-4', { orderId: 'b-4', fail: true })] },
      { Records: [sqsRecord('msg-5', { orderId: 'b-5' })] },
    ],
  },
  {
    name: 'middy/http',
    function: 'middy',
    handler: 'index.handler',
    events: [httpEvent('{"name":"Ada"}'), httpEvent('{not json'), httpEvent('{"name":"crash"}'), httpEvent('{"name":"Grace"}')],
  },
  {
    name: 'preload/import-and-require',
    function: 'preload',
    handler: 'index.handler',
    env: { NODE_OPTIONS: '--require {{dir}}/cjs-preload.cjs --import {{dir}}/otel-preload.mjs' },
    events: [{}, {}],
  },
  {
    name: 'otel/esm',
    function: 'otel',
    handler: 'index.handler',
    env: { NODE_OPTIONS: '--import {{dir}}/otel.mjs', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '{{endpoint}}/v1/traces' },
    initTimeoutMs: 120_000,
    events: [{ key: 'hello.txt' }, { key: 'hello.txt', fail: true }, { key: 'missing.txt' }],
  },
  {
    name: 'otel/cjs',
    function: 'otel',
    handler: 'cjs.handler',
    env: { NODE_OPTIONS: '--import {{dir}}/otel.mjs', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '{{endpoint}}/v1/traces' },
    initTimeoutMs: 120_000,
    events: [{ key: 'hello.txt' }, { key: 'hello.txt', fail: true }],
  },
  {
    // OpenTelemetry as AWS's ADOT layer sets it up (functions/adot/adot.mjs): X-Ray ID generator,
    // AWS Lambda resource detector, tracecontext+baggage+xray propagators, batch OTLP export.
    name: 'adot/esm',
    function: 'adot',
    handler: 'index.handler',
    env: ADOT_ENV,
    initTimeoutMs: 120_000,
    firstAlone: "the aws-lambda instrumentation's faas.coldstart goes to the first invocation the process's module sees (a module flag)",
    events: [{ key: 'hello.txt' }, { key: 'hello.txt', fail: true }, { key: 'missing.txt' }],
  },
  {
    name: 'adot/cjs',
    function: 'adot',
    handler: 'cjs.handler',
    env: ADOT_ENV,
    initTimeoutMs: 120_000,
    events: [{ key: 'hello.txt' }, { key: 'hello.txt', fail: true }],
  },
  {
    name: 'sentry/esm',
    function: 'sentry',
    handler: 'index.handler',
    env: { NODE_OPTIONS: '--import @sentry/aws-serverless/awslambda-auto', SENTRY_DSN: 'http://parity@{{endpointHost}}/1' },
    events: [{ orderId: 's-1' }, { orderId: 's-2', fail: true }, { orderId: 's-3' }],
    initTimeoutMs: 120_000,
  },
  {
    name: 'sentry/cjs',
    function: 'sentry',
    handler: 'cjs.handler',
    env: { NODE_OPTIONS: '--require @sentry/aws-serverless/awslambda-auto', SENTRY_DSN: 'http://parity@{{endpointHost}}/1' },
    events: [{ orderId: 's-1' }, { orderId: 's-2', fail: true }],
    initTimeoutMs: 120_000,
  },
  {
    // Datadog's Lambda layer set-up without its extension: the function's handler is the library's
    // redirect handler, DD_LAMBDA_HANDLER the function's own; traces and metrics go to the log.
    name: 'datadog/redirect-handler',
    function: 'datadog',
    handler: 'node_modules/datadog-lambda-js/dist/handler.handler',
    env: { DD_LAMBDA_HANDLER: 'index.handler', ...DATADOG_ENV },
    events: [{ orderId: 'd-1' }, { orderId: 'd-2', fail: true }, { orderId: 'd-3' }],
    initTimeoutMs: 120_000,
    firstAlone: DATADOG_COLD_START,
  },
  {
    // Datadog set up in code: dd-trace init() and datadog(handler), CommonJS.
    name: 'datadog/wrapped-cjs',
    function: 'datadog',
    handler: 'cjs.handler',
    env: DATADOG_ENV,
    events: [{ orderId: 'd-1' }, { orderId: 'd-2', fail: true }],
    initTimeoutMs: 120_000,
    firstAlone: DATADOG_COLD_START,
  },
  {
    // New Relic in serverless mode, instrumented in code (newrelic.setLambdaHandler), CommonJS.
    name: 'newrelic/set-lambda-handler-cjs',
    function: 'newrelic',
    handler: 'cjs.handler',
    env: NEW_RELIC_ENV,
    events: [{ orderId: 'n-1' }, { orderId: 'n-2', fail: true }, { orderId: 'n-3' }],
    initTimeoutMs: 120_000,
    firstAlone: NEW_RELIC_COLD_START,
  },
  {
    // In worker threads (Managed Instances: both runtimes run the handler in one) the agent does
    // not start unless told to (worker_threads.enabled); the cases above compare it staying off.
    // Told to, it runs but cannot write its payload (fs.writeSync to a worker's stdout fd, which
    // has none): the outgoing requests' trace headers are what is compared.
    name: 'newrelic/worker-threads-enabled',
    function: 'newrelic',
    handler: 'cjs.handler',
    env: { ...NEW_RELIC_ENV, NEW_RELIC_WORKER_THREADS_ENABLED: 'true' },
    events: [{ orderId: 'n-1' }, { orderId: 'n-2', fail: true }, { orderId: 'n-3' }],
    initTimeoutMs: 120_000,
    firstAlone: NEW_RELIC_COLD_START,
    modes: { only: ['concurrent'], why: 'outside a worker thread the setting changes nothing: set-lambda-handler-cjs is that run' },
  },
  {
    // The same as an ES module, with the agent's ESM loader preloaded.
    name: 'newrelic/esm-loader',
    function: 'newrelic',
    handler: 'index.handler',
    env: { ...NEW_RELIC_ENV, NODE_OPTIONS: '--import newrelic/esm-loader.mjs' },
    events: [{ orderId: 'n-1' }, { orderId: 'n-2', fail: true }],
    initTimeoutMs: 120_000,
    firstAlone: NEW_RELIC_COLD_START,
  },
  {
    name: 'streamlibs/lambda-stream',
    function: 'streamlibs',
    handler: 'lambdastream.handler',
    events: [{ name: 'Ada' }, { name: 'Grace' }],
  },
  {
    name: 'streamlibs/hono-stream-handle',
    function: 'streamlibs',
    handler: 'hono.handler',
    events: [functionUrlEvent('/stream'), functionUrlEvent('/fail'), functionUrlEvent('/missing')],
  },
  {
    name: 'streamlibs/s3-pipeline',
    function: 'streamlibs',
    handler: 's3pipe.handler',
    events: [{ key: 'hello.txt' }, { key: 'hello.txt', awaited: false }, { key: 'missing.txt' }],
  },
  {
    name: 'layer/node-path-require',
    function: 'layer',
    handler: 'index.handler',
    events: [{ name: 'Ada' }, { name: 'Grace' }],
  },
  {
    name: 'layer/esm-import',
    function: 'layer',
    handler: 'esm.handler',
    events: [{ name: 'Ada' }],
  },
  {
    name: 'callback/callback',
    function: 'callback',
    handler: 'index.handler',
    events: [{ n: 1 }, { n: 2, fail: true }, { n: 3 }],
  },
  {
    name: 'streaming/stream',
    function: 'streaming',
    handler: 'index.handler',
    events: [{ n: 1 }, { n: 2, fail: true }, { n: 3 }],
  },
  {
    name: 'edge/context',
    function: 'edge',
    handler: 'context.handler',
    events: [{ n: 1 }, { n: 2 }],
  },
  {
    name: 'edge/legacy-completion',
    function: 'edge',
    handler: 'legacy.handler',
    events: [{ n: 1 }, { n: 2, fail: true }, { n: 3 }],
  },
  {
    name: 'edge/result-too-large',
    function: 'edge',
    handler: 'large.handler',
    events: [{ big: false }, { big: true }, { big: false }],
  },
  {
    name: 'edge/typescript',
    function: 'edge',
    handler: 'typed.handler',
    events: [{ id: 'ts-1' }],
  },
  {
    name: 'edge/event-not-json',
    function: 'edge',
    handler: 'echo.handler',
    events: [{ ok: 1 }, { raw: '{"half": ' }, { ok: 3 }],
  },
];

/** An event sent as these exact bytes instead of JSON.stringify(event). */
export interface RawEvent {
  raw: string;
}

export function isRawEvent(event: unknown): event is RawEvent {
  return typeof event === 'object' && event !== null && typeof (event as RawEvent).raw === 'string' && Object.keys(event).length === 1;
}

export function functionDir(parityCase: ParityCase): string {
  return join(FUNCTIONS_DIR, parityCase.function);
}

/** The functions the cases cover (for the summary line). */
export function functionNames(): string[] {
  return [...new Set(CASES.map((c) => c.function))];
}
