// The emulator's public surface.
export { Emulator } from './emulator.ts';
export type { EmulatorOptions, ShutdownResult } from './emulator.ts';
export type { Chunk, InvocationOutcome, InvokeOptions, OutcomeKind, ProcessExit } from './invocation.ts';
export type { Fault, FaultRoute } from './faults.ts';
export type { RecordedRequest } from './runtime-api-server.ts';
export { InvokeEndpoint } from './invoke-endpoint.ts';
export { invokeOnce } from './one-shot.ts';
export type { InvokeEndpointOptions, Invoker } from './invoke-endpoint.ts';
export { reportLine } from './report.ts';
export { LocalServer } from './local-server.ts';
export type { LocalServerOptions } from './local-server.ts';
export { LambdaInvokeApi } from './lambda-invoke-api.ts';
export type { LocalFunction } from './lambda-invoke-api.ts';
export { HttpFrontDoor, functionUrlEvent } from './http-front-door.ts';
export type { FunctionUrlEvent } from './http-front-door.ts';
export { allRows, runtimeRow, extensionRow } from './state-table.ts';
export type { Row, RuntimeState, ExtensionState } from './state-table.ts';
