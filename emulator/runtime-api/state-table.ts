// The Runtime API and Extensions API state machines of the Lambda service, row by row, as AWS
// publishes them in the Runtime Interface Emulator's Go source (aws/aws-lambda-runtime-interface-emulator,
// internal/lambda/...). The Runtime API server decides every answer with `runtimeRow` /
// `extensionRow` and renders the body with the row's `body`, so this table IS the emulator's
// behaviour; emulator/runtime-api/state-table.test.ts drives one request per row and compares the bytes.
//
// Hand-written data, no library: it is a transcription of AWS's source, with a reference per row.
// Paths below are relative to internal/lambda/ in that repository. The Extensions API's rows are
// extension-state-table.ts; the bodies' Go encoding is rie-bodies.ts.
import { EXTENSION_ROWS } from './extension-state-table.ts';
import { NOT_ALLOWED, accepted, empty, errorResponse } from './rie-bodies.ts';

/** Runtime states, with the service's names (core/runtime_state_names.go). */
export type RuntimeState =
  | 'Started'
  | 'InitError'
  | 'Ready'
  | 'Running'
  | 'RestoreReady'
  | 'Restoring'
  | 'InvocationResponse'
  | 'InvocationErrorResponse'
  | 'RuntimeResponseSentState'
  | 'RuntimeRestoreErrorState';

/** Extension ("agent") states (core/agent_state_names.go). Internal extensions never rest in
 * Started: they are created and registered by the same request. */
export type ExtensionState = 'Started' | 'Registered' | 'Ready' | 'Running' | 'InitError' | 'ExitError';

export type RuntimeRequest = 'next' | 'response' | 'error' | 'init/error' | 'restore/next' | 'restore/error';
export type ExtensionRequest = 'register' | 'event/next' | 'init/error' | 'exit/error';

/** What a row's body may quote. */
export interface BodyParams {
  /** The extension's identifier (a UUID), or the unparsable header value. */
  extensionId?: string;
  /** The event named in a register request. */
  event?: string;
  /** Go's encoding/json error for a register body that is not JSON. */
  jsonError?: string;
  functionName?: string;
  functionVersion?: string;
  handler?: string;
  accountId?: string;
}

export interface Row {
  /** Stable name, used by the tests and the docs. */
  id: string;
  actor: 'runtime' | 'extension' | 'service';
  /** The state the request finds, '*' for any, or a condition checked before any state. */
  state: string;
  request: string;
  /** The answer's status; 0 = held open (a long poll answered later, see `note`). */
  status: number;
  /** The exact response body bytes (Go's json.Encoder adds the trailing newline). */
  body: (params: BodyParams) => string;
  /** The state after the request. */
  next: string;
  /** file:function in the RIE source. */
  source: string;
  note?: string;
}

export const MAX_PAYLOAD_SIZE = 6 * 1024 * 1024 + 100; // interop/model.go MaxPayloadSize

/** handler/constants.go StateTransitionFailedForRuntimeMessageFormat */
function runtimeRefused(from: RuntimeState, to: RuntimeState): string {
  return errorResponse('InvalidStateTransition', `State transition from ${from} to ${to} failed for runtime. Error: ${NOT_ALLOWED}`);
}


// Where each request wants to go (the `to` of a refused transition's message).
const TARGET: Record<RuntimeRequest, RuntimeState> = {
  next: 'Ready',
  response: 'InvocationResponse',
  error: 'InvocationErrorResponse',
  'init/error': 'InitError',
  'restore/next': 'Ready', // handler/restorenext.go quotes RuntimeReadyStateName
  'restore/error': 'RuntimeRestoreErrorState',
};

const H = 'rapi/handler/';
const S = 'core/states.go:';

/** The allowed runtime transitions; every other (state, request) pair is refused with 403. */
const RUNTIME_ALLOWED: Row[] = [
  {
    id: 'runtime.started.next',
    actor: 'runtime',
    state: 'Started',
    request: 'next',
    status: 200,
    body: empty,
    next: 'Running',
    source: `${S}RuntimeStartedState.Ready; rapid/handlers.go:doRuntimeDomainInit`,
    note: 'Held open: Ready, registration closes, then answered with the first event only once every registered extension is Ready (init done) and an invoke arrives. Body: the event.',
  },
  {
    id: 'runtime.started.init-error',
    actor: 'runtime',
    state: 'Started',
    request: 'init/error',
    status: 202,
    body: accepted,
    next: 'InitError',
    source: `${H}initerror.go:ServeHTTP; ${S}RuntimeStartedState.InitError`,
    note: 'The error (type kept only if it matches (Runtime|Function).[A-Z][a-zA-Z]+) answers the first invoke; the sandbox is then reset.',
  },
  {
    id: 'runtime.started.restore-next',
    actor: 'runtime',
    state: 'Started',
    request: 'restore/next',
    status: 200,
    body: empty,
    next: 'Restoring',
    source: `${H}restorenext.go:ServeHTTP; ${S}RuntimeStartedState.RestoreReady; rapi/rendering/rendering.go:RestoreRenderer`,
    note: 'SnapStart only. Held open (RestoreReady) until the snapshot is restored, then 200 with no body.',
  },
  {
    id: 'runtime.running.next',
    actor: 'runtime',
    state: 'Running',
    request: 'next',
    status: 200,
    body: empty,
    next: 'Running',
    source: `${S}RuntimeRunningState.Ready (returns nil); rapi/rendering/rendering.go:InvokeRenderer.RenderRuntimeEvent`,
    note: 'A /next before a result re-delivers the current event (same request id) at once.',
  },
  {
    id: 'runtime.running.response',
    actor: 'runtime',
    state: 'Running',
    request: 'response',
    status: 202,
    body: accepted,
    next: 'RuntimeResponseSentState',
    source: `${H}invocationresponse.go:ServeHTTP; ${S}RuntimeRunningState.InvocationResponse, RuntimeInvocationResponseState.ResponseSent`,
    note: 'While a streamed body is still arriving the state is InvocationResponse.',
  },
  {
    id: 'runtime.running.response-too-large',
    actor: 'runtime',
    state: 'Running',
    request: 'response',
    status: 413,
    body: () => errorResponse('RequestEntityTooLarge', `Exceeded maximum allowed payload size (${MAX_PAYLOAD_SIZE} bytes).`),
    next: 'RuntimeResponseSentState',
    source: `${H}invocationresponse.go:ServeHTTP (*interop.ErrorResponseTooLarge); rapi/rendering/render_error.go:RenderRequestEntityTooLarge`,
    note: 'Buffered body over 6291556 bytes: the service itself records Function.ResponseSizeTooLarge ("Response payload size (N bytes) exceeded maximum allowed payload size (6291556 bytes).") and closes the invocation.',
  },
  {
    id: 'runtime.running.response-bad-mode',
    actor: 'runtime',
    state: 'Running',
    request: 'response',
    status: 400,
    body: () => errorResponse('InvalidFunctionResponseMode', 'Invalid function response mode'),
    next: 'InvocationResponse',
    source: `${H}invocationresponse.go:ServeHTTP; rapi/rendering/render_error.go:RenderInvalidFunctionResponseMode`,
    note: 'Lambda-Runtime-Function-Response-Mode other than "streaming": the invocation fails with Runtime.InvalidResponseModeHeader and the runtime stays in InvocationResponse (ResponseSent is never called), so its later calls are refused.',
  },
  {
    id: 'runtime.running.error',
    actor: 'runtime',
    state: 'Running',
    request: 'error',
    status: 202,
    body: accepted,
    next: 'RuntimeResponseSentState',
    source: `${H}invocationerror.go:ServeHTTP; ${S}RuntimeRunningState.InvocationErrorResponse`,
    note: 'The error type is kept only if it matches (Runtime|Function).[A-Z][a-zA-Z]+, else Runtime.Unknown / Function.Unknown (fatalerror/fatalerror.go).',
  },
  {
    id: 'runtime.response-sent.next',
    actor: 'runtime',
    state: 'RuntimeResponseSentState',
    request: 'next',
    status: 200,
    body: empty,
    next: 'Running',
    source: `${S}RuntimeResponseSentState.Ready`,
    note: 'Held open (Ready) until the next invoke; body: the event.',
  },
  {
    id: 'runtime.restoring.next',
    actor: 'runtime',
    state: 'Restoring',
    request: 'next',
    status: 200,
    body: empty,
    next: 'Running',
    source: `${S}RuntimeRestoringState.Ready`,
    note: 'Held open until an invoke; body: the event.',
  },
  {
    id: 'runtime.restoring.restore-error',
    actor: 'runtime',
    state: 'Restoring',
    request: 'restore/error',
    status: 202,
    body: accepted,
    next: 'RuntimeRestoreErrorState',
    source: `${H}restoreerror.go:ServeHTTP; ${S}RuntimeRestoringState.RestoreError`,
    note: 'The restore fails: the waiting invoke gets the error and the sandbox is reset.',
  },
  {
    id: 'runtime.restoring.init-error',
    actor: 'runtime',
    state: 'Restoring',
    request: 'init/error',
    status: 202,
    body: accepted,
    next: 'RuntimeRestoreErrorState',
    source: `${H}initerror.go:ServeHTTP (runtime.RestoreError while Restoring)`,
  },
];

/** Rows that apply before the state machine is asked (middleware, routing). */
export const RUNTIME_GUARDS: Row[] = [
  {
    id: 'runtime.any.result-invalid-id',
    actor: 'runtime',
    state: 'request id is not the current invocation\'s',
    request: 'response | error',
    status: 400,
    body: () => errorResponse('InvalidRequestID', 'Invalid request ID'),
    next: '(unchanged)',
    source: 'rapi/middleware/middleware.go:AwsRequestIDValidator; rapi/rendering/render_error.go:RenderInvalidRequestID',
  },
  {
    id: 'runtime.any.restore-without-snapstart',
    actor: 'runtime',
    state: 'SnapStart off',
    request: 'restore/next | restore/error',
    status: 404,
    body: () => '404 page not found\n',
    next: '(unchanged)',
    source: 'rapi/router.go:NewRouter (restore routes only with InitCaching); chi NotFound',
  },
];

/** The runtime's answer for `request` in `state` (after the guards). */
export function runtimeRow(state: RuntimeState, request: RuntimeRequest, variant?: 'too-large' | 'bad-mode'): Row {
  const id = `runtime.${kebab(state)}.${kebab(request)}${variant === undefined ? '' : `-${variant}`}`;
  const allowed = RUNTIME_ALLOWED.find((row) => row.id === id);
  if (allowed !== undefined) return allowed;
  const to = TARGET[request];
  return {
    id: `runtime.${kebab(state)}.${kebab(request)}`,
    actor: 'runtime',
    state,
    request,
    status: 403,
    body: () => runtimeRefused(state, to),
    next: state,
    source: `${S}disallowEveryTransitionByDefault; ${H}${HANDLER_FILE[request]}`,
  };
}

const HANDLER_FILE: Record<RuntimeRequest, string> = {
  next: 'invocationnext.go:ServeHTTP',
  response: 'invocationresponse.go:ServeHTTP',
  error: 'invocationerror.go:ServeHTTP',
  'init/error': 'initerror.go:ServeHTTP',
  'restore/next': 'restorenext.go:ServeHTTP',
  'restore/error': 'restoreerror.go:ServeHTTP',
};

/** Flow rows: what the service does around the requests (rapid/, rie/). Tested too. */
export const SERVICE_ROWS: Row[] = [
  {
    id: 'service.init-waits-for-extensions',
    actor: 'service',
    state: 'runtime Ready, an extension Registered',
    request: 'invoke',
    status: 0,
    body: empty,
    next: 'runtime /next held until every extension called event/next',
    source: 'rapid/handlers.go:doRuntimeDomainInit (initFlow.AwaitAgentsReady); core/flow.go',
  },
  {
    id: 'service.init-timeout',
    actor: 'service',
    state: `init longer than the init timeout (10 s)`,
    request: 'invoke',
    status: 0,
    body: empty,
    next: 'INIT_REPORT … Status: timeout; sandbox reset; init retried inside the invoke, under the function timeout',
    source: 'Lambda docs (lambda-runtime-environment.html, "Init phase"); the RIE runs init inside the first invoke (rie/handlers.go:InvokeHandler)',
  },
  {
    id: 'service.invoke-timeout',
    actor: 'service',
    state: 'invoke longer than the function timeout',
    request: 'invoke',
    status: 0,
    body: (p) => `Task timed out after ${p.event ?? '3'}.00 seconds`,
    next: 'sandbox reset (SIGKILL, or SIGTERM first when an extension is registered)',
    source: 'rie/handlers.go:InvokeHandler (rapidcore.ErrInvokeTimeout); rapidcore/server.go:Invoke',
  },
  {
    id: 'service.runtime-exit',
    actor: 'service',
    state: 'runtime process exits before a result',
    request: 'invoke',
    status: 0,
    body: empty,
    next: 'Runtime.ExitError "Runtime exited with error: exit status N" (or "without providing a reason"); sandbox reset',
    source: 'rapid/handlers.go:watchEvents',
  },
  {
    id: 'service.shutdown',
    actor: 'service',
    state: 'sandbox shut down',
    request: 'shutdown',
    status: 0,
    body: empty,
    next: 'no extension: SIGKILL; with extensions: SIGTERM, then SIGKILL after the deadline',
    source: 'rapid/shutdown.go:shutdown',
  },
];

/** The (state, request) pairs a runtime can actually reach: result posts need a current
 * invocation (else the request-id guard answers), restore routes need SnapStart. */
export const REACHABLE_RUNTIME_PAIRS: [RuntimeState, RuntimeRequest][] = [
  ['Started', 'next'],
  ['Started', 'init/error'],
  ['Started', 'restore/next'],
  ['Started', 'restore/error'],
  ['InitError', 'next'],
  ['InitError', 'init/error'],
  ['Ready', 'init/error'],
  ['Running', 'next'],
  ['Running', 'response'],
  ['Running', 'error'],
  ['Running', 'init/error'],
  ['Running', 'restore/next'],
  ['Running', 'restore/error'],
  ['InvocationResponse', 'next'],
  ['InvocationResponse', 'response'],
  ['InvocationResponse', 'error'],
  ['InvocationResponse', 'init/error'],
  ['RuntimeResponseSentState', 'next'],
  ['RuntimeResponseSentState', 'response'],
  ['RuntimeResponseSentState', 'error'],
  ['RuntimeResponseSentState', 'init/error'],
  ['Restoring', 'next'],
  ['Restoring', 'init/error'],
  ['Restoring', 'restore/next'],
  ['Restoring', 'restore/error'],
  ['RuntimeRestoreErrorState', 'next'],
  ['RuntimeRestoreErrorState', 'init/error'],
];

/** Every runtime row: the guards, each reachable (state, request), and the two response variants. */
export function allRuntimeRows(): Row[] {
  const rows: Row[] = [...RUNTIME_GUARDS];
  for (const [state, request] of REACHABLE_RUNTIME_PAIRS) rows.push(runtimeRow(state, request));
  rows.push(runtimeRow('Running', 'response', 'too-large'), runtimeRow('Running', 'response', 'bad-mode'));
  return rows;
}

/** The whole table, as documented in emulator/README.md. */
export function allRows(): Row[] {
  return [...allRuntimeRows(), ...EXTENSION_ROWS, ...SERVICE_ROWS];
}

function kebab(text: string): string {
  const named: Record<string, string> = {
    RuntimeResponseSentState: 'response-sent',
    RuntimeRestoreErrorState: 'restore-error-state',
    InvocationResponse: 'invocation-response',
    InvocationErrorResponse: 'invocation-error-response',
    InitError: 'init-error',
    RestoreReady: 'restore-ready',
  };
  return (named[text] ?? text).replaceAll('/', '-').toLowerCase();
}
