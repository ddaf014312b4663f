// Error types the runtime reports and the one way any thrown value becomes a Runtime API error body.

/** The JSON body of `/error` and `/init/error`, as the Runtime API expects it. */
export interface ErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** An error whose `name` is a Lambda error type such as `Runtime.HandlerNotFound`. */
export class LambdaError extends Error {
  constructor(errorType: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Non-enumerable like Error's own name, so logged error JSON does not repeat it.
    Object.defineProperty(this, 'name', { value: errorType, writable: true, configurable: true });
  }
}

export const HANDLER_NOT_FOUND = 'Runtime.HandlerNotFound';
export const MALFORMED_HANDLER_NAME = 'Runtime.MalformedHandlerName';
export const IMPORT_MODULE_ERROR = 'Runtime.ImportModuleError';
export const USER_CODE_SYNTAX_ERROR = 'Runtime.UserCodeSyntaxError';
export const UNHANDLED_PROMISE_REJECTION = 'Runtime.UnhandledPromiseRejection';
export const JSON_STRINGIFY_ERROR = 'Runtime.JSONStringifyError';
export const NODE_JS_EXIT = 'Runtime.NodeJsExit';
export const MALFORMED_EVENT = 'Runtime.MalformedEvent';
export const MALFORMED_INVOKE_HEADER = 'Runtime.MalformedInvokeHeader';
export const INVALID_STREAMING_OPERATION = 'Runtime.InvalidStreamingOperation';
export const RESPONSE_SIZE_TOO_LARGE = 'Function.ResponseSizeTooLarge';
export const CALLBACK_HANDLER_DEPRECATED = 'Runtime.CallbackHandlerDeprecated';

export const NODE_JS_EXIT_MESSAGE =
  'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes';

// What AWS's client reports when an Error's own accessors throw while being read.
const UNREADABLE_ERROR: ErrorBody = {
  errorType: 'handled',
  errorMessage:
    'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
  trace: [],
};

/** Turns any thrown or rejected value into the Runtime API's error body. Never throws. */
export function toErrorBody(value: unknown): ErrorBody {
  try {
    if (value instanceof Error || isErrorLike(value)) {
      const error = value as Error;
      const stack = error.stack;
      return {
        errorType: String(error.name),
        errorMessage: String(error.message),
        trace: typeof stack === 'string' ? stack.split('\n') : [],
      };
    }
    return { errorType: typeof value, errorMessage: String(value), trace: [] };
  } catch {
    return UNREADABLE_ERROR;
  }
}

// Errors from another realm (vm contexts, worker-created values) fail `instanceof Error`.
function isErrorLike(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.toString.call(value) === '[object Error]'
  );
}

// The Runtime API reads the error type from a header; header values must be visible ASCII.
const HEADER_SAFE = /^[\x20-\x7e]{1,256}$/;

/** The value to send as `Lambda-Runtime-Function-Error-Type` for an error body. */
export function errorTypeHeader(body: ErrorBody): string {
  return HEADER_SAFE.test(body.errorType) ? body.errorType : 'Runtime.Unknown';
}
