// Console patching: every console.* call becomes one log record, in TEXT or JSON, filtered by
// level, written synchronously to stdout or, under Lambda's log collector, as a binary frame to
// the telemetry fd. Where the runtime contract (§8) is silent, the bytes match AWS's own Node
// runtime interface client.
//
// Everything that depends on configuration is decided once in patchConsole; the per-call path
// is: read clock, read scope, build the record, one write.

import fs from 'node:fs';
import { format, inspect } from 'node:util';
import {
  encodeTelemetryFrame,
  TELEMETRY_FRAME_TYPE_JSON,
  TELEMETRY_FRAME_TYPE_TEXT,
} from './telemetry-frame.ts';

declare global {
  interface Console {
    /** Added by the runtime: a record at FATAL level. */
    fatal(message?: unknown, ...params: unknown[]): void;
  }
}

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
export type LogFormat = 'TEXT' | 'JSON';

export interface LogConfig {
  format: LogFormat;
  /** undefined: every level is written. */
  minLevel: LogLevel | undefined;
  /** undefined: records go to stdout. */
  telemetryFd: number | undefined;
}

/** What a log record needs from the invocation in progress. */
export interface LogScope {
  readonly requestId: string | undefined;
  readonly tenantId: string | undefined;
}

/** Test seams; production leaves both at their defaults. */
export interface PatchOptions {
  /** Milliseconds since the epoch. Default Date.now. */
  readonly clock?: () => number;
  /** Where records go when there is no telemetry fd. Default 1 (stdout). */
  readonly stdoutFd?: number;
  /**
   * Runs each record's write; Managed Instances' worker threads pass one that keeps the other
   * threads out meanwhile (src/managed-instances/output-lock.ts). Default: the write alone.
   */
  readonly exclusive?: (write: () => void) => void;
}

export interface LogLevelInfo {
  readonly name: LogLevel;
  readonly priority: number;
  /** OR'd into the telemetry frame type. */
  readonly frameMask: number;
}

export const LOG_LEVELS: Readonly<Record<LogLevel, LogLevelInfo>> = {
  TRACE: { name: 'TRACE', priority: 1, frameMask: 0b00100 },
  DEBUG: { name: 'DEBUG', priority: 2, frameMask: 0b01000 },
  INFO: { name: 'INFO', priority: 3, frameMask: 0b01100 },
  WARN: { name: 'WARN', priority: 4, frameMask: 0b10000 },
  ERROR: { name: 'ERROR', priority: 5, frameMask: 0b10100 },
  FATAL: { name: 'FATAL', priority: 6, frameMask: 0b11000 },
};

// ---------------------------------------------------------------------------------------------
// Configuration

export function logConfigFromEnvironment(env: NodeJS.ProcessEnv): LogConfig {
  const rawFd = env['_LAMBDA_TELEMETRY_LOG_FD'];
  // The fd is meant for this process only: child processes must not inherit the variable.
  delete env['_LAMBDA_TELEMETRY_LOG_FD'];
  return {
    format: env['AWS_LAMBDA_LOG_FORMAT']?.toUpperCase() === 'JSON' ? 'JSON' : 'TEXT',
    minLevel: parseLogLevel(env['AWS_LAMBDA_LOG_LEVEL']),
    telemetryFd: rawFd !== undefined && /^\d+$/.test(rawFd) ? Number(rawFd) : undefined,
  };
}

/** Case-insensitive; anything unknown means "no filter", as in the official client. */
export function parseLogLevel(raw: string | undefined): LogLevel | undefined {
  const upper = raw?.toUpperCase();
  return upper !== undefined && Object.hasOwn(LOG_LEVELS, upper) ? (upper as LogLevel) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Record formatting (pure)

/** `timestamp\trequestId\tLEVEL\tmessage` with the message's own newlines kept. */
export function formatTextRecord(
  timestamp: string,
  requestId: string | undefined,
  level: LogLevel,
  message: unknown,
  params: readonly unknown[],
): string {
  return `${timestamp}\t${requestId}\t${level}\t${format(message, ...params)}`;
}

/** The exact stdout bytes of a TEXT record: one physical line, inner newlines become `\r`. */
export function formatTextLine(
  timestamp: string,
  requestId: string | undefined,
  level: LogLevel,
  message: unknown,
  params: readonly unknown[],
): string {
  return toStdoutTextLine(formatTextRecord(timestamp, requestId, level, message, params));
}

function toStdoutTextLine(record: string): string {
  // CloudWatch splits events at \n; \r keeps a multi-line message (a stack) in one event.
  return record.replaceAll('\n', '\r') + '\n';
}

/**
 * One JSON object without a trailing newline. A lone argument keeps its JSON value (Errors
 * inside it become {errorType, errorMessage, stackTrace, ...own fields}); several arguments are
 * util.format-ted and the first Error among them adds errorType/errorMessage/stackTrace fields.
 * JSON.stringify never emits a raw newline, so the line needs no \r treatment.
 */
export function formatJsonRecord(
  timestamp: string,
  requestId: string | undefined,
  tenantId: string | undefined,
  level: LogLevel,
  message: unknown,
  params: readonly unknown[],
): string {
  const record: Record<string, unknown> = { timestamp, level, requestId };
  if (tenantId) record['tenantId'] = tenantId;

  if (params.length === 0) {
    record['message'] = message;
    try {
      return JSON.stringify(record, errorAsJsonValue);
    } catch {
      // Circular structures, BigInt, throwing toJSON: fall back to the inspected text.
      record['message'] = format(message);
      return JSON.stringify(record);
    }
  }

  record['message'] = format(message, ...params);
  // The v3 client looks at every argument; v4 skips the first. We keep v3's behaviour so that
  // console.error(err, 'context') still carries the error fields.
  const error = firstError(message, params);
  if (error !== undefined) {
    record['errorType'] = errorConstructorName(error);
    record['errorMessage'] = error.message;
    record['stackTrace'] = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  }
  return JSON.stringify(record);
}

function firstError(message: unknown, params: readonly unknown[]): Error | undefined {
  if (message instanceof Error) return message;
  for (const param of params) {
    if (param instanceof Error) return param;
  }
  return undefined;
}

function errorAsJsonValue(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  return Object.assign(
    {
      errorType: errorConstructorName(value),
      errorMessage: value.message,
      stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
    },
    value,
  );
}

function errorConstructorName(error: Error): string {
  // The official client reports the class name here (not error.name): `Runtime.X` errors
  // therefore show as `X` in JSON logs. Kept for byte compatibility.
  const name: unknown = error.constructor?.name;
  return typeof name === 'string' ? name : 'UnknownError';
}

/**
 * The error part of the runtime's own TEXT error lines: a tab, then the error as JSON with
 * errorType, errorMessage, code, its enumerable fields and the stack as an array of lines.
 */
export function formatErrorForText(error: Error): string {
  try {
    return '\t' + JSON.stringify(error, errorWithEnumerableProperties);
  } catch {
    return '\t' + JSON.stringify(errorSummary(error));
  }
}

function errorWithEnumerableProperties(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const copy: Record<string, unknown> = {
    errorType: value.name,
    errorMessage: value.message,
    code: (value as { code?: unknown }).code,
  };
  Object.assign(copy, value);
  if (typeof value.stack === 'string') copy['stack'] = value.stack.split('\n');
  return copy;
}

function errorSummary(error: Error): { errorType: string; errorMessage: string; trace: string[] } {
  try {
    return {
      errorType: String(error.name).replaceAll('\x7F', '%7F'),
      errorMessage: String(error.message).replaceAll('\x7F', '%7F'),
      trace: typeof error.stack === 'string' ? error.stack.replaceAll('\x7F', '%7F').split('\n') : [],
    };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Output

// A 1 ms synchronous sleep without spinning the CPU, for when a non-blocking pipe is full.
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all bytes before returning, so a line is never lost when the process exits right
 * after. fd 1 is often O_NONBLOCK (libuv sets it once anything touches process.stdout, and the
 * flag is shared with whoever holds the other end of the pipe): a full pipe gives short writes
 * and EAGAIN, and we wait for the reader. Other errors (EPIPE: the reader is gone) drop the
 * record: throwing from console.log into user code would be worse.
 */
export function writeFully(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if (!isWouldBlock(error)) return;
      Atomics.wait(sleepCell, 0, 0, 1);
    }
  }
}

/**
 * writeFully for a string. Handing the string straight to writeSync skips a Buffer copy
 * (measured: ~1.0 µs vs ~1.45 µs a line to /dev/null); a Buffer is made only for the rest of a
 * short write.
 */
export function writeTextFully(fd: number, text: string): void {
  let written = 0;
  try {
    written = fs.writeSync(fd, text);
  } catch (error) {
    if (!isWouldBlock(error)) return;
  }
  if (written < Buffer.byteLength(text)) writeFully(fd, Buffer.from(text).subarray(written));
}

function isWouldBlock(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EAGAIN';
}

let cachedSecond = Number.NaN;
let cachedSecondPrefix = '';

/**
 * Date#toISOString, computed once per second: on the invoke hot path toISOString alone costs
 * about 1 µs, ten times the rest of the timestamp work. Same output for every millisecond value.
 */
export function isoTimestamp(epochMillis: number): string {
  const second = Math.floor(epochMillis / 1000);
  if (second !== cachedSecond) {
    // Everything up to and including the '.', whatever the year's width: "...:SS."
    cachedSecondPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    cachedSecond = second;
  }
  const millis = epochMillis - second * 1000;
  return cachedSecondPrefix + (millis < 10 ? '00' : millis < 100 ? '0' : '') + millis + 'Z';
}

type BuildRecord = (timestamp: string, scope: LogScope, level: LogLevel, message: unknown, params: unknown[]) => string;
type EmitRecord = (level: LogLevelInfo, epochMillis: number, record: string) => void;

const buildTextRecord: BuildRecord = (timestamp, scope, level, message, params) =>
  formatTextRecord(timestamp, scope.requestId, level, message, params);

const buildJsonRecord: BuildRecord = (timestamp, scope, level, message, params) =>
  formatJsonRecord(timestamp, scope.requestId, scope.tenantId, level, message, params);

function emitterFor(config: LogConfig, stdoutFd: number): EmitRecord {
  const fd = config.telemetryFd;
  if (fd === undefined) {
    return config.format === 'JSON'
      ? (_level, _millis, record) => writeTextFully(stdoutFd, record + '\n')
      : (_level, _millis, record) => writeTextFully(stdoutFd, toStdoutTextLine(record));
  }
  // Frames carry their own length, so TEXT keeps real newlines; it still ends with one, as the
  // official client's frames do. JSON frames have no trailing newline.
  return config.format === 'JSON'
    ? (level, millis, record) =>
        writeFully(fd, encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_JSON, level.frameMask, millis, record))
    : (level, millis, record) =>
        writeFully(fd, encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_TEXT, level.frameMask, millis, record + '\n'));
}

// ---------------------------------------------------------------------------------------------
// Patching

type ConsoleMethod = (message?: unknown, ...params: unknown[]) => void;

const ignore: ConsoleMethod = () => {};

const NO_SCOPE: LogScope = { requestId: undefined, tenantId: undefined };

let runtimeErrorFormat: LogFormat = 'TEXT';

/** Replaces console.trace/debug/info/log/warn/error and adds console.fatal. */
export function patchConsole(config: LogConfig, currentScope: () => LogScope, options: PatchOptions = {}): void {
  const clock = options.clock ?? Date.now;
  const build = config.format === 'JSON' ? buildJsonRecord : buildTextRecord;
  const write = emitterFor(config, options.stdoutFd ?? 1);
  const exclusive = options.exclusive;
  const emit: EmitRecord =
    exclusive === undefined ? write : (level, millis, record) => exclusive(() => write(level, millis, record));
  const minPriority = config.minLevel === undefined ? 0 : LOG_LEVELS[config.minLevel].priority;

  const methodFor = (level: LogLevelInfo): ConsoleMethod => {
    if (level.priority < minPriority) return ignore;
    // (message, ...params) rather than (...args): console.log() then prints `undefined` in
    // TEXT and omits `message` in JSON, exactly like the official client.
    return (message, ...params) => {
      let millis = 0;
      let scope: LogScope = NO_SCOPE;
      try {
        millis = clock();
        scope = currentScope();
        emit(level, millis, build(isoTimestamp(millis), scope, level.name, message, params));
      } catch (error) {
        // A hostile argument (a throwing toString or Symbol.toPrimitive) or a failing clock or
        // scope getter: say so in the log instead of throwing into the caller.
        emitFormattingFailure(level, millis, scope, build, emit, error);
      }
    };
  };

  console.trace = methodFor(LOG_LEVELS.TRACE);
  console.debug = methodFor(LOG_LEVELS.DEBUG);
  console.info = methodFor(LOG_LEVELS.INFO);
  console.log = console.info;
  console.warn = methodFor(LOG_LEVELS.WARN);
  console.error = methodFor(LOG_LEVELS.ERROR);
  console.fatal = methodFor(LOG_LEVELS.FATAL);
  runtimeErrorFormat = config.format;
}

function emitFormattingFailure(
  level: LogLevelInfo,
  millis: number,
  scope: LogScope,
  build: BuildRecord,
  emit: EmitRecord,
  error: unknown,
): void {
  try {
    const message = `Unable to format log message: ${safeString(error)}`;
    emit(level, millis, build(isoTimestamp(millis), scope, level.name, message, []));
  } catch {
    // Nothing left that could describe the failure; a log call must not throw.
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return inspect(value);
  }
}

/**
 * The runtime's own error records ("Invoke Error", "Init Error", "Uncaught Exception",
 * "Unhandled Promise Rejection"), at ERROR level through the patched console. TEXT:
 * `<label> \t{"errorType":...,"errorMessage":...,"stack":[...]}`; JSON: the error alone as the
 * message (the label is not printed), as the official client does.
 */
export function logRuntimeError(label: string, error: unknown): void {
  const asError = error instanceof Error ? error : new Error(safeString(error));
  if (runtimeErrorFormat === 'JSON') {
    console.error(asError);
  } else {
    console.error(label, formatErrorForText(asError));
  }
}
