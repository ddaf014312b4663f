// The bodies the Lambda service itself produces: Runtime API status answers, and the error
// payloads it makes up when the runtime gave none (process exit, timeout).
import type { ProcessExit } from './invocation.ts';

export const MAX_BUFFERED_RESPONSE_BYTES = 6_291_556;
export const MAX_STREAMED_RESPONSE_BYTES = 200 * 1024 * 1024;

export const ACCEPTED = JSON.stringify({ status: 'OK' });

export function apiError(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorMessage, errorType });
}

export const INVALID_REQUEST_ID = apiError('InvalidRequestID', 'Invalid request ID');
export const PAYLOAD_TOO_LARGE = apiError(
  'RequestEntityTooLarge',
  `Exceeded maximum allowed payload size (${MAX_BUFFERED_RESPONSE_BYTES} bytes).`,
);

export function invalidStateTransition(what: string): string {
  return apiError('InvalidStateTransition', `State transition is not allowed: ${what}`);
}

const VALID_ERROR_TYPE = /^(Runtime|Function)\.[A-Z][a-zA-Z]+$/;

/** The service keeps a well-formed error type and records anything else as Runtime.Unknown, or
 * Function.Unknown when the runtime meant a function error. A missing type is Runtime.Unknown. */
export function recordedErrorType(sent: string | undefined): string {
  if (sent !== undefined && VALID_ERROR_TYPE.test(sent)) return sent;
  return sent?.startsWith('Function') === true ? 'Function.Unknown' : 'Runtime.Unknown';
}

// Go's os.ProcessState wording, which is what Lambda's messages quote.
const SIGNAL_WORDS: Record<string, string> = {
  SIGHUP: 'hangup',
  SIGINT: 'interrupt',
  SIGQUIT: 'quit',
  SIGILL: 'illegal instruction',
  SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGKILL: 'killed',
  SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault',
  SIGUSR2: 'user defined signal 2',
  SIGPIPE: 'broken pipe',
  SIGALRM: 'alarm clock',
  SIGTERM: 'terminated',
};

export function describeExit(exit: ProcessExit): string {
  if (exit.signal !== null) return `signal: ${SIGNAL_WORDS[exit.signal] ?? exit.signal}`;
  return `exit status ${exit.code ?? 'unknown'}`;
}

export function exitErrorBody(requestId: string, exit: ProcessExit | undefined): string {
  const reason =
    exit === undefined
      ? 'Runtime exited without providing a reason'
      : exit.code === 0
        ? 'Runtime exited without providing a reason'
        : `Runtime exited with error: ${describeExit(exit)}`;
  return JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${requestId} Error: ${reason}` });
}

/** The timeout's error document; `at`: the moment of the timeout (the same as in its log line). */
export function timeoutBody(requestId: string, timeoutMs: number, at = new Date()): string {
  const seconds = (timeoutMs / 1000).toFixed(2);
  return JSON.stringify({ errorMessage: `${at.toISOString()} ${requestId} Task timed out after ${seconds} seconds` });
}
