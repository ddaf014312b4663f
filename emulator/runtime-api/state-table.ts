// The Runtime API and Extensions API state machines of the Lambda service, row by row, as AWS
// publishes them in the Runtime Interface Emulator's Go source (aws/aws-lambda-runtime-interface-emulator,
// internal/lambda/...). The Runtime API server decides every answer with `runtimeRow` /
// `extensionRow` and renders the body with the row's `body`, so this table IS the emulator's
// behaviour; emulator/runtime-api/state-table.test.ts drives one request per row and compares the bytes.
//
// Hand-written data, no library: it is a transcription of AWS's source, with a reference per row.
// Paths below are relative to internal/lambda/ in that repository.

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

/** encoding/json with SetEscapeHTML(true), as rendering.RenderJSON writes it: `<`, `>`, `&`,
 * U+2028 and U+2029 escaped, and the newline json.Encoder.Encode appends. */
export function goJson(value: unknown): string {
  return `${goMarshal(value)}\n`;
}

/** json.Marshal (no trailing newline), which also escapes HTML characters. */
export function goMarshal(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}

/** model.ErrorResponse: errorMessage before errorType. */
export function errorResponse(errorType: string, errorMessage: string): string {
  return goJson({ errorMessage, errorType });
}

export const ACCEPTED_BODY = goJson({ status: 'OK' });
export const MAX_PAYLOAD_SIZE = 6 * 1024 * 1024 + 100; // interop/model.go MaxPayloadSize
export const MAX_EXTENSIONS = 10; // core/registrations.go MaxAgentsAllowed
const NOT_ALLOWED = 'State transition is not allowed'; // core/states.go ErrNotAllowed

/** handler/constants.go StateTransitionFailedForRuntimeMessageFormat */
function runtimeRefused(from: RuntimeState, to: RuntimeState): string {
  return errorResponse('InvalidStateTransition', `State transition from ${from} to ${to} failed for runtime. Error: ${NOT_ALLOWED}`);
}

/** handler/constants.go StateTransitionFailedForExtensionMessageFormat */
function extensionRefused(from: string, to: string, id: string | undefined): string {
  return errorResponse(
    'Extension.InvalidExtensionState',
    `State transition from ${from} to ${to} failed for extension ${id ?? ''}. Error: ${NOT_ALLOWED}`,
  );
}

const accepted = (): string => ACCEPTED_BODY;
const empty = (): string => '';

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

/** Extension answers. An extension whose name is one of the external extensions the emulator
 * started (emulator/sandbox/external-extensions.ts) may subscribe to SHUTDOWN; see emulator/README.md. */
export const EXTENSION_ROWS: Row[] = [
  {
    id: 'extension.register.no-name',
    actor: 'extension',
    state: 'no Lambda-Extension-Name',
    request: 'register',
    status: 403,
    body: () => errorResponse('Extension.InvalidExtensionName', 'Empty extension name'),
    next: '(none)',
    source: `${H}agentregister.go:ServeHTTP`,
  },
  {
    id: 'extension.register.bad-json',
    actor: 'extension',
    state: 'body not JSON',
    request: 'register',
    status: 403,
    body: (p) => errorResponse('InvalidRequestFormat', p.jsonError ?? ''),
    next: '(none)',
    source: `${H}agentregister.go:parseRegister`,
    note: 'The message is Go\'s encoding/json error, e.g. "unexpected end of JSON input" for an empty body.',
  },
  {
    id: 'extension.register.configuration-keys',
    actor: 'extension',
    state: 'body has configurationKeys',
    request: 'register',
    status: 403,
    body: () => errorResponse('InvalidRequestFormat', 'configurationKeys are deprecated; use environment variables instead'),
    next: '(none)',
    source: `${H}agentregister.go:parseRegister`,
  },
  {
    id: 'extension.register.internal-shutdown',
    actor: 'extension',
    state: 'internal, events has SHUTDOWN',
    request: 'register',
    status: 403,
    body: (p) => errorResponse('Extension.InvalidEventType', `${p.event ?? ''}: ShutdownEventNotSupportedForInternalExtension`),
    next: '(none)',
    source: `${H}agentregister.go:registerInternalAgent; core/internalagent.go:ValidateInternalAgentEvent`,
  },
  {
    id: 'extension.register.unknown-event',
    actor: 'extension',
    state: 'events has neither INVOKE nor SHUTDOWN',
    request: 'register',
    status: 403,
    body: (p) => errorResponse('Extension.InvalidEventType', `${p.event ?? ''}: ErrorInvalidEventType`),
    next: '(none)',
    source: `${H}agentregister.go:registerInternalAgent; core/agentutil.go:errInvalidEventType`,
  },
  {
    id: 'extension.register.closed',
    actor: 'extension',
    state: 'after the runtime\'s first /next',
    request: 'register',
    status: 403,
    body: () => errorResponse('Extension.RegistrationClosed', 'Extension registration closed already'),
    next: '(none)',
    source: `${H}agentregister.go:registerInternalAgent; core/registrations.go:TurnOff (rapid/handlers.go:doRuntimeDomainInit)`,
  },
  {
    id: 'extension.register.duplicate',
    actor: 'extension',
    state: 'name already registered',
    request: 'register',
    status: 403,
    body: () => errorResponse('Extension.InvalidExtensionState', 'Extension with this name already registered'),
    next: '(unchanged)',
    source: `${H}agentregister.go:registerInternalAgent; core/agentsmap.go:ErrAgentNameCollision`,
  },
  {
    id: 'extension.register.too-many',
    actor: 'extension',
    state: `${MAX_EXTENSIONS} already registered`,
    request: 'register',
    status: 403,
    body: () => errorResponse('Extension.TooManyExtensions', `Extension limit (${MAX_EXTENSIONS}) reached`),
    next: '(none)',
    source: `${H}agentregister.go:registerInternalAgent; core/registrations.go:CreateInternalAgent`,
  },
  {
    id: 'extension.started.register',
    actor: 'extension',
    state: 'Started',
    request: 'register',
    status: 200,
    body: (p) => goJson({ functionName: p.functionName, functionVersion: p.functionVersion, handler: p.handler }),
    next: 'Registered',
    source: `${H}agentregister.go:renderResponse; core/internalagent_states.go:InternalAgentStartedState.Register`,
    note: 'Header Lambda-Extension-Identifier: a new UUID.',
  },
  {
    id: 'extension.started.register-account-id',
    actor: 'extension',
    state: 'Started, Lambda-Extension-Accept-Feature: accountId',
    request: 'register',
    status: 200,
    body: (p) =>
      goJson({ accountId: p.accountId, functionName: p.functionName, functionVersion: p.functionVersion, handler: p.handler }),
    next: 'Registered',
    source: `${H}agentregister.go:respondWithAccountID; rapi/model/agentregisterresponse.go`,
  },
  {
    id: 'extension.any.missing-identifier',
    actor: 'extension',
    state: 'no Lambda-Extension-Identifier',
    request: 'event/next | init/error | exit/error',
    status: 403,
    body: () => errorResponse('Extension.MissingExtensionIdentifier', 'Missing Lambda-Extension-Identifier header'),
    next: '(unchanged)',
    source: 'rapi/middleware/middleware.go:AgentUniqueIdentifierHeaderValidator',
  },
  {
    id: 'extension.any.invalid-identifier',
    actor: 'extension',
    state: 'identifier not a UUID',
    request: 'event/next | init/error | exit/error',
    status: 403,
    body: () => errorResponse('Extension.InvalidExtensionIdentifier', 'Invalid Lambda-Extension-Identifier'),
    next: '(unchanged)',
    source: 'rapi/middleware/middleware.go:AgentUniqueIdentifierHeaderValidator',
  },
  {
    id: 'extension.unknown.event-next',
    actor: 'extension',
    state: 'unknown identifier',
    request: 'event/next',
    status: 403,
    body: (p) => errorResponse('Extension.UnknownExtensionIdentifier', `Unknown extension ${p.extensionId ?? ''}`),
    next: '(none)',
    source: `${H}agentnext.go:ServeHTTP`,
  },
  {
    id: 'extension.registered.event-next',
    actor: 'extension',
    state: 'Registered',
    request: 'event/next',
    status: 200,
    body: empty,
    next: 'Running',
    source: `${H}agentnext.go:ServeHTTP; core/internalagent_states.go:InternalAgentRegisteredState.Ready`,
    note: 'Ready: counts toward the end of init. Held open; answered with an INVOKE event (header Lambda-Extension-Event-Identifier) at the next invoke if subscribed to INVOKE, otherwise never.',
  },
  {
    id: 'extension.running.event-next',
    actor: 'extension',
    state: 'Running',
    request: 'event/next',
    status: 200,
    body: empty,
    next: 'Running',
    source: `${H}agentnext.go:ServeHTTP; core/internalagent_states.go:InternalAgentRunningState.Ready`,
    note: 'Ready again (the invoke ends only when every INVOKE subscriber is Ready); held open until the next invoke.',
  },
  {
    id: 'extension.ready.event-next',
    actor: 'extension',
    state: 'Ready',
    request: 'event/next',
    status: 403,
    body: (p) => extensionRefused('Ready', 'Ready', p.extensionId),
    next: 'Ready',
    source: `${H}agentnext.go:ServeHTTP; core/agentutil.go:disallowEverything`,
    note: 'A second event/next while the first is still open.',
  },
  {
    id: 'extension.init-error.event-next',
    actor: 'extension',
    state: 'InitError',
    request: 'event/next',
    status: 403,
    body: (p) => extensionRefused('InitError', 'Ready', p.extensionId),
    next: 'InitError',
    source: `${H}agentnext.go:ServeHTTP`,
  },
  {
    id: 'extension.exit-error.event-next',
    actor: 'extension',
    state: 'ExitError',
    request: 'event/next',
    status: 403,
    body: (p) => extensionRefused('ExitError', 'Ready', p.extensionId),
    next: 'ExitError',
    source: `${H}agentnext.go:ServeHTTP`,
  },
  {
    id: 'extension.any.error-missing-type',
    actor: 'extension',
    state: 'no Lambda-Extension-Function-Error-Type',
    request: 'init/error | exit/error',
    status: 403,
    body: () => errorResponse('Extension.MissingHeader', 'Lambda-Extension-Function-Error-Type not found'),
    next: '(unchanged)',
    source: `${H}agentiniterror.go:ServeHTTP; ${H}agentexiterror.go:ServeHTTP`,
  },
  {
    id: 'extension.unknown.error',
    actor: 'extension',
    state: 'unknown identifier',
    request: 'init/error | exit/error',
    status: 403,
    body: () => errorResponse('Extension.UnknownExtensionIdentifier', 'Unknown Lambda-Extension-Identifier'),
    next: '(none)',
    source: `${H}agentiniterror.go:ServeHTTP; ${H}agentexiterror.go:ServeHTTP`,
  },
  {
    id: 'extension.registered.init-error',
    actor: 'extension',
    state: 'Registered',
    request: 'init/error',
    status: 202,
    body: accepted,
    next: 'InitError',
    source: `${H}agentiniterror.go:ServeHTTP; core/internalagent_states.go:InternalAgentRegisteredState.InitError`,
    note: 'First fatal error Extension.InitError: init never completes; the invoke fails with it once the process exits.',
  },
  {
    id: 'extension.init-error.init-error',
    actor: 'extension',
    state: 'InitError',
    request: 'init/error',
    status: 202,
    body: accepted,
    next: 'InitError',
    source: 'core/internalagent_states.go:InternalAgentInitErrorState.InitError (no-op)',
  },
  {
    id: 'extension.running.init-error',
    actor: 'extension',
    state: 'Running | Ready | ExitError',
    request: 'init/error',
    status: 403,
    body: (p) => extensionRefused('Running', 'InitError', p.extensionId),
    next: '(unchanged)',
    source: `${H}agentiniterror.go:ServeHTTP; core/agentutil.go:disallowEverything`,
    note: 'The message names the current state (Running shown).',
  },
  {
    id: 'extension.running.exit-error',
    actor: 'extension',
    state: 'Registered | Ready | Running',
    request: 'exit/error',
    status: 202,
    body: accepted,
    next: 'ExitError',
    source: `${H}agentexiterror.go:ServeHTTP; core/internalagent_states.go:*.ExitError`,
    note: 'First fatal error Extension.ExitError.',
  },
  {
    id: 'extension.exit-error.exit-error',
    actor: 'extension',
    state: 'ExitError',
    request: 'exit/error',
    status: 202,
    body: accepted,
    next: 'ExitError',
    source: 'core/internalagent_states.go:InternalAgentExitErrorState.ExitError (no-op)',
  },
  {
    id: 'extension.init-error.exit-error',
    actor: 'extension',
    state: 'InitError',
    request: 'exit/error',
    status: 403,
    body: (p) => extensionRefused('InitError', 'Exited', p.extensionId),
    next: 'InitError',
    source: `${H}agentexiterror.go:ServeHTTP (quotes AgentExitedStateName)`,
  },
];

/** The extension row for `id` (throws on a typo: the table is the single source). */
export function extensionRow(id: string): Row {
  const row = EXTENSION_ROWS.find((r) => r.id === id);
  if (row === undefined) throw new Error(`state-table: no extension row '${id}'`);
  return row;
}

/** The extension's answer to event/next, init/error or exit/error in `state`, with the row that
 * names the state for refused transitions. */
export function extensionStateRow(state: ExtensionState, request: Exclude<ExtensionRequest, 'register'>): Row {
  const allowed: Record<string, string> = {
    'Registered event/next': 'extension.registered.event-next',
    'Running event/next': 'extension.running.event-next',
    'Ready event/next': 'extension.ready.event-next',
    'InitError event/next': 'extension.init-error.event-next',
    'ExitError event/next': 'extension.exit-error.event-next',
    'Registered init/error': 'extension.registered.init-error',
    'InitError init/error': 'extension.init-error.init-error',
    'Registered exit/error': 'extension.running.exit-error',
    'Ready exit/error': 'extension.running.exit-error',
    'Running exit/error': 'extension.running.exit-error',
    'ExitError exit/error': 'extension.exit-error.exit-error',
    'InitError exit/error': 'extension.init-error.exit-error',
  };
  const id = allowed[`${state} ${request}`];
  if (id !== undefined) return extensionRow(id);
  // Running/Ready/ExitError + init/error: refused, naming the state it was in.
  return {
    ...extensionRow('extension.running.init-error'),
    state,
    body: (p) => extensionRefused(state, 'InitError', p.extensionId),
    next: state,
  };
}

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
