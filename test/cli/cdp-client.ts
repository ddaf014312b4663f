// A debugger for the tests of --inspect (issue 24): a minimal client of the Chrome DevTools
// Protocol over the inspector's WebSocket, what VS Code and Chrome DevTools speak. Written here
// rather than taken from a package: the tests need five commands and two events, and a client
// library (chrome-remote-interface) would add a dependency for that.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TypeScript handler (types stripped by Node) whose line BREAK_LINE (1-based) holds the
 * statement the breakpoint is set on; `{"a":40,"b":2}` answers `{"total":42}`. */
export const TS_HANDLER = `interface Order {
  a: number;
  b: number;
}
export const handler = async (event: Order): Promise<{ total: number }> => {
  const total: number = event.a + event.b;
  return { total };
};
`;
export const BREAK_LINE = 6;

export function freePort(): Promise<number> {
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
export class Cdp {
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

export async function inspectorUrl(port: number): Promise<string> {
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

/** A paused call frame's script URL and 1-based line. */
export interface PausedAt {
  callFrameId: string;
  url: string | undefined;
  line: number;
  hitBreakpoints: string[];
}

/** The next Debugger.paused, described. */
export async function nextPause(cdp: Cdp): Promise<PausedAt> {
  const paused = await cdp.next('Debugger.paused');
  const frame = (paused.callFrames as Array<{ callFrameId: string; location: { scriptId: string; lineNumber: number } }>)[0]!;
  return {
    callFrameId: frame.callFrameId,
    url: cdp.scripts.get(frame.location.scriptId),
    line: frame.location.lineNumber + 1,
    hitBreakpoints: (paused.hitBreakpoints as string[] | undefined) ?? [],
  };
}

/**
 * Attaches to the inspector on `port` (waiting for it to listen), sets a breakpoint on `line`
 * (1-based) of `fileUrl`, lets an --inspect-brk runtime go, and resumes every pause before the
 * breakpoint's. Resolves with the client paused at the breakpoint.
 */
export async function attachAndBreak(port: number, fileUrl: string, line: number): Promise<{ cdp: Cdp; at: PausedAt }> {
  const cdp = await Cdp.connect(await inspectorUrl(port));
  await cdp.send('Runtime.enable');
  await cdp.send('Debugger.enable');
  const bp = await cdp.send('Debugger.setBreakpointByUrl', { url: fileUrl, lineNumber: line - 1, columnNumber: 0 });
  await cdp.send('Runtime.runIfWaitingForDebugger');
  for (;;) {
    const at = await nextPause(cdp);
    if (at.hitBreakpoints.includes(bp.breakpointId as string)) return { cdp, at };
    await cdp.send('Debugger.resume'); // --inspect-brk's break on start, before the handler
  }
}
