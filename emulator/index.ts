// The emulator's public surface.
export { Emulator } from './emulator.ts';
export type { EmulatorOptions, ShutdownResult } from './emulator.ts';
export type { Chunk, InvocationOutcome, InvokeOptions, OutcomeKind, ProcessExit } from './invocation.ts';
export type { Fault, FaultRoute } from './faults.ts';
export type { RecordedRequest } from './runtime-api-server.ts';
export { InvokeEndpoint } from './invoke-endpoint.ts';
export type { InvokeEndpointOptions, Invoker } from './invoke-endpoint.ts';
export { reportLine } from './report.ts';
