// Real child processes (Node 24 running a small .mts script that imports src/logging.ts):
// stdout bytes exactly as a log collector sees them, nothing lost on an immediate exit, a 10 MB
// line through a non-blocking pipe, and telemetry frames through a real pipe on fd 3.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTelemetryFrames } from '../../src/telemetry-frame.ts';

const LOGGING_URL = pathToFileURL(join(import.meta.dirname, '../../src/logging.ts')).href;
const TIME = '2023-11-14T22:13:20.123Z';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logging-process-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface ChildResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  fd3: Buffer;
}

interface RunOptions {
  env?: Record<string, string>;
  /** Keep stdout unread this long, so the pipe fills and the child meets EAGAIN. */
  holdStdoutMs?: number;
  withFd3?: boolean;
}

/** `body` runs after `config`, `patchConsole` and `logConfigFromEnvironment` are in scope. */
async function runChild(name: string, body: string, options: RunOptions = {}): Promise<ChildResult> {
  const script = join(dir, `${name}.mts`);
  writeFileSync(
    script,
    `import { logConfigFromEnvironment, patchConsole } from ${JSON.stringify(LOGGING_URL)};\n` +
      `const config = logConfigFromEnvironment(process.env);\n` +
      body,
  );
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
    stdio: options.withFd3 ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
  });
  const collect = (stream: Readable | null | undefined): Promise<Buffer> => {
    if (!stream) return Promise.resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    return new Promise((resolve, reject) => {
      stream.on('end', () => resolve(Buffer.concat(chunks)));
      stream.on('error', reject);
    });
  };
  const childStdout = child.stdout;
  if (!childStdout) throw new Error('spawn gave no stdout pipe');
  if (options.holdStdoutMs !== undefined) childStdout.pause();
  const stdout = collect(childStdout);
  const stderr = collect(child.stderr);
  const fd3 = collect(child.stdio[3] as Readable | null | undefined);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  if (options.holdStdoutMs !== undefined) {
    await sleep(options.holdStdoutMs);
    childStdout.resume();
  }
  return { code: await exited, stdout: await stdout, stderr: (await stderr).toString('utf8'), fd3: await fd3 };
}

const SCRIPTED_LOGS = `
let scope = { requestId: undefined, tenantId: undefined };
patchConsole(config, () => scope, { clock: () => 1_700_000_000_123 });
console.log('init %d', 1);
scope = { requestId: 'req-1', tenantId: 'tenant-1' };
console.info('multi\\nline');
console.trace('trace');
console.debug('debug');
console.warn({ a: 1 });
console.error('err', 2);
console.fatal('fatal');
// Exits straight after logging: every line must already be written.
process.exit(3);
`;

describe('logging in a child process', () => {
  it('TEXT: exact stdout lines, nothing lost on process.exit', async () => {
    const result = await runChild('text', SCRIPTED_LOGS);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    expect(result.stdout.toString('utf8')).toBe(
      [
        `${TIME}\tundefined\tINFO\tinit 1`,
        `${TIME}\treq-1\tINFO\tmulti\rline`,
        `${TIME}\treq-1\tTRACE\ttrace`,
        `${TIME}\treq-1\tDEBUG\tdebug`,
        `${TIME}\treq-1\tWARN\t{ a: 1 }`,
        `${TIME}\treq-1\tERROR\terr 2`,
        `${TIME}\treq-1\tFATAL\tfatal`,
        '',
      ].join('\n'),
    );
  });

  it('JSON with AWS_LAMBDA_LOG_LEVEL=warn: exact stdout lines', async () => {
    const result = await runChild('json', SCRIPTED_LOGS, {
      env: { AWS_LAMBDA_LOG_FORMAT: 'json', AWS_LAMBDA_LOG_LEVEL: 'warn' },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(3);
    expect(result.stdout.toString('utf8')).toBe(
      [
        `{"timestamp":"${TIME}","level":"WARN","requestId":"req-1","tenantId":"tenant-1","message":{"a":1}}`,
        `{"timestamp":"${TIME}","level":"ERROR","requestId":"req-1","tenantId":"tenant-1","message":"err 2"}`,
        `{"timestamp":"${TIME}","level":"FATAL","requestId":"req-1","tenantId":"tenant-1","message":"fatal"}`,
        '',
      ].join('\n'),
    );
  });

  it('writes a 10 MB line whole through a full non-blocking pipe, then exits', async () => {
    const size = 10 * 1024 * 1024;
    const result = await runChild(
      'big',
      `
import { readFileSync } from 'node:fs';
// Touching process.stdout makes libuv switch fd 1 to O_NONBLOCK, as user code often does.
void process.stdout;
const flags = Number.parseInt(/flags:\\s*(\\d+)/.exec(readFileSync('/proc/self/fdinfo/1', 'utf8'))![1]!, 8);
process.stderr.write('nonblocking=' + ((flags & 0o4000) !== 0) + '\\n');
patchConsole(config, () => ({ requestId: 'big-1', tenantId: undefined }), { clock: () => 1_700_000_000_123 });
console.log('x'.repeat(${size}));
console.log('after');
process.exit(0);
`,
      { holdStdoutMs: 300 },
    );
    expect(result.stderr).toBe('nonblocking=true\n');
    expect(result.code).toBe(0);
    const prefix = `${TIME}\tbig-1\tINFO\t`;
    const expected = `${prefix}${'x'.repeat(size)}\n${prefix}after\n`;
    expect(result.stdout.length).toBe(Buffer.byteLength(expected));
    expect(result.stdout.toString('utf8') === expected).toBe(true);
  });

  it('resumes a short write at the right byte inside multi-byte characters', async () => {
    const unit = 'a€😀'; // 1 + 3 + 4 bytes, so pipe-sized chunks end mid-character
    const count = 300_000;
    const result = await runChild(
      'multibyte',
      `
void process.stdout;
patchConsole(config, () => ({ requestId: 'mb-1', tenantId: undefined }), { clock: () => 1_700_000_000_123 });
console.log(${JSON.stringify(unit)}.repeat(${count}));
process.exit(0);
`,
      { holdStdoutMs: 200 },
    );
    expect(result.stderr).toBe('');
    const expected = Buffer.from(`${TIME}\tmb-1\tINFO\t${unit.repeat(count)}\n`);
    expect(result.stdout.length).toBe(expected.length);
    expect(result.stdout.equals(expected)).toBe(true);
  });

  it('writes telemetry frames to a real pipe and deletes _LAMBDA_TELEMETRY_LOG_FD', async () => {
    const big = 'y'.repeat(1024 * 1024);
    const result = await runChild(
      'telemetry',
      `
process.stderr.write('fd variable after config: ' + process.env._LAMBDA_TELEMETRY_LOG_FD + '\\n');
patchConsole(config, () => ({ requestId: 'tel-1', tenantId: undefined }), { clock: () => 1_700_000_000_123 });
console.log('first\\nsecond');
console.warn('${big}');
console.fatal('last');
process.exit(0);
`,
      { env: { _LAMBDA_TELEMETRY_LOG_FD: '3' }, withFd3: true },
    );
    expect(result.stderr).toBe('fd variable after config: undefined\n');
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8')).toBe('');
    const timestampMicros = 1_700_000_000_123n * 1000n;
    expect(decodeTelemetryFrames(result.fd3)).toEqual({
      ok: true,
      frames: [
        { type: 0xa55a000f, timestampMicros, message: `${TIME}\ttel-1\tINFO\tfirst\nsecond\n` },
        { type: 0xa55a0013, timestampMicros, message: `${TIME}\ttel-1\tWARN\t${big}\n` },
        { type: 0xa55a001b, timestampMicros, message: `${TIME}\ttel-1\tFATAL\tlast\n` },
      ],
    });
  });
});
