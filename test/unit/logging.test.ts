// The patched console writes to a real temp file fd (standing in for stdout or the telemetry
// fd) with a fixed clock, and the tests read the bytes back.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatJsonRecord,
  formatTextLine,
  isoTimestamp,
  logConfigFromEnvironment,
  logRuntimeError,
  patchConsole,
  type LogConfig,
  type LogScope,
} from '../../src/logging.ts';
import { decodeTelemetryFrames } from '../../src/telemetry-frame.ts';

const CLOCK = 1_700_000_000_123;
const TIME = '2023-11-14T22:13:20.123Z';
const NO_SCOPE: LogScope = { requestId: undefined, tenantId: undefined };
const IN_INVOKE: LogScope = { requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678', tenantId: undefined };
const REQ = IN_INVOKE.requestId;

const METHODS = ['trace', 'debug', 'info', 'log', 'warn', 'error', 'fatal'] as const;
const originalConsole = new Map(METHODS.map((name) => [name, Object.getOwnPropertyDescriptor(console, name)]));

let dir = '';
let outPath = '';
let outFd = -1;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'logging-test-'));
  outPath = join(dir, 'out');
  outFd = openSync(outPath, 'w+');
});

afterEach(() => {
  // Resets logRuntimeError's format to TEXT, then puts the original console methods back.
  patchConsole(config({}), () => NO_SCOPE, { stdoutFd: -1 });
  for (const [name, descriptor] of originalConsole) {
    if (descriptor === undefined) Reflect.deleteProperty(console, name);
    else Object.defineProperty(console, name, descriptor);
  }
  closeSync(outFd);
  rmSync(dir, { recursive: true, force: true });
});

function config(overrides: Partial<LogConfig>): LogConfig {
  return { format: 'TEXT', minLevel: undefined, telemetryFd: undefined, ...overrides };
}

function patch(overrides: Partial<LogConfig>, scope: () => LogScope = () => IN_INVOKE): void {
  patchConsole(config(overrides), scope, { clock: () => CLOCK, stdoutFd: outFd });
}

function output(): string {
  return readFileSync(outPath, 'utf8');
}

function jsonLines(): Record<string, unknown>[] {
  const text = output();
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function logAllLevels(): void {
  console.trace('t');
  console.debug('d');
  console.info('i');
  console.log('l');
  console.warn('w');
  console.error('e');
  console.fatal('f');
}

describe('logConfigFromEnvironment', () => {
  it('defaults to TEXT, no filter, stdout', () => {
    expect(logConfigFromEnvironment({})).toEqual({ format: 'TEXT', minLevel: undefined, telemetryFd: undefined });
  });

  it('reads format and level case-insensitively; unknown values fall back', () => {
    expect(logConfigFromEnvironment({ AWS_LAMBDA_LOG_FORMAT: 'Json', AWS_LAMBDA_LOG_LEVEL: 'warn' })).toMatchObject({
      format: 'JSON',
      minLevel: 'WARN',
    });
    expect(logConfigFromEnvironment({ AWS_LAMBDA_LOG_FORMAT: 'xml', AWS_LAMBDA_LOG_LEVEL: 'verbose' })).toMatchObject({
      format: 'TEXT',
      minLevel: undefined,
    });
    expect(logConfigFromEnvironment({ AWS_LAMBDA_LOG_LEVEL: 'toString' }).minLevel).toBeUndefined();
  });

  it('takes the telemetry fd and deletes the variable', () => {
    const env: NodeJS.ProcessEnv = { _LAMBDA_TELEMETRY_LOG_FD: '3', OTHER: 'kept' };
    expect(logConfigFromEnvironment(env).telemetryFd).toBe(3);
    expect(env).toEqual({ OTHER: 'kept' });
    const bad: NodeJS.ProcessEnv = { _LAMBDA_TELEMETRY_LOG_FD: 'three' };
    expect(logConfigFromEnvironment(bad).telemetryFd).toBeUndefined();
    expect('_LAMBDA_TELEMETRY_LOG_FD' in bad).toBe(false);
  });
});

describe('isoTimestamp', () => {
  it('equals Date#toISOString across second, year and millisecond-width boundaries, before 1970 and after 9999', () => {
    const samples = [-1, -1001, 253_402_300_800_000, 0, 1, 9, 10, 99, 100, 999, 1000, 59_999, 60_000, CLOCK, 1_704_067_199_999, 1_704_067_200_000];
    for (let step = 0; step < 5000; step++) samples.push(CLOCK + step * 7, CLOCK - step * 13);
    for (let step = 0; step < 200; step++) samples.push(Math.floor(Math.random() * 4_102_444_800_000));
    for (const millis of samples) expect(isoTimestamp(millis)).toBe(new Date(millis).toISOString());
  });
});

describe('TEXT', () => {
  it('writes timestamp, request id, level and util.format of the arguments', () => {
    patch({});
    console.log('hello %s', 'world', { a: 1 }, [2]);
    expect(output()).toBe(`${TIME}\t${REQ}\tINFO\thello world { a: 1 } [ 2 ]\n`);
  });

  it('prints `undefined` as the request id before the first invoke', () => {
    patch({}, () => NO_SCOPE);
    console.info('init');
    expect(output()).toBe(`${TIME}\tundefined\tINFO\tinit\n`);
  });

  it('reads the scope on every call', () => {
    let scope = NO_SCOPE;
    patch({}, () => scope);
    console.log('a');
    scope = IN_INVOKE;
    console.log('b');
    expect(output()).toBe(`${TIME}\tundefined\tINFO\ta\n${TIME}\t${REQ}\tINFO\tb\n`);
  });

  it('replaces every newline in the message with \\r and ends the line with one \\n', () => {
    patch({});
    console.info('one\ntwo\n\nthree\n');
    expect(output()).toBe(`${TIME}\t${REQ}\tINFO\tone\rtwo\r\rthree\r\n`);
  });

  it('keeps an error stack on one line', () => {
    patch({});
    const error = new Error('boom');
    console.error('failed:', error);
    const stack = String(error.stack);
    expect(output()).toBe(`${TIME}\t${REQ}\tERROR\tfailed: ${stack.replaceAll('\n', '\r')}\n`);
  });

  it('names each method with its level; console.log is console.info; trace has no stack', () => {
    patch({});
    logAllLevels();
    expect(console.log).toBe(console.info);
    expect(output()).toBe(
      [
        `${TIME}\t${REQ}\tTRACE\tt`,
        `${TIME}\t${REQ}\tDEBUG\td`,
        `${TIME}\t${REQ}\tINFO\ti`,
        `${TIME}\t${REQ}\tINFO\tl`,
        `${TIME}\t${REQ}\tWARN\tw`,
        `${TIME}\t${REQ}\tERROR\te`,
        `${TIME}\t${REQ}\tFATAL\tf`,
        '',
      ].join('\n'),
    );
  });

  it('prints `undefined` for console.log() like the official client', () => {
    patch({});
    console.log();
    expect(output()).toBe(`${TIME}\t${REQ}\tINFO\tundefined\n`);
  });

  it('does not print the tenant id', () => {
    patch({}, () => ({ requestId: 'r1', tenantId: 'tenant-7' }));
    console.log('x');
    expect(output()).toBe(`${TIME}\tr1\tINFO\tx\n`);
  });

  it('formatTextLine gives the same bytes as the patched console', () => {
    patch({});
    console.warn('%d items\nleft', 3, { deep: { er: true } });
    expect(output()).toBe(formatTextLine(TIME, REQ, 'WARN', '%d items\nleft', [3, { deep: { er: true } }]));
  });
});

describe('level filtering', () => {
  it('silences lower levels in TEXT', () => {
    patch({ minLevel: 'WARN' });
    logAllLevels();
    expect(output()).toBe(`${TIME}\t${REQ}\tWARN\tw\n${TIME}\t${REQ}\tERROR\te\n${TIME}\t${REQ}\tFATAL\tf\n`);
  });

  it('silences lower levels in JSON', () => {
    patch({ format: 'JSON', minLevel: 'ERROR' });
    logAllLevels();
    expect(jsonLines().map((line) => [line['level'], line['message']])).toEqual([
      ['ERROR', 'e'],
      ['FATAL', 'f'],
    ]);
  });

  it('applies AWS_LAMBDA_LOG_LEVEL from the environment in any case', () => {
    patch(logConfigFromEnvironment({ AWS_LAMBDA_LOG_LEVEL: 'dEbUg' }));
    logAllLevels();
    expect(output().split('\n').map((line) => line.split('\t')[2])).toEqual([
      'DEBUG',
      'INFO',
      'INFO',
      'WARN',
      'ERROR',
      'FATAL',
      undefined,
    ]);
  });

  it('writes everything at TRACE, and only FATAL at FATAL', () => {
    patch({ minLevel: 'TRACE' });
    logAllLevels();
    expect(output().split('\n')).toHaveLength(8);
    patch({ minLevel: 'FATAL' });
    logAllLevels();
    expect(output().split('\n')).toHaveLength(9);
  });
});

describe('JSON', () => {
  it('keeps a single object argument as a JSON value', () => {
    patch({ format: 'JSON' });
    console.log({ orderId: 42, items: ['a', 'b'], nested: { ok: true } });
    expect(output()).toBe(
      `{"timestamp":"${TIME}","level":"INFO","requestId":"${REQ}","message":{"orderId":42,"items":["a","b"],"nested":{"ok":true}}}\n`,
    );
  });

  it('keeps a single string raw (no format directives applied)', () => {
    patch({ format: 'JSON' });
    console.info('100%s sure\nsecond line');
    expect(jsonLines()).toEqual([{ timestamp: TIME, level: 'INFO', requestId: REQ, message: '100%s sure\nsecond line' }]);
    expect(output().split('\n')).toHaveLength(2);
  });

  it('util.formats several arguments', () => {
    patch({ format: 'JSON' });
    console.warn('user %s has %d items', 'ana', 3, { x: 1 });
    expect(jsonLines()).toEqual([
      { timestamp: TIME, level: 'WARN', requestId: REQ, message: 'user ana has 3 items { x: 1 }' },
    ]);
  });

  it('turns a single Error into {errorType, errorMessage, stackTrace, ...own fields}', () => {
    patch({ format: 'JSON' });
    const error = Object.assign(new TypeError('bad input'), { code: 'E_BAD' });
    console.error(error);
    expect(jsonLines()).toEqual([
      {
        timestamp: TIME,
        level: 'ERROR',
        requestId: REQ,
        message: {
          errorType: 'TypeError',
          errorMessage: 'bad input',
          stackTrace: String(error.stack).split('\n'),
          code: 'E_BAD',
        },
      },
    ]);
  });

  it('serialises Errors nested in a single object', () => {
    patch({ format: 'JSON' });
    const error = new RangeError('too far');
    console.log({ context: 'x', error });
    expect(jsonLines()[0]?.['message']).toEqual({
      context: 'x',
      error: { errorType: 'RangeError', errorMessage: 'too far', stackTrace: String(error.stack).split('\n') },
    });
  });

  it('adds the first Error among several arguments as top-level fields', () => {
    patch({ format: 'JSON' });
    const first = new Error('first');
    const second = new SyntaxError('second');
    console.error('failed', first, second);
    const [line] = jsonLines();
    expect(Object.keys(line ?? {})).toEqual([
      'timestamp',
      'level',
      'requestId',
      'message',
      'errorType',
      'errorMessage',
      'stackTrace',
    ]);
    expect(line).toMatchObject({
      message: `failed ${String(first.stack)} ${String(second.stack)}`,
      errorType: 'Error',
      errorMessage: 'first',
      stackTrace: String(first.stack).split('\n'),
    });
  });

  it('also finds the Error when it is the first of several arguments', () => {
    patch({ format: 'JSON' });
    console.error(new TypeError('x'), 'while parsing');
    expect(jsonLines()[0]).toMatchObject({ errorType: 'TypeError', errorMessage: 'x' });
  });

  it('falls back to util.format for a circular single argument', () => {
    patch({ format: 'JSON' });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular['self'] = circular;
    console.log(circular);
    expect(jsonLines()[0]?.['message']).toBe("<ref *1> { name: 'loop', self: [Circular *1] }");
  });

  it('falls back to util.format for BigInt, alone or inside an object', () => {
    patch({ format: 'JSON' });
    console.log(12345678901234567890n);
    console.log({ big: 1n });
    console.log('several', 2n);
    expect(jsonLines().map((line) => line['message'])).toEqual(['12345678901234567890n', '{ big: 1n }', 'several 2n']);
  });

  it('adds tenantId only when set, and omits requestId before the first invoke', () => {
    let scope: LogScope = NO_SCOPE;
    patch({ format: 'JSON' }, () => scope);
    console.log('init');
    scope = { requestId: 'r1', tenantId: '' };
    console.log('no tenant');
    scope = { requestId: 'r2', tenantId: 'tenant-7' };
    console.log('tenant');
    expect(output()).toBe(
      [
        `{"timestamp":"${TIME}","level":"INFO","message":"init"}`,
        `{"timestamp":"${TIME}","level":"INFO","requestId":"r1","message":"no tenant"}`,
        `{"timestamp":"${TIME}","level":"INFO","requestId":"r2","tenantId":"tenant-7","message":"tenant"}`,
        '',
      ].join('\n'),
    );
  });

  it('omits message for console.log() like the official client', () => {
    patch({ format: 'JSON' });
    console.log();
    expect(output()).toBe(`{"timestamp":"${TIME}","level":"INFO","requestId":"${REQ}"}\n`);
  });

  it('writes console.fatal at FATAL', () => {
    patch({ format: 'JSON' });
    console.fatal('the end', 1);
    expect(jsonLines()).toEqual([{ timestamp: TIME, level: 'FATAL', requestId: REQ, message: 'the end 1' }]);
  });

  it('formatJsonRecord gives the same bytes as the patched console', () => {
    patch({ format: 'JSON' }, () => ({ requestId: 'r', tenantId: 't' }));
    console.debug('a', { b: 2 });
    expect(output()).toBe(formatJsonRecord(TIME, 'r', 't', 'DEBUG', 'a', [{ b: 2 }]) + '\n');
  });
});

describe('a log call never throws', () => {
  const hostile = {
    toString(): string {
      throw new Error('toString exploded');
    },
  };

  it('reports an argument that cannot be formatted, in TEXT', () => {
    patch({});
    expect(() => console.log('%s', hostile)).not.toThrow();
    expect(output()).toBe(`${TIME}\t${REQ}\tINFO\tUnable to format log message: Error: toString exploded\n`);
  });

  it('reports an argument that cannot be formatted, in JSON', () => {
    patch({ format: 'JSON' });
    expect(() => console.log('%s', hostile)).not.toThrow();
    expect(jsonLines()[0]?.['message']).toBe('Unable to format log message: Error: toString exploded');
  });

  it('survives a closed output fd', () => {
    patchConsole(config({}), () => IN_INVOKE, { clock: () => CLOCK, stdoutFd: 987654 });
    expect(() => console.log('into the void')).not.toThrow();
  });
});

describe('telemetry fd', () => {
  function frames() {
    const decoded = decodeTelemetryFrames(readFileSync(outPath));
    expect(decoded.ok).toBe(true);
    return decoded.frames;
  }

  it('writes TEXT frames with real newlines and a trailing \\n, nothing to stdout', () => {
    const stdoutPath = join(dir, 'stdout');
    const stdoutFd = openSync(stdoutPath, 'w+');
    try {
      patchConsole(config({ telemetryFd: outFd }), () => IN_INVOKE, { clock: () => CLOCK, stdoutFd });
      console.log('line one\nline two');
      console.error('oops');
      console.trace('t');
      expect(readFileSync(stdoutPath, 'utf8')).toBe('');
    } finally {
      closeSync(stdoutFd);
    }
    expect(frames()).toEqual([
      { type: 0xa55a000f, timestampMicros: BigInt(CLOCK) * 1000n, message: `${TIME}\t${REQ}\tINFO\tline one\nline two\n` },
      { type: 0xa55a0017, timestampMicros: BigInt(CLOCK) * 1000n, message: `${TIME}\t${REQ}\tERROR\toops\n` },
      { type: 0xa55a0007, timestampMicros: BigInt(CLOCK) * 1000n, message: `${TIME}\t${REQ}\tTRACE\tt\n` },
    ]);
  });

  it('writes JSON frames without a trailing newline, with the level mask in the type', () => {
    patch({ format: 'JSON', telemetryFd: outFd, minLevel: 'DEBUG' }, () => ({ requestId: 'r', tenantId: 'tn' }));
    logAllLevels();
    const decoded = frames();
    expect(decoded.map((frame) => frame.type)).toEqual([
      0xa55a000a, // DEBUG
      0xa55a000e, // INFO
      0xa55a000e, // INFO (log)
      0xa55a0012, // WARN
      0xa55a0016, // ERROR
      0xa55a001a, // FATAL
    ]);
    expect(decoded[0]?.message).toBe(`{"timestamp":"${TIME}","level":"DEBUG","requestId":"r","tenantId":"tn","message":"d"}`);
  });

  it('counts the length in UTF-8 bytes', () => {
    patch({ format: 'JSON', telemetryFd: outFd });
    console.log('żółw 🐢');
    const bytes = readFileSync(outPath);
    const message = `{"timestamp":"${TIME}","level":"INFO","requestId":"${REQ}","message":"żółw 🐢"}`;
    expect(bytes.readUInt32BE(4)).toBe(Buffer.byteLength(message));
    expect(bytes.length).toBe(16 + Buffer.byteLength(message));
  });
});

describe('logRuntimeError', () => {
  it('TEXT: `<label> \\t<error JSON>` at ERROR, with code, own fields and the stack as lines', () => {
    patch({});
    const error = Object.assign(new Error('boom'), { code: 'E42', retry: false });
    logRuntimeError('Invoke Error', error);
    const json = JSON.stringify({
      errorType: 'Error',
      errorMessage: 'boom',
      code: 'E42',
      retry: false,
      stack: String(error.stack).split('\n'),
    });
    expect(output()).toBe(`${TIME}\t${REQ}\tERROR\tInvoke Error \t${json}\n`);
  });

  it('TEXT: uses error.name, so Runtime.* errors keep their type', () => {
    patch({}, () => NO_SCOPE);
    class ImportModuleError extends Error {}
    ImportModuleError.prototype.name = 'Runtime.ImportModuleError';
    logRuntimeError('Init Error', new ImportModuleError("Error: Cannot find module 'x'"));
    const [, , level, message] = output().split('\t');
    expect(level).toBe('ERROR');
    expect(message).toBe('Init Error ');
    expect(output()).toContain(`\t{"errorType":"Runtime.ImportModuleError","errorMessage":"Error: Cannot find module 'x'","stack":[`);
  });

  it('TEXT: wraps a thrown non-Error in an Error', () => {
    patch({});
    logRuntimeError('Uncaught Exception', 'just a string');
    expect(output()).toContain(`\tERROR\tUncaught Exception \t{"errorType":"Error","errorMessage":"just a string","stack":["Error: just a string",`);
  });

  it('TEXT: falls back to {errorType, errorMessage, trace} when the error cannot be serialised', () => {
    patch({});
    const error = new Error('loop') as Error & { self?: unknown };
    error.self = error;
    error.stack = 'Error: loop\n    at here';
    logRuntimeError('Invoke Error', error);
    expect(output()).toBe(
      `${TIME}\t${REQ}\tERROR\tInvoke Error \t{"errorType":"Error","errorMessage":"loop","trace":["Error: loop","    at here"]}\n`,
    );
  });

  it('JSON: the error alone as the message, typed by its class name', () => {
    patch({ format: 'JSON' });
    class HandlerNotFound extends Error {}
    HandlerNotFound.prototype.name = 'Runtime.HandlerNotFound';
    const error = new HandlerNotFound('index.nope is undefined or not exported');
    logRuntimeError('Init Error', error);
    expect(jsonLines()).toEqual([
      {
        timestamp: TIME,
        level: 'ERROR',
        requestId: REQ,
        message: {
          errorType: 'HandlerNotFound',
          errorMessage: 'index.nope is undefined or not exported',
          stackTrace: String(error.stack).split('\n'),
        },
      },
    ]);
  });

  it('is silenced by AWS_LAMBDA_LOG_LEVEL=FATAL, as in the official client', () => {
    patch({ minLevel: 'FATAL' });
    logRuntimeError('Invoke Error', new Error('quiet'));
    expect(output()).toBe('');
  });
});
