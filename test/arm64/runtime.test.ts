// dist/arm64/bootstrap under qemu-user against the emulator on 127.0.0.1: a representative part
// of the integration suite (hello, ESM and TypeScript, errors, streaming, logging), through the
// same harness, whose bootstrapCommand() runs the arm64 binary when BOOTSTRAP_ARCH=arm64.
import { readFileSync, readlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isNative } from '../../build/arch.ts';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import {
  REPO_ROOT,
  TRANSPORTS,
  bootstrapCommand,
  describeOutcome,
  errorBody,
  jsonLines,
  outputSettles,
  startFunction,
  stopAll,
  tempDir,
  textLines,
} from '../integration/harness.ts';
import { ARM64, ARM64_NODE_VERSION, QEMU_TEST_TIMEOUT_MS, RUN_ARM64, SKIPPED_BECAUSE, arm64Binary, requireArm64Binary } from './arm64.ts';

const HELLO = resolve(REPO_ROOT, 'examples/hello');
const ARCH_FIXTURE = resolve(import.meta.dirname, 'fixtures/arch');
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const LEVEL_MESSAGES = ['trace msg', 'debug msg', 'info msg', 'log msg', 'warn msg', 'error msg', 'fatal msg'];
const LEVEL_MASK: Record<string, number> = { TRACE: 0b00100, DEBUG: 0b01000, INFO: 0b01100, WARN: 0b10000, ERROR: 0b10100, FATAL: 0b11000 };

function expectResponse(outcome: InvocationOutcome, emulator: Emulator): void {
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
}

describe.runIf(RUN_ARM64)('dist/arm64/bootstrap under qemu-user', { timeout: QEMU_TEST_TIMEOUT_MS }, () => {
  beforeAll(() => {
    requireArm64Binary();
  });
  afterAll(stopAll);

  it.skipIf(isNative(ARM64))('the harness runs the arm64 binary through qemu-aarch64-static', () => {
    const { command, args } = bootstrapCommand();
    expect(command).toMatch(/\/qemu-aarch64-static$/);
    expect(args).toEqual(['-L', ARM64.emulator?.libraryRoot, arm64Binary]);
  });

  it('the handler runs on arm64 Linux, on the embedded Node (v24.21.0, or v26.12.1 with BOOTSTRAP_NODE=26), in the process of the arm64 binary (or of qemu running it)', async () => {
    const emulator = await startFunction(ARCH_FIXTURE, 'index.handler');
    const outcome = await emulator.invoke('{}');
    expectResponse(outcome, emulator);
    expect(outcome.json()).toEqual({ arch: 'arm64', platform: 'linux', version: ARM64_NODE_VERSION });
    const pid = emulator.pid;
    if (pid === undefined) throw new Error('the emulator has no runtime process');
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(isNative(ARM64) ? /\/bootstrap$/ : /\/qemu-aarch64-static$/);
  });

  describe.each(TRANSPORTS)('hello (transport %s)', (transport) => {
    it('examples/hello answers, and its log line carries the request id', async () => {
      const emulator = await startFunction(HELLO, 'index.handler', {}, { transport });
      const requestId = `hello-arm64-${transport}`;
      const outcome = await emulator.invoke('{"name":"Graviton"}', { requestId });
      expectResponse(outcome, emulator);
      expect(outcome.json()).toMatchObject({ message: 'Hello, Graviton!', requestId, node: ARM64_NODE_VERSION });
      await outputSettles(emulator, (o) => o.includes('greeting Graviton'));
      expect(textLines(emulator.stdout).filter((l) => l.requestId === requestId)).toEqual([
        expect.objectContaining({ level: 'INFO', message: 'greeting Graviton' }),
      ]);
      // A second invoke goes through the same process: the loop keeps going.
      const second = await emulator.invoke('{"name":"again"}');
      expectResponse(second, emulator);
      expect(second.json()).toMatchObject({ message: 'Hello, again!' });
    });
  });

  describe('handler modules', () => {
    it('an ES module (.mjs)', async () => {
      const emulator = await startFunction('resolution/mjs', 'index.handler');
      const outcome = await emulator.invoke('{}');
      expectResponse(outcome, emulator);
      expect(outcome.json()).toEqual({ loadedFrom: 'index.mjs', moduleSystem: 'esm' });
    });

    it('a TypeScript module (.ts, type stripping)', async () => {
      const emulator = await startFunction('resolution/ts', 'index.handler');
      const outcome = await emulator.invoke('{"name":"arm64"}');
      expectResponse(outcome, emulator);
      expect(outcome.json()).toEqual({ loadedFrom: 'index.ts', greeting: 'hello arm64' });
    });

    it('a CommonJS callback handler that fails', async () => {
      const emulator = await startFunction('invocation', 'callback-error.handler');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(errorBody(outcome)).toMatchObject({ errorType: 'TypeError', errorMessage: 'callback failed' });
    });
  });

  describe('errors', () => {
    let emulator: Emulator;
    beforeAll(async () => {
      emulator = await startFunction('results', 'index.handler');
    });

    it('a thrown Error: name, message and stack on /error, with the error type header', async () => {
      const outcome = await emulator.invoke('{"kind":"error"}', { requestId: 'arm64-error' });
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      const post = emulator.requests.find((r) => r.path === '/2018-06-01/runtime/invocation/arm64-error/error');
      expect(post?.headers['lambda-runtime-function-error-type']).toBe('ValidationError');
      const body = errorBody(outcome);
      expect(body.errorType).toBe('ValidationError');
      expect(body.errorMessage).toBe('order id is required');
      expect(body.trace[0]).toBe('ValidationError: order id is required');
      expect(body.trace[1]).toMatch(/^ {4}at handler \(file:\/\/.*\/test\/fixtures\/results\/index\.mjs:\d+:\d+\)$/);
    });

    it('an unserialisable result is Runtime.JSONStringifyError, and the same process goes on', async () => {
      const pid = emulator.pid;
      const outcome = await emulator.invoke('{"kind":"circular"}');
      expect(outcome.errorType, describeOutcome(outcome, emulator)).toBe('Runtime.JSONStringifyError');
      const next = await emulator.invoke('{"kind":"object"}');
      expectResponse(next, emulator);
      expect(next.body.toString('utf8')).toBe('{"ok":true,"list":[1,"two",null],"nested":{"unicode":"é✓"}}');
      expect(emulator.pid).toBe(pid);
    });
  });

  describe.each(TRANSPORTS)('streaming (transport %s)', (transport) => {
    const start = (handler: string): Promise<Emulator> => startFunction('streaming', `index.${handler}`, {}, { transport });

    it('the POST declares streaming mode and chunked encoding; many writes arrive whole and in order', async () => {
      const emulator = await start('ordered');
      const count = 600;
      const outcome = await emulator.invoke(JSON.stringify({ count }), { requestId: `ordered-${transport}` });
      expectResponse(outcome, emulator);
      expect(outcome.streaming).toBe(true);
      expect(outcome.body.toString('utf8')).toBe(Array.from({ length: count }, (_, i) => `${i},`).join(''));
      expect(outcome.chunks.length).toBeGreaterThan(1);
      const post = emulator.requests.find((r) => r.method === 'POST' && r.path.endsWith(`/ordered-${transport}/response`));
      expect(post?.headers['lambda-runtime-function-response-mode']).toBe('streaming');
      expect(post?.headers['transfer-encoding']).toBe('chunked');
    });

    it('HttpResponseStream.from: JSON prelude, 8 NUL bytes, then the body', async () => {
      const emulator = await start('http');
      const prelude = { statusCode: 201, headers: { 'x-custom': 'é ünïcode' }, cookies: ['theme=dark'] };
      const outcome = await emulator.invoke(JSON.stringify({ prelude, body: '<h1>created</h1>' }));
      expectResponse(outcome, emulator);
      expect(outcome.headers['content-type']).toBe('application/vnd.awslambda.http-integration-response');
      const expected = Buffer.concat([Buffer.from(JSON.stringify(prelude)), Buffer.alloc(8), Buffer.from('<h1>created</h1>')]);
      expect(outcome.body.toString('hex')).toBe(expected.toString('hex'));
    });

    it('an error after the first byte ends the POST with the error in its trailers', async () => {
      const emulator = await start('failAfterFirstByte');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(Buffer.concat(outcome.chunks.map((c) => c.data)).toString('utf8')).toBe('partial;');
      expect(outcome.trailers['lambda-runtime-function-error-type']).toBe('TypeError');
      expect(errorBody(outcome)).toMatchObject({ errorType: 'TypeError', errorMessage: 'broke mid-stream' });
    });
  });

  describe('logging', () => {
    it('TEXT: every console method, its level, the request id; multi-line messages joined with \\r', async () => {
      const emulator = await startFunction('logging', 'index.handler');
      expectResponse(await emulator.invoke('{"kind":"levels"}', { requestId: 'arm64-levels' }), emulator);
      expectResponse(await emulator.invoke('{"kind":"multiline"}', { requestId: 'arm64-multiline' }), emulator);
      await outputSettles(emulator, (o) => o.includes('first\rsecond'));
      const lines = textLines(emulator.stdout);
      expect(lines.filter((l) => l.requestId === 'arm64-levels').map((l) => [l.level, l.message])).toEqual(
        LEVELS.map((level, i) => [level, LEVEL_MESSAGES[i]]),
      );
      expect(lines.filter((l) => l.requestId === 'arm64-multiline').map((l) => l.message)).toEqual(['first\rsecond\rthird']);
      expect(lines.find((l) => l.message === 'loaded at init')).toMatchObject({ requestId: 'undefined', level: 'INFO' });
    });

    it('JSON with AWS_LAMBDA_LOG_LEVEL=WARN: one record a line, lower levels silenced', async () => {
      const emulator = await startFunction('logging', 'index.handler', { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'WARN' });
      expectResponse(await emulator.invoke('{"kind":"levels"}', { requestId: 'arm64-json' }), emulator);
      await outputSettles(emulator, (o) => o.includes('fatal msg'));
      const records = jsonLines(emulator.stdout).filter((r) => r.requestId === 'arm64-json');
      expect(records.map((r) => [r.level, r.message])).toEqual([
        ['WARN', 'warn msg'],
        ['ERROR', 'error msg'],
        ['FATAL', 'fatal msg'],
      ]);
    });

    it('telemetry fd: TEXT frames with type, length, timestamp and the record, nothing on stdout', async () => {
      const file = join(tempDir('arm64-telemetry'), 'fd3.bin');
      const emulator = await startFunction('logging', 'index.handler', {}, { telemetryFile: file });
      expectResponse(await emulator.invoke('{"kind":"levels"}', { requestId: 'arm64-tlm' }), emulator);
      const bytes = readFileSync(file);
      const frames: { type: number; length: number; body: string }[] = [];
      for (let at = 0; at < bytes.length; ) {
        const length = bytes.readUInt32BE(at + 4);
        frames.push({ type: bytes.readUInt32BE(at), length, body: bytes.subarray(at + 16, at + 16 + length).toString('utf8') });
        at += 16 + length;
      }
      const levelFrames = frames.filter((f) => f.body.includes('\tarm64-tlm\t'));
      expect(levelFrames.map((f) => f.type)).toEqual(LEVELS.map((level) => (0xa55a0003 | (LEVEL_MASK[level] ?? 0)) >>> 0));
      expect(levelFrames.map((f) => f.body.split('\t').slice(1).join('\t'))).toEqual(
        LEVELS.map((level, i) => `arm64-tlm\t${level}\t${LEVEL_MESSAGES[i]}\n`),
      );
      expect(levelFrames.every((f) => f.length === Buffer.byteLength(f.body))).toBe(true);
      expect(emulator.stdout).not.toContain('log msg');
    });
  });
});

describe.skipIf(RUN_ARM64)('dist/arm64/bootstrap under qemu-user (skipped)', () => {
  it.skip(SKIPPED_BECAUSE, () => {});
});
