// `lambda-bootstrap durable …`: see and steer the executions of a running local server (`serve` /
// `watch` / `invoke --durable`) without the AWS CLI: its history, its list, and the answer to a
// callback. Each is one call of the Lambda durable-execution API (2025-12-01) that server serves
// (emulator/durable/durable-service.ts): GetDurableExecutionHistory (every page, following
// NextMarker), ListDurableExecutionsByFunction, SendDurableExecutionCallbackSuccess / Failure /
// Heartbeat. The requests are the AWS CLI's (JSON, no Origin, a Host of the URL): the server's
// caller guard (emulator/caller-guard.ts) accepts them exactly as it accepts the AWS CLI, and
// nothing about it is loosened for this command.
import type { Command } from 'commander';
import { ToolError } from './build-binary.ts';

const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/** One history event as the API answers it (timestamps are epoch seconds). */
interface WireEvent {
  EventId?: number;
  EventType?: string;
  Name?: string;
  EventTimestamp?: number;
  [member: string]: unknown;
}

/** The local server's base URL from --endpoint-url: an http(s) URL, without a trailing slash. */
export function endpointOf(text: string | undefined): string {
  const raw = text ?? DEFAULT_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolError(`--endpoint-url must be the local server's URL, like ${DEFAULT_ENDPOINT}; got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ToolError(`--endpoint-url must be an http URL, like ${DEFAULT_ENDPOINT}; got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/** Sends one API request; answers its JSON body, or throws a ToolError with the service's error type and message. */
async function call(endpoint: string, method: string, path: string, body?: string | Buffer): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    throw new ToolError(
      `no local server answers at ${endpoint}${typeof cause === 'string' ? ` (${cause})` : ''}: start one with \`lambda-bootstrap serve <function-dir> --durable\`, or pass the address it printed with --endpoint-url`,
    );
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    json = {};
  }
  if (!response.ok) {
    const type = response.headers.get('x-amzn-errortype') ?? `HTTP ${response.status}`;
    const message = typeof json.Message === 'string' ? json.Message : typeof json.message === 'string' ? json.message : text.slice(0, 200);
    if (response.status === 404 && type.startsWith('UnknownOperation')) {
      throw new ToolError(`${endpoint} serves no durable-execution API: start the local server with --durable (${type}: ${message})`);
    }
    throw new ToolError(`${type}: ${message}`);
  }
  return json;
}

/** Every event of the execution, page by page (GetDurableExecutionHistory, IncludeExecutionData). */
export async function readHistory(endpoint: string, arn: string): Promise<WireEvent[]> {
  const events: WireEvent[] = [];
  let marker: string | undefined;
  do {
    const query = new URLSearchParams({ IncludeExecutionData: 'true', MaxItems: '1000' });
    if (marker !== undefined) query.set('Marker', marker);
    const page = await call(endpoint, 'GET', `/2025-12-01/durable-executions/${encodeURIComponent(arn)}/history?${query}`);
    events.push(...((page.Events as WireEvent[] | undefined) ?? []));
    marker = typeof page.NextMarker === 'string' ? page.NextMarker : undefined;
  } while (marker !== undefined);
  return events;
}

/** One line per event: number, time (UTC), type, name, and what a reader acts on (a CallbackId, an error). */
export function formatEvent(event: WireEvent): string {
  const time = typeof event.EventTimestamp === 'number' ? new Date(event.EventTimestamp * 1000).toISOString().slice(11, 23) : '';
  const extra: string[] = [];
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('Details') || typeof value !== 'object' || value === null) continue;
    const details = value as Record<string, unknown>;
    if (typeof details.CallbackId === 'string') extra.push(`CallbackId=${details.CallbackId}`);
    if (typeof details.DurableExecutionArn === 'string' && details.DurableExecutionArn !== '') extra.push(`execution=${details.DurableExecutionArn}`);
    const error = (details.Error as { Payload?: { ErrorType?: unknown; ErrorMessage?: unknown } } | undefined)?.Payload;
    if (error !== undefined) extra.push(`error=${[error.ErrorType, error.ErrorMessage].filter((p) => typeof p === 'string').join(': ')}`);
  }
  return [String(event.EventId ?? '').padStart(4), time.padEnd(12), (event.EventType ?? '').padEnd(22), event.Name ?? '', ...extra].join('  ').trimEnd();
}

/** The callback answer's Error from --error: an ErrorObject as JSON, or a plain message. */
export function callbackError(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // a plain message
  }
  return { ErrorMessage: text };
}

/** Adds `durable history|list|callback` to the program. */
export function durableCommand(cli: Command, out: (text: string) => void): void {
  const durable = cli.command('durable').description("see and steer the durable executions of a running local server (serve/watch --durable): history, list, callback answers");
  const endpointOption = ['--endpoint-url <url>', `the local server (default ${DEFAULT_ENDPOINT}; invoke --durable prints its own)`] as const;

  durable
    .command('history')
    .description("an execution's history, every event (GetDurableExecutionHistory)")
    .argument('<execution-arn>', 'the DurableExecutionArn (Invoke answers it; `durable list` shows them)')
    .option(...endpointOption)
    .option('--json', 'print the events as the API answers them (JSON), payloads included')
    .action(async (arn: string, options: { endpointUrl?: string; json?: boolean }) => {
      const events = await readHistory(endpointOf(options.endpointUrl), arn);
      out(options.json === true ? `${JSON.stringify(events, null, 2)}\n` : events.map((e) => `${formatEvent(e)}\n`).join(''));
    });

  durable
    .command('list')
    .description("a function's executions, newest first (ListDurableExecutionsByFunction)")
    .argument('<function-name>', 'the function (--function-name of serve; default there: the folder name)')
    .option(...endpointOption)
    .option('--status <status>', 'only executions in this status (RUNNING, PAUSED, SUCCEEDED, FAILED, TIMED_OUT, STOPPED)')
    .action(async (name: string, options: { endpointUrl?: string; status?: string }) => {
      const endpoint = endpointOf(options.endpointUrl);
      let marker: string | undefined;
      do {
        const query = new URLSearchParams({ MaxItems: '1000' });
        if (options.status !== undefined) query.set('Statuses', options.status);
        if (marker !== undefined) query.set('Marker', marker);
        const page = await call(endpoint, 'GET', `/2025-12-01/functions/${encodeURIComponent(name)}/durable-executions?${query}`);
        for (const e of (page.DurableExecutions as Array<Record<string, unknown>> | undefined) ?? []) {
          out(`${String(e.Status ?? '').padEnd(10)}  ${String(e.DurableExecutionName ?? '')}  ${String(e.DurableExecutionArn ?? '')}\n`);
        }
        marker = typeof page.NextMarker === 'string' ? page.NextMarker : undefined;
      } while (marker !== undefined);
    });

  durable
    .command('callback')
    .description('answer a callback an execution waits for (SendDurableExecutionCallbackSuccess / Failure / Heartbeat)')
    .argument('<callback-id>', 'the CallbackId (the serve log and `durable history` show it)')
    .option(...endpointOption)
    .option('--result <text>', 'succeed with this result (the text the workflow gets, usually JSON)')
    .option('--error <json|message>', 'fail with this error: an ErrorObject as JSON ({"ErrorType":…,"ErrorMessage":…}) or a message')
    .option('--heartbeat', 'only say the work goes on (restarts the heartbeat timeout)')
    .action(async (callbackId: string, options: { endpointUrl?: string; result?: string; error?: string; heartbeat?: boolean }) => {
      const chosen = [options.result !== undefined, options.error !== undefined, options.heartbeat === true].filter(Boolean).length;
      if (chosen !== 1) throw new ToolError('durable callback: give exactly one of --result <text>, --error <json|message>, --heartbeat');
      const endpoint = endpointOf(options.endpointUrl);
      const path = `/2025-12-01/durable-execution-callbacks/${encodeURIComponent(callbackId)}`;
      if (options.result !== undefined) await call(endpoint, 'POST', `${path}/succeed`, Buffer.from(options.result));
      else if (options.error !== undefined) await call(endpoint, 'POST', `${path}/fail`, JSON.stringify(callbackError(options.error)));
      else await call(endpoint, 'POST', `${path}/heartbeat`, '{}');
      out(`${options.result !== undefined ? 'succeeded' : options.error !== undefined ? 'failed' : 'heartbeat sent'}\n`);
    });
}
