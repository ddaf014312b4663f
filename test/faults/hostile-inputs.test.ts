// Issue 6, hostile inputs and security: handler strings that try to escape the task root or smuggle
// shell syntax, request ids that need URL-encoding, malformed context headers, event content that
// must never be evaluated, and secrets in events and the environment that the runtime must never
// log by itself.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import {
  describeOutcome,
  errorBody,
  outputSettles,
  runDirect,
  startFunction,
  stopAll,
  tempDir,
  textLines,
} from '../integration/harness.ts';
import { FIXTURE, exitWithin, postSummary, readable } from './helpers.ts';

afterAll(stopAll);

const MODULE = `export const handler = async (event, context) => ({ module: import.meta.url, requestId: context.awsRequestId });\n`;
const INIT_ERROR_EXIT = { code: 129, signal: null };

/** A fresh task root holding `files` (relative path → source). */
function taskRoot(files: Record<string, string>): string {
  const root = tempDir('hostile');
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), source);
  }
  return root;
}

/** Starts `handler` in `root`, invokes once, and waits (bounded) for the process to end. */
async function firstInvoke(root: string, handler: string): Promise<{ emulator: Emulator; outcome: InvocationOutcome }> {
  const emulator = await startFunction(root, handler);
  const outcome = await emulator.invoke('{}', { requestId: 'hostile' });
  return { emulator, outcome };
}

async function expectInitError(root: string, handler: string, errorType: string, message?: string | RegExp): Promise<Emulator> {
  const { emulator, outcome } = await firstInvoke(root, handler);
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
  const body = errorBody(outcome);
  expect(body.errorType).toBe(errorType);
  if (typeof message === 'string') expect(body.errorMessage).toBe(message);
  else if (message !== undefined) expect(body.errorMessage).toMatch(message);
  expect(await exitWithin(emulator, 5_000)).toEqual(INIT_ERROR_EXIT);
  return emulator;
}

describe.concurrent('handler strings', () => {
  test.each(['../outside/index.handler', 'index..handler', 'a/../index.handler', '/tmp/../etc/passwd.handler'])(
    '%s: Runtime.MalformedHandlerName (contains "..")',
    async (handler) => {
      const root = taskRoot({ 'index.mjs': MODULE, 'a/index.mjs': MODULE });
      await expectInitError(
        root,
        handler,
        'Runtime.MalformedHandlerName',
        `'${handler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
      );
    },
  );

  test('an absolute module root outside the task root is honoured', async () => {
    const elsewhere = taskRoot({ 'lib/app.mjs': MODULE });
    const root = taskRoot({});
    const { emulator, outcome } = await firstInvoke(root, `${elsewhere}/lib/app.handler`);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect((outcome.json() as { module: string }).module).toBe(`file://${elsewhere}/lib/app.mjs`);
  });

  test('an absolute module root that does not exist: Runtime.ImportModuleError', async () => {
    await expectInitError(taskRoot({}), '/nonexistent/dir/app.handler', 'Runtime.ImportModuleError', /^Error: Cannot find module 'app'/);
  });

  test('an empty module name (".handler") never loads <task root>.js, the file beside the task root', async () => {
    const parent = tempDir('hostile-parent');
    const root = join(parent, 'task');
    mkdirSync(root);
    writeFileSync(join(parent, 'task.js'), 'exports.handler = async () => "ESCAPED THE TASK ROOT";\n');
    writeFileSync(join(parent, 'task.mjs'), 'export const handler = async () => "ESCAPED THE TASK ROOT";\n');
    const { emulator, outcome } = await firstInvoke(root, '.handler');
    expect(outcome.body.toString('utf8')).not.toContain('ESCAPED');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(['Runtime.MalformedHandlerName', 'Runtime.ImportModuleError']).toContain(errorBody(outcome).errorType);
  });

  test.each([
    ['index.', 'index. is undefined or not exported'],
    ['index.handler.', 'index.handler. is undefined or not exported'],
    ['index.handler..x', undefined],
  ])('empty property path parts in %s: a clear init error', async (handler, message) => {
    const root = taskRoot({ 'index.mjs': MODULE });
    if (message === undefined) await expectInitError(root, handler, 'Runtime.MalformedHandlerName');
    else await expectInitError(root, handler, 'Runtime.HandlerNotFound', message);
  });

  test('empty path segments (dir//index.handler) resolve like dir/index.handler', async () => {
    const root = taskRoot({ 'dir/index.mjs': MODULE });
    const { emulator, outcome } = await firstInvoke(root, 'dir//index.handler');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect((outcome.json() as { module: string }).module).toBe(`file://${root}/dir/index.mjs`);
  });

  test('an empty _HANDLER: a message naming _HANDLER, exit 1', async () => {
    const root = taskRoot({ 'index.mjs': MODULE });
    const run = await runDirect({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9', _HANDLER: '', LAMBDA_TASK_ROOT: root }, root);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 1, signal: null });
    expect(run.stderr).toContain('_HANDLER is not set');
  });

  test('unicode directory, file and export names', async () => {
    const source = `export const ハンドラ = async () => 'こんにちは ✓';\n`;
    const root = taskRoot({ '日本/ünïcødé.mjs': source });
    const { emulator, outcome } = await firstInvoke(root, '日本/ünïcødé.ハンドラ');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toBe('こんにちは ✓');
  });

  test('a 10 kB module name: Runtime.ImportModuleError, promptly, no crash', async () => {
    const handler = `${'a'.repeat(10_000)}.handler`;
    await expectInitError(taskRoot({ 'index.mjs': MODULE }), handler, 'Runtime.ImportModuleError');
  });

  test('a 10 kB handler string of directories: Runtime.ImportModuleError, promptly, no crash', async () => {
    const handler = `${'d/'.repeat(5_000)}index.handler`;
    await expectInitError(taskRoot({ 'index.mjs': MODULE }), handler, 'Runtime.ImportModuleError');
  });

  test('a 10 kB export path: Runtime.HandlerNotFound naming it', async () => {
    const handler = `index.${'p'.repeat(10_000)}`;
    await expectInitError(taskRoot({ 'index.mjs': MODULE }), handler, 'Runtime.HandlerNotFound', `${handler} is undefined or not exported`);
  });

  test('shell metacharacters are never run by a shell: an ImportModuleError and no side effect', async () => {
    const root = taskRoot({ 'index.mjs': MODULE });
    const handler = '$(touch pwned-dollar);`touch pwned-tick`|touch pwned-pipe&&touch pwned-and>pwned-redirect*?~!{x,y}\\\'".handler';
    await expectInitError(root, handler, 'Runtime.ImportModuleError');
    expect(readdirSync(root).sort()).toEqual(['index.mjs']);
  });

  test('a module file whose name is made of shell metacharacters loads like any other', async () => {
    const name = `a;b&c|d$(e)\`f\`'g'"h" i*j?k<l>m`;
    const root = taskRoot({ [`${name}.mjs`]: MODULE });
    const { emulator, outcome } = await firstInvoke(root, `${name}.handler`);
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(readdirSync(root)).toEqual([`${name}.mjs`]);
  });
});

describe('request ids that need URL-encoding', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction(FIXTURE, 'handlers.handler', {}, { waitForInit: true });
  });

  // Header values are UTF-8 on the wire, as the service sends them (the emulator writes the bytes),
  // so ids beyond Latin-1 (✓, 日本, an emoji) arrive as they were issued.
  const ids = ['with/slash', 'with#hash', 'with%percent', '100%25', 'ünïcødé-£-ÿ', '✓-日本-🚀', 'with?query=1&x', 'with space', '../../init/error', '..'];

  test.each(ids)('%s: context.awsRequestId verbatim, /response path encoded, exactly one post', async (requestId) => {
    const outcome = await emulator.invoke('{"kind":"observe"}', { requestId });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect((outcome.json() as { awsRequestId: string }).awsRequestId).toBe(requestId);
    expect(postSummary(emulator, requestId)).toEqual([['response', 202]]);
  });

  test.each(ids)('%s: /error path encoded, exactly one post', async (raw) => {
    const requestId = `error:${raw}`;
    const outcome = await emulator.invoke('{"kind":"error"}', { requestId });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(postSummary(emulator, requestId)).toEqual([['error', 202]]);
  });

  test('no request ever reached /init/error or an unknown path', () => {
    expect(emulator.requests.filter((r) => r.status === 404 || r.path.includes('/init/'))).toEqual([]);
  });
});

describe('malformed client context and identity headers', () => {
  let emulator: Emulator;
  let pid: number | undefined;
  beforeAll(async () => {
    emulator = await startFunction(FIXTURE, 'handlers.pendingForever', {}, { waitForInit: true });
    pid = emulator.pid;
  });

  test.each([
    ['clientContext', 'Lambda-Runtime-Client-Context', '{"client": '],
    ['cognitoIdentity', 'Lambda-Runtime-Cognito-Identity', 'not json at all'],
  ] as const)('invalid JSON in %s: Runtime.MalformedInvokeHeader naming %s, handler not called, loop continues', async (option, header, value) => {
    const requestId = `bad-${option}`;
    const before = (await emulator.invoke('{}')).json() as { calls: number };
    const outcome = await emulator.invoke('{}', { requestId, [option]: value });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    expect(outcome.errorType).toBe('Runtime.MalformedInvokeHeader');
    expect(errorBody(outcome).errorMessage).toMatch(new RegExp(`^The ${header} header of this invocation is not valid JSON`));
    expect(postSummary(emulator, requestId)).toEqual([['error', 202]]);
    const after = (await emulator.invoke('{}')).json() as { calls: number };
    expect(after.calls, 'the handler was not called for the bad invocation').toBe(before.calls + 1);
    expect(emulator.pid).toBe(pid);
  });
});

describe('the runtime never logs event payloads or environment values itself', () => {
  const EVENT_SECRET = 'EVENTSECRETa1b2c3';
  const ENV_SECRET = 'ENVSECRETd4e5f6';
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction(FIXTURE, 'handlers.handler', { DATABASE_PASSWORD: ENV_SECRET }, { waitForInit: true });
  });

  test('events that succeed, fail, cannot be returned or are not JSON', async () => {
    const outcomes = [
      await emulator.invoke(JSON.stringify({ kind: 'observe', secret: EVENT_SECRET }), { requestId: 'secret-ok' }),
      await emulator.invoke(JSON.stringify({ kind: 'error', secret: EVENT_SECRET }), { requestId: 'secret-error' }),
      await emulator.invoke(JSON.stringify({ kind: 'circular', secret: EVENT_SECRET }), { requestId: 'secret-circular' }),
      await emulator.invoke(JSON.stringify({ kind: 'string-over-limit', secret: EVENT_SECRET }), { requestId: 'secret-413' }),
      // Short, so that a JSON.parse message would quote all of it.
      await emulator.invoke(`${EVENT_SECRET}!`, { requestId: 'secret-not-json' }),
      await emulator.invoke('{}', { requestId: 'secret-header', clientContext: `${EVENT_SECRET}{` }),
      await emulator.invoke('{}', { requestId: 'secret-identity', cognitoIdentity: `${EVENT_SECRET}{` }),
    ];
    expect(outcomes.map((o) => o.kind)).toEqual(['response', 'error', 'error', 'error', 'error', 'error', 'error']);
    await outputSettles(emulator, (o) => o.includes('secret-identity'));
    const leaks = textLines(emulator.output).filter((l) => l.raw.includes(EVENT_SECRET) || l.raw.includes(ENV_SECRET));
    expect(leaks.map((l) => `${l.requestId}: ${l.message.slice(0, 300)}`)).toEqual([]);
    expect(emulator.output).not.toContain(ENV_SECRET);
  });

  test('an init error does not log the environment either', async () => {
    const root = taskRoot({});
    const { emulator: failing, outcome } = await (async () => {
      const e = await startFunction(root, 'missing.handler', { DATABASE_PASSWORD: ENV_SECRET });
      return { emulator: e, outcome: await e.invoke(JSON.stringify({ secret: EVENT_SECRET })) };
    })();
    expect(outcome.kind).toBe('init-error');
    await exitWithin(failing, 5_000);
    expect(failing.output).not.toContain(ENV_SECRET);
    expect(failing.output).not.toContain(EVENT_SECRET);
  });
});

describe('the runtime never evaluates event content', () => {
  let emulator: Emulator;
  let pid: number | undefined;
  let marker: string;
  beforeAll(async () => {
    emulator = await startFunction(FIXTURE, 'handlers.handler', {}, { waitForInit: true });
    pid = emulator.pid;
    marker = join(tempDir('eval'), 'evaluated');
  });

  test('__proto__ and constructor keys stay plain data: no prototype pollution', async () => {
    const payload = '{"kind":"observe","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}';
    const outcome = await emulator.invoke(payload);
    expect(outcome.json()).toMatchObject({ polluted: null, eventKeys: ['kind', '__proto__', 'constructor'] });
    const after = await emulator.invoke('{"kind":"observe"}');
    expect(after.json()).toMatchObject({ polluted: null });
  });

  test.each([
    `process.exit(3)`,
    `require('child_process').execSync('touch MARKER')`,
    `(() => { require('fs').writeFileSync('MARKER', '') })()`,
  ])('a JavaScript payload %s is a Runtime.MalformedEvent, nothing more', async (code) => {
    const outcome = await emulator.invoke(code.replace('MARKER', marker));
    expect(outcome.errorType, describeOutcome(outcome, emulator)).toBe('Runtime.MalformedEvent');
    expect(existsSync(marker)).toBe(false);
    expect(emulator.pid).toBe(pid);
  });

  test('strings that look like code or templates reach the handler verbatim', async () => {
    const text = `\${process.exit(4)} $(touch ${marker}) \`touch ${marker}\` {{constructor.constructor('return process')().exit(5)}}`;
    const outcome = await emulator.invoke(JSON.stringify({ kind: 'echo', text }), {
      clientContext: JSON.stringify({ custom: { text } }),
    });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect((outcome.json() as { event: { text: string } }).event.text).toBe(text);
    expect(existsSync(marker)).toBe(false);
    expect(emulator.pid).toBe(pid);
    expect(readable(emulator.output)).not.toContain('evaluated');
  });
});
