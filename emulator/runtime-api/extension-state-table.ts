// The Extensions API's state machine of the Lambda service, row by row, from AWS's Runtime Interface
// Emulator (internal/lambda/..., paths below relative to it): register, event/next, init/error and
// exit/error in each extension ("agent") state. Part of the state table (state-table.ts: the
// runtime's rows, the service's, and allRows); emulator/runtime-api/state-table.test.ts drives one
// request per row and compares the bytes.
import type { ExtensionRequest, ExtensionState, Row } from './state-table.ts';
import { NOT_ALLOWED, accepted, empty, errorResponse, goJson } from './rie-bodies.ts';

export const MAX_EXTENSIONS = 10; // core/registrations.go MaxAgentsAllowed

const H = 'rapi/handler/';

/** handler/constants.go StateTransitionFailedForExtensionMessageFormat */
function extensionRefused(from: string, to: string, id: string | undefined): string {
  return errorResponse(
    'Extension.InvalidExtensionState',
    `State transition from ${from} to ${to} failed for extension ${id ?? ''}. Error: ${NOT_ALLOWED}`,
  );
}

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
