// Contract §8: log lines parsed back byte for byte, in TEXT and JSON, with level filtering and
// telemetry frames on an inherited fd.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../../emulator/index.ts';
import { describeOutcome, jsonLines, outputSettles, startFunction, stopAll, tempDir, textLines } from './harness.ts';
import type { TextLine } from './harness.ts';

afterAll(stopAll);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const LEVEL_MESSAGES = ['trace msg', 'debug msg', 'info msg', 'log msg', 'warn msg', 'error msg', 'fatal msg'];
const LEVEL_MASK: Record<string, number> = { TRACE: 0b00100, DEBUG: 0b01000, INFO: 0b01100, WARN: 0b10000, ERROR: 0b10100, FATAL: 0b11000 };

async function invokeKind(emulator: Emulator, kind: string, requestId: string, tenantId?: string): Promise<void> {
  const outcome = await emulator.invoke(JSON.stringify({ kind }), tenantId === undefined ? { requestId } : { requestId, tenantId });
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
}

function linesOf(emulator: Emulator, requestId: string): TextLine[] {
  return textLines(emulator.stdout).filter((l) => l.requestId === requestId);
}

describe('TEXT format', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction('logging', 'index.handler');
    await invokeKind(emulator, 'levels', 'text-levels');
    await invokeKind(emulator, 'multiline', 'text-multiline');
    await invokeKind(emulator, 'format', 'text-format');
    await outputSettles(emulator, (o) => textLines(o).some((l) => l.requestId === 'text-format'));
  });

  test('console.log is `ISO\\t<requestId>\\tINFO\\t<message>\\n`', () => {
    const line = linesOf(emulator, 'text-levels').find((l) => l.message === 'log msg');
    expect(line?.timestamp).toMatch(ISO);
    expect(emulator.stdout).toContain(`\n${line?.timestamp}\ttext-levels\tINFO\tlog msg\n`);
  });

  test('each console method writes its level name', () => {
    const lines = linesOf(emulator, 'text-levels');
    expect(lines.map((l) => [l.level, l.message])).toEqual(LEVELS.map((level, i) => [level, LEVEL_MESSAGES[i]]));
  });

  test('newlines inside a message become \\r', () => {
    const lines = linesOf(emulator, 'text-multiline');
    expect(lines.map((l) => l.message)).toEqual(['first\rsecond\rthird']);
    expect(emulator.stdout).not.toContain('\nsecond');
  });

  test('the message is util.format(args)', () => {
    expect(linesOf(emulator, 'text-format').map((l) => l.message)).toEqual(['cart has 3 items']);
  });

  test('a log line written during init has request id `undefined`', () => {
    const line = textLines(emulator.stdout).find((l) => l.message === 'loaded at init');
    expect(line).toMatchObject({ requestId: 'undefined', level: 'INFO' });
  });
});

describe('JSON format', () => {
  let emulator: Emulator;
  let records: Record<string, unknown>[];
  const of = (requestId: string): Record<string, unknown>[] => records.filter((r) => r.requestId === requestId);

  beforeAll(async () => {
    // lower case on purpose: the format name is case-insensitive
    emulator = await startFunction('logging', 'index.handler', { AWS_LAMBDA_LOG_FORMAT: 'json' });
    await invokeKind(emulator, 'string', 'json-string');
    await invokeKind(emulator, 'string', 'json-tenant', 'tenant-7');
    await invokeKind(emulator, 'object', 'json-object');
    await invokeKind(emulator, 'several', 'json-several');
    await invokeKind(emulator, 'error', 'json-error');
    await invokeKind(emulator, 'error-with-text', 'json-error-with-text');
    await invokeKind(emulator, 'levels', 'json-levels');
    await outputSettles(emulator, (o) => jsonLines(o).some((r) => r.requestId === 'json-levels' && r.level === 'FATAL'));
    records = jsonLines(emulator.stdout);
  });

  test('one object a line: timestamp, level, requestId, message, no tenantId when not set', () => {
    const [record] = of('json-string');
    expect(Object.keys(record ?? {}).sort()).toEqual(['level', 'message', 'requestId', 'timestamp']);
    expect(record).toMatchObject({ level: 'INFO', requestId: 'json-string', message: 'just a string' });
    expect(record?.timestamp).toMatch(ISO);
  });

  test('tenantId is present when the invoke has one', () => {
    expect(of('json-tenant')).toEqual([expect.objectContaining({ tenantId: 'tenant-7', message: 'just a string' })]);
  });

  test('a single argument keeps its JSON value', () => {
    expect(of('json-object').map((r) => r.message)).toEqual([{ a: 1, nested: { b: [1, 2] } }]);
  });

  test('several arguments are util.format-ted into one string', () => {
    expect(of('json-several').map((r) => r.message)).toEqual(['user { id: 7 } 42']);
  });

  test('an Error becomes {errorType, errorMessage, stackTrace}', () => {
    const [record] = of('json-error');
    expect(record?.level).toBe('ERROR');
    const message = record?.message as { errorType: string; errorMessage: string; stackTrace: string[] };
    expect(message).toMatchObject({ errorType: 'Error', errorMessage: 'kaput' });
    expect(message.stackTrace[0]).toBe('Error: kaput');
    expect(message.stackTrace[1]).toMatch(/^ {4}at /);
  });

  test('an Error among several arguments: formatted message plus top-level error fields', () => {
    const [record] = of('json-error-with-text');
    expect(record).toMatchObject({ level: 'ERROR', errorType: 'TypeError', errorMessage: 'card declined' });
    expect(String(record?.message)).toMatch(/^charge failed: TypeError: card declined\n {4}at /);
    expect((record?.stackTrace as string[])[0]).toBe('TypeError: card declined');
  });

  test('each level, console.fatal included', () => {
    expect(of('json-levels').map((r) => [r.level, r.message])).toEqual(LEVELS.map((level, i) => [level, LEVEL_MESSAGES[i]]));
  });
});

describe('AWS_LAMBDA_LOG_LEVEL', () => {
  test('an unknown level lets everything through', async () => {
    const emulator = await startFunction('logging', 'index.handler', { AWS_LAMBDA_LOG_LEVEL: 'verbose' });
    await invokeKind(emulator, 'levels', 'unknown-level');
    await outputSettles(emulator, (o) => o.includes('fatal msg'));
    expect(linesOf(emulator, 'unknown-level').map((l) => l.level)).toEqual(LEVELS);
  });

  test('TEXT: trace, debug, info and log are silenced', async () => {
    const emulator = await startFunction('logging', 'index.handler', { AWS_LAMBDA_LOG_LEVEL: 'warn' });
    await invokeKind(emulator, 'levels', 'warn-text');
    await outputSettles(emulator, (o) => o.includes('fatal msg'));
    expect(linesOf(emulator, 'warn-text').map((l) => [l.level, l.message])).toEqual([
      ['WARN', 'warn msg'],
      ['ERROR', 'error msg'],
      ['FATAL', 'fatal msg'],
    ]);
  });

  test('JSON: trace, debug, info and log are silenced', async () => {
    const emulator = await startFunction('logging', 'index.handler', { AWS_LAMBDA_LOG_LEVEL: 'WARN', AWS_LAMBDA_LOG_FORMAT: 'JSON' });
    await invokeKind(emulator, 'levels', 'warn-json');
    await outputSettles(emulator, (o) => o.includes('fatal msg'));
    const records = jsonLines(emulator.stdout).filter((r) => r.requestId === 'warn-json');
    expect(records.map((r) => [r.level, r.message])).toEqual([
      ['WARN', 'warn msg'],
      ['ERROR', 'error msg'],
      ['FATAL', 'fatal msg'],
    ]);
  });
});

interface Frame {
  type: number;
  length: number;
  timestampUs: bigint;
  body: string;
}

/** Splits the fd's bytes into frames; throws if the bytes do not add up to whole frames. */
function decodeFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < 16) throw new Error(`${bytes.length - offset} stray bytes at offset ${offset}`);
    const type = bytes.readUInt32BE(offset);
    const length = bytes.readUInt32BE(offset + 4);
    const timestampUs = bytes.readBigInt64BE(offset + 8);
    const end = offset + 16 + length;
    if (end > bytes.length) throw new Error(`frame at ${offset} declares ${length} bytes, only ${bytes.length - offset - 16} left`);
    frames.push({ type, length, timestampUs, body: bytes.subarray(offset + 16, end).toString('utf8') });
    offset = end;
  }
  return frames;
}

describe('telemetry log fd (_LAMBDA_TELEMETRY_LOG_FD)', () => {
  describe('TEXT frames', () => {
    let emulator: Emulator;
    let frames: Frame[];
    let fdVisible: unknown;

    beforeAll(async () => {
      const file = join(tempDir('telemetry-text'), 'fd3.bin');
      emulator = await startFunction('logging', 'index.handler', {}, { telemetryFile: file });
      await invokeKind(emulator, 'levels', 'tlm-levels');
      const outcome = await emulator.invoke('{"kind":"multiline"}', { requestId: 'tlm-multiline' });
      fdVisible = (outcome.json() as { telemetryFdVisible: unknown }).telemetryFdVisible;
      frames = decodeFrames(readFileSync(file));
    });

    test('the variable is deleted from the environment user code sees', () => expect(fdVisible).toBe(false));

    test('records go to the fd, not to stdout', () => {
      expect(frames.length).toBeGreaterThanOrEqual(8);
      expect(emulator.stdout).not.toContain('log msg');
      expect(emulator.stdout).not.toContain('loaded at init');
    });

    test('each frame: 0xa55a0003 | level mask, length, µs timestamp, `ISO\\tid\\tLEVEL\\tmsg\\n`', () => {
      const levelFrames = frames.filter((f) => f.body.includes('\ttlm-levels\t'));
      expect(levelFrames).toHaveLength(7);
      levelFrames.forEach((frame, i) => {
        const level = LEVELS[i] ?? '';
        expect(frame.type).toBe((0xa55a0003 | (LEVEL_MASK[level] ?? 0)) >>> 0);
        expect(frame.length).toBe(Buffer.byteLength(frame.body));
        const [timestamp = ''] = frame.body.split('\t');
        expect(timestamp).toMatch(ISO);
        expect(frame.body).toBe(`${timestamp}\ttlm-levels\t${level}\t${LEVEL_MESSAGES[i]}\n`);
        expect(Math.abs(Number(frame.timestampUs / 1000n) - Date.parse(timestamp))).toBeLessThanOrEqual(1);
      });
    });

    test('TEXT frames keep real newlines', () => {
      const frame = frames.find((f) => f.body.includes('\ttlm-multiline\t'));
      expect(frame?.body).toMatch(/\ttlm-multiline\tINFO\tfirst\nsecond\nthird\n$/);
    });

    test('an init-time record is framed too, with request id undefined', () => {
      const frame = frames.find((f) => f.body.endsWith('\tloaded at init\n'));
      expect(frame?.body).toMatch(/^\S+\tundefined\tINFO\tloaded at init\n$/);
      expect(frame?.type).toBe((0xa55a0003 | 0b01100) >>> 0);
    });
  });

  test('JSON frames: 0xa55a0002 | level mask and one JSON record each', async () => {
    const file = join(tempDir('telemetry-json'), 'fd3.bin');
    const emulator = await startFunction('logging', 'index.handler', { AWS_LAMBDA_LOG_FORMAT: 'JSON' }, { telemetryFile: file });
    await invokeKind(emulator, 'levels', 'tlm-json');
    const frames = decodeFrames(readFileSync(file)).filter((f) => f.body.includes('"tlm-json"'));
    expect(frames.map((f) => f.type)).toEqual(LEVELS.map((level) => (0xa55a0002 | (LEVEL_MASK[level] ?? 0)) >>> 0));
    const records = frames.map((f) => JSON.parse(f.body) as Record<string, unknown>);
    expect(records.map((r) => [r.level, r.message, r.requestId])).toEqual(LEVELS.map((level, i) => [level, LEVEL_MESSAGES[i], 'tlm-json']));
    expect(emulator.stdout).not.toContain('tlm-json');
  });
});
