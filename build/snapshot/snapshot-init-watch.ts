// The recorder's eye on the handler's init (init at build; build/snapshot/snapshot-init.ts decides): every
// async resource made while init and its before-snapshot hooks run (async_hooks, with the stack
// that made it), and every file descriptor opened (/proc/self/fd before and after, the stack of
// fs.open/openSync/promises.open that returned it); what is still open once the hooks are done is
// what the snapshot could not hold. Places are mapped through the bundle's source map to the
// function's own files. Hand-written: nothing on npm records where a process's handles were made.
import { createHook } from 'node:async_hooks';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type * as Fs from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { InitResource, SourcePlace } from './snapshot-init.ts';

/** Node's async resource types that are a handle a heap snapshot cannot hold, by what they are. */
const HANDLE_KINDS: Record<string, InitResource['kind']> = {
  Timeout: 'timer',
  TCPWRAP: 'socket',
  TCPCONNECTWRAP: 'socket',
  TLSWRAP: 'socket',
  UDPWRAP: 'socket',
  PIPEWRAP: 'socket',
  PIPECONNECTWRAP: 'socket',
  TCPSERVERWRAP: 'server',
  PIPESERVERWRAP: 'server',
  PROCESSWRAP: 'child process',
  FILEHANDLE: 'file',
  FSEVENTWRAP: 'file watcher',
  STATWATCHER: 'file watcher',
  SIGNALWRAP: 'signal listener',
};

/** Maps a bundle's line and column to the function's source, via `<bundle>.map` when it exists. */
export function placeMapper(bundlePath: string): (line: number, column: number) => SourcePlace | undefined {
  const mapFile = `${bundlePath}.map`;
  if (!existsSync(mapFile)) return () => undefined;
  const map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
  return (line, column) => {
    const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined;
    // Sources are relative to the map's folder (esbuild writes them so), or file: URLs.
    const source = entry.originalSource.startsWith('file:') ? new URL(entry.originalSource).pathname : resolve(dirname(mapFile), entry.originalSource);
    return { file: source, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
  };
}

/** The innermost frame of `stack` in the bundle, as [line, column]. */
export function bundleFrame(stack: string, bundlePath: string): [number, number] | undefined {
  for (const line of stack.split('\n')) {
    const at = line.indexOf(`${bundlePath}:`);
    if (at === -1) continue;
    const [l, c] = line.slice(at + bundlePath.length + 1).split(':').map((n) => Number.parseInt(n, 10));
    if (Number.isInteger(l) && Number.isInteger(c)) return [l!, c!];
  }
  return undefined;
}

function openFds(): Map<number, string> {
  const fds = new Map<number, string>();
  try {
    for (const name of readdirSync('/proc/self/fd')) {
      try {
        fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
      } catch {
        // Closed between the listing and the link (readdirSync's own descriptor).
      }
    }
  } catch {
    // Not Linux: the async resources are still watched.
  }
  return fds;
}

export interface InitWatch {
  /** What is still open, made since start(); call once init and its hooks are done. */
  stop(): InitResource[];
}

/** Starts watching; `fs` is the module object the bundle's require() hands out. */
export function watchInit(bundlePath: string, fs: typeof Fs): InitWatch {
  // Node makes process.stdout and stderr on first use (a pipe's handle): init's first console.log
  // would look like a socket it opened. They are the process's own, in the builder as at start.
  void process.stdout;
  void process.stderr;
  const placeOf = placeMapper(bundlePath);
  const where = (stack: string): SourcePlace | undefined => {
    const frame = bundleFrame(stack, bundlePath);
    return frame === undefined ? undefined : placeOf(frame[0], frame[1]);
  };
  const stackLimit = Error.stackTraceLimit;
  // The user's frame can be deep under Node's own (setInterval → Timeout → emitInit → the hook).
  Error.stackTraceLimit = 64;
  const live = new Map<number, { type: string; resource: object; stack: string }>();
  // Every resource's stack and trigger: a handle made in a callback (server.listen() binds after a
  // DNS lookup, in a later tick) has no frame of the function's code itself, but the resource that
  // triggered it has (or its trigger, and so on).
  const made = new Map<number, { stack: string; trigger: number }>();
  const hook = createHook({
    init(asyncId, type, trigger, resource) {
      const stack = new Error().stack ?? '';
      made.set(asyncId, { stack, trigger });
      if (HANDLE_KINDS[type] !== undefined) live.set(asyncId, { type, resource, stack });
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  }).enable();
  const whereMade = (asyncId: number, stack: string): SourcePlace | undefined => {
    let id: number | undefined = asyncId;
    let current = stack;
    for (let hops = 0; hops < 32; hops++) {
      const found = where(current);
      if (found !== undefined || id === undefined) return found;
      const trigger: number | undefined = made.get(id)?.trigger;
      const parent = trigger === undefined ? undefined : made.get(trigger);
      if (parent === undefined) return undefined;
      id = trigger;
      current = parent.stack;
    }
    return undefined;
  };

  const fdsBefore = openFds();
  const opened = new Map<number, string>();
  const originalOpenSync = fs.openSync;
  const originalOpen = fs.open;
  const originalPromisesOpen = fs.promises.open;
  fs.openSync = function openSync(this: unknown, ...args: Parameters<typeof Fs.openSync>) {
    const fd = originalOpenSync.apply(this, args);
    opened.set(fd, new Error().stack ?? '');
    return fd;
  } as typeof Fs.openSync;
  fs.open = function open(this: unknown, ...args: unknown[]) {
    const stack = new Error().stack ?? '';
    const callback = args.pop() as (error: Error | null, fd?: number) => void;
    return (originalOpen as (...a: unknown[]) => void).apply(this, [
      ...args,
      (error: Error | null, fd?: number) => {
        if (fd !== undefined) opened.set(fd, stack);
        callback(error, fd);
      },
    ]);
  } as typeof Fs.open;
  fs.promises.open = async function open(this: unknown, ...args: Parameters<typeof Fs.promises.open>) {
    const stack = new Error().stack ?? '';
    const handle = await originalPromisesOpen.apply(this, args);
    opened.set(handle.fd, stack);
    return handle;
  } as typeof Fs.promises.open;

  return {
    stop() {
      hook.disable();
      Error.stackTraceLimit = stackLimit;
      fs.openSync = originalOpenSync;
      fs.open = originalOpen;
      fs.promises.open = originalPromisesOpen;
      const left: InitResource[] = [];
      for (const [asyncId, { type, resource, stack }] of live) {
        // A timer that fired or was cleared is destroyed asynchronously; one not yet destroyed but
        // done (no repeat, already called) is not open. hasRef is on every Timeout.
        if (type === 'Timeout' && (resource as { _destroyed?: boolean })._destroyed === true) continue;
        const detail = type === 'Timeout' ? ((resource as { _repeat?: unknown })._repeat != null ? 'setInterval' : 'setTimeout') : type;
        left.push({ kind: HANDLE_KINDS[type]!, detail, where: whereMade(asyncId, stack) });
      }
      // File descriptors that are files (sockets and pipes are reported above as handles).
      for (const [fd, target] of openFds()) {
        if (fdsBefore.get(fd) === target || !target.startsWith('/')) continue;
        left.push({ kind: 'file', detail: `fd ${fd}: ${target}`, where: where(opened.get(fd) ?? '') });
      }
      return left;
    },
  };
}
