// Watches a runtime started with Node's inspector (the npm tool's --inspect / --inspect-brk) for
// the times a debugger holds it, and drives its PauseClock (emulator/pause-clock.ts), so that the
// function timeout and the init limit are suspended while paused, not switched off (issue 24).
//
// How: Node's inspector accepts several sessions at once (VS Code or Chrome DevTools is one, this
// is another), and every session with the Debugger domain enabled is told Debugger.paused and
// Debugger.resumed whichever session set the breakpoint. The observer connects to the WebSocket
// the runtime announces on its stderr ("Debugger listening on ws://…", exact for this process,
// unlike a port another process may hold), enables the Debugger domain and turns its own
// breakpoints off (Debugger.setBreakpointsActive false): V8 honours `debugger;` statements and
// breakpoints only while some session has them active, so the observer alone never stops the
// function. NodeRuntime.enable says whether --inspect-brk still waits for a debugger;
// NodeRuntime.notifyWhenWaitingForDisconnect lets the observer leave when the process ends, so a
// runtime that exits is not held by Node's "Waiting for the debugger to disconnect...".
// The protocol is spoken over Node's global WebSocket: a few messages, no library needed.
import type { PauseClock } from './pause-clock.ts';

const LISTENING = /Debugger listening on (ws:\/\/\S+)/;
const NOT_LISTENING = /Starting inspector on \S+ failed/;
/** How much of the runtime's first stderr is searched for the inspector's line. */
const SCAN_LIMIT_CHARS = 64 * 1024;

interface Message {
  id?: number;
  method?: string;
  error?: { message?: string };
}

export class DebuggerObserver {
  private readonly clock: PauseClock;
  private readonly note: (line: string) => void;
  private scanned = '';
  private scanning = true;
  private socket: WebSocket | undefined;
  private closed = false;
  private sawWaiting = false;

  /** `note` gets one line when the debugger cannot be observed (then the clock stays held). */
  constructor(clock: PauseClock, note: (line: string) => void) {
    this.clock = clock;
    this.note = note;
  }

  /** The runtime's stderr, as it arrives: the inspector's line starts the observation. */
  feed(text: string): void {
    if (!this.scanning) return;
    this.scanned += text;
    const url = LISTENING.exec(this.scanned)?.[1];
    if (url !== undefined) {
      this.scanning = false;
      this.scanned = '';
      this.connect(url);
    } else if (NOT_LISTENING.test(this.scanned)) {
      // No inspector (its port is taken; Node says so and runs on): nothing can hold the runtime.
      this.scanning = false;
      this.scanned = '';
      this.clock.set('waiting', false);
    } else if (this.scanned.length > SCAN_LIMIT_CHARS) {
      this.scanning = false;
      this.scanned = '';
      this.unobserved("the runtime's stderr did not name the inspector's address");
    }
  }

  /** Leaves the inspector (the runtime process ended or is being replaced). */
  close(): void {
    this.closed = true;
    this.scanning = false;
    this.socket?.close();
  }

  private connect(url: string): void {
    if (this.closed) return;
    if (typeof WebSocket !== 'function') {
      this.unobserved('this Node.js has no WebSocket client (Node.js 22 or later has)');
      return;
    }
    const socket = new WebSocket(url);
    this.socket = socket;
    let opened = false;
    let nextId = 1;
    const send = (method: string, params: Record<string, unknown> = {}): number => {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return id;
    };
    let runtimeEnable = 0;
    socket.addEventListener('open', () => {
      opened = true;
      runtimeEnable = send('NodeRuntime.enable');
      send('NodeRuntime.notifyWhenWaitingForDisconnect', { enabled: true });
      send('Debugger.enable');
      send('Debugger.setBreakpointsActive', { active: false });
    });
    socket.addEventListener('message', (event) => {
      let message: Message;
      try {
        message = JSON.parse(String(event.data)) as Message;
      } catch {
        return;
      }
      switch (message.method) {
        case 'Debugger.paused':
          this.clock.set('waiting', false);
          this.clock.set('paused', true);
          return;
        case 'Debugger.resumed':
          this.clock.set('paused', false);
          return;
        case 'NodeRuntime.waitingForDebugger':
          this.sawWaiting = true;
          return;
        case 'NodeRuntime.waitingForDisconnect':
          socket.close();
          return;
      }
      // NodeRuntime.enable announces a waiting runtime before it answers: no announcement, no wait.
      if (message.id === runtimeEnable && !this.sawWaiting) this.clock.set('waiting', false);
    });
    socket.addEventListener('error', () => {
      if (!opened && !this.closed) this.unobserved(`cannot connect to the inspector at ${url}`);
    });
    socket.addEventListener('close', () => {
      // Whoever closed the inspector (the process ended, or its code called inspector.close()),
      // no debugger holds the runtime any more.
      if (opened) {
        this.clock.set('paused', false);
        this.clock.set('waiting', false);
      }
    });
  }

  private unobserved(why: string): void {
    this.clock.set('unobserved', true);
    this.note(`lambda-bootstrap: ${why}: the time a debugger holds the runtime cannot be told apart, so no timeout is enforced for this runtime process`);
  }
}
