// How an invocation ends, as the service records it: the settlements for the endings the runtime
// did not answer itself (its process died, out of memory, an extension's fatal error, a timeout
// with Lambda's "Task timed out" line, the emulator stopped, the service refused the result),
// and the outcome a caller gets, with its timings, memory and REPORT line (emulator/report.ts).
// The Emulator decides which ending applies; this file says what each one looks like.
import { performance } from 'node:perf_hooks';
import type { Invocation, InvocationOutcome, ProcessExit, Settlement } from './invocation.ts';
import { reportLine } from './report.ts';
import { apiError, exitErrorBody, timeoutBody } from './service-errors.ts';
import { goMarshal } from './runtime-api/rie-bodies.ts';

/** What a dead sandbox tells about why it died (emulator/sandbox/sandbox.ts). */
interface DeathCause {
  outOfMemory: boolean;
  firstFatalError: string | undefined;
}

/** The invocation's process died: out of memory, after an extension's fatal error, or an exit. */
export function exitedSettlement(invocation: Invocation, exit: ProcessExit | undefined, sandbox?: DeathCause): Settlement {
  if (sandbox?.outOfMemory === true) {
    // What Lambda records for a sandbox killed at its memory limit.
    const errorMessage = `RequestId: ${invocation.requestId} Error: Runtime exited with error: signal: killed`;
    return {
      kind: 'exited',
      body: Buffer.from(JSON.stringify({ errorType: 'Runtime.OutOfMemory', errorMessage })),
      errorType: 'Runtime.OutOfMemory',
      recordedErrorType: 'Runtime.OutOfMemory',
      exit,
    };
  }
  const fatal = sandbox?.firstFatalError;
  if (fatal !== undefined) {
    // An extension's init/exit error came first (appctx.StoreFirstFatalError keeps the first).
    const errorMessage = `RequestId: ${invocation.requestId} Error: ${fatal === 'Extension.InitError' ? 'an extension reported an init error' : 'an extension reported an exit error'}`;
    return {
      kind: 'exited',
      body: Buffer.from(JSON.stringify({ errorType: fatal, errorMessage })),
      errorType: fatal,
      recordedErrorType: fatal,
      exit,
    };
  }
  return {
    kind: 'exited',
    body: Buffer.from(exitErrorBody(invocation.requestId, exit)),
    errorType: 'Runtime.ExitError',
    recordedErrorType: 'Runtime.ExitError',
    exit,
  };
}

/** The time the invocation was allowed, in ms: the function timeout, or with a caller-chosen
 * deadline the time from delivery to that deadline. */
export function allowedMs(invocation: Invocation, timeoutMs: number): number {
  let allowed = timeoutMs;
  if (invocation.options.deadlineMs !== undefined && invocation.deliveredAtMs !== undefined) {
    const deliveredAtEpochMs = Date.now() - (performance.now() - invocation.deliveredAtMs);
    allowed = Math.max(0, invocation.options.deadlineMs - deliveredAtEpochMs);
  }
  return allowed;
}

/** Lambda's own log line for a timeout, in the function's log, before END/REPORT; `at`: the
 * moment of the timeout, the same as in the error message the caller gets. */
export function timedOutLine(invocation: Invocation, allowed: number, at = new Date()): string {
  return `${at.toISOString()} ${invocation.requestId} Task timed out after ${(allowed / 1000).toFixed(2)} seconds`;
}

export function timeoutSettlement(invocation: Invocation, allowed: number, exit: ProcessExit | undefined, at = new Date()): Settlement {
  return {
    kind: 'timeout',
    body: Buffer.from(timeoutBody(invocation.requestId, allowed, at)),
    recordedErrorType: 'Sandbox.Timedout',
    exit,
  };
}

/** An invocation still waiting when the emulator stops. */
export function stoppedSettlement(invocation: Invocation): Settlement {
  return {
    kind: 'exited',
    body: Buffer.from(apiError('Runtime.ExitError', `RequestId: ${invocation.requestId} Error: the emulator was stopped`)),
    errorType: 'Runtime.ExitError',
    recordedErrorType: 'Runtime.ExitError',
  };
}

/** A planted 4xx on a result post stands for the service refusing that result (413:
 * Function.ResponseSizeTooLarge; else no result at all, Runtime.NoResult, which is also a
 * protocol violation worth reporting: `violation`). */
export function refusedResultSettlement(invocation: Invocation, status: number): { settlement: Settlement; violation?: string } {
  if (status === 413) {
    const message = `Response payload size exceeded maximum allowed payload size (${6_291_556} bytes).`;
    return {
      settlement: {
        kind: 'error',
        body: Buffer.from(goMarshal({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: message })),
        errorType: 'Function.ResponseSizeTooLarge',
        recordedErrorType: 'Function.ResponseSizeTooLarge',
      },
    };
  }
  const message = `RequestId: ${invocation.requestId} Error: the service refused the runtime's result (status ${status}) and recorded none`;
  return {
    violation: message,
    settlement: {
      kind: 'error',
      body: Buffer.from(apiError('Runtime.NoResult', message)),
      errorType: 'Runtime.NoResult',
      recordedErrorType: 'Runtime.NoResult',
    },
  };
}

/** What the service measured of a settled invocation (ms, MiB). */
export interface Measured {
  durationMs: number;
  initDurationMs: number | undefined;
  memorySizeMb: number;
  maxMemoryUsedMb: number | undefined;
  logsComplete: Promise<void>;
}

/** The outcome a caller gets, with Lambda's REPORT line (status and error type for a timeout or
 * a process death). */
export function outcomeOf(invocation: Invocation, settlement: Settlement, measured: Measured): InvocationOutcome {
  const { durationMs, initDurationMs, maxMemoryUsedMb } = measured;
  const status = settlement.kind === 'timeout' ? 'timeout' : settlement.kind === 'exited' ? 'error' : undefined;
  const report = reportLine({
    requestId: invocation.requestId,
    durationMs,
    memorySizeMb: measured.memorySizeMb,
    maxMemoryUsedMb,
    initDurationMs,
    status,
    errorType: settlement.kind === 'exited' ? (settlement.errorType ?? 'Runtime.ExitError') : undefined,
  });
  const body = settlement.body;
  return {
    requestId: invocation.requestId,
    kind: settlement.kind,
    body,
    headers: settlement.headers ?? {},
    trailers: settlement.trailers ?? {},
    chunks: invocation.chunks,
    errorType: settlement.errorType,
    recordedErrorType: settlement.recordedErrorType,
    streaming: settlement.streaming ?? false,
    durationMs,
    initDurationMs,
    maxMemoryUsedMb,
    exit: settlement.exit,
    report,
    logsComplete: measured.logsComplete,
    json: () => JSON.parse(body.toString('utf8')) as unknown,
  };
}
