// The function's memory as Lambda gives it: a memory cgroup of `--memory` MB around the runtime.
// In a Lambda sandbox the function's memory is the cgroup's limit, and the binary sizes V8's heap
// from it (old space 96 %, its baked --max-old-space-size-percentage=96, the managed runtime's
// M - M/25; docs/binary.md#heap-sizing); the kernel kills the sandbox at the limit and Lambda
// reports Runtime.OutOfMemory. A heap flag from outside cannot do this: the binary's baked flag
// wins over NODE_OPTIONS. So where the tool may create a memory cgroup (root, cgroup v1 or a
// writable v2 hierarchy, as in CI containers) the runtime runs in one; elsewhere the emulator's
// RSS watchdog alone enforces --memory and the heap is sized from the machine
// (docs/differences.md#tool-heap-size).
//
// Hand-written, with a reason: it is a handful of writes to cgroupfs files; the npm packages for
// cgroups wrap systemd or need native code, neither of which this needs.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  /** The group's folder under cgroupfs. */
  dir: string;
  /** `command args` run inside the group: /bin/sh joins it, then execs the command (same pid). */
  wrap(command: string, args: string[]): { command: string; args: string[] };
  /** For EmulatorOptions.killedAtMemoryLimit: true when the kernel OOM-killed in the group since the last call. */
  killedAtLimit(): boolean;
  /** Removes the group (its processes must have exited); also done at the tool's exit. */
  remove(): void;
}

export type MemorySandbox = { kind: 'cgroup'; group: MemoryCgroup } | { kind: 'unavailable'; reason: string };

/** A cgroup hierarchy where a memory group can be made: its folder, the limit and OOM files. */
interface Hierarchy {
  base: string;
  limitFile: string;
  swapFile: string;
  /** The file with the `oom_kill <n>` line. */
  eventsFile: string;
  /** Whether a child group there gets the memory controller. */
  ready?: () => boolean;
}

function hierarchies(root: string): Hierarchy[] {
  return [
    // cgroup v1's memory controller (memory.memsw.* exists only with swap accounting).
    { base: join(root, 'memory'), limitFile: 'memory.limit_in_bytes', swapFile: 'memory.memsw.limit_in_bytes', eventsFile: 'memory.oom_control' },
    // cgroup v2 with the memory controller already enabled for children (never switched on here:
    // that would change the machine's settings).
    {
      base: root,
      limitFile: 'memory.max',
      swapFile: 'memory.swap.max',
      eventsFile: 'memory.events',
      ready: () => readFileSync(join(root, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory'),
    },
  ];
}

// Groups made by this process so far: each call gets its own group.
let groupsMade = 0;

/** `oom_kill <n>` from memory.oom_control (v1, Linux >= 4.13) or memory.events (v2); undefined if absent. */
export function oomKills(eventsText: string): number | undefined {
  const match = /^oom_kill (\d+)$/m.exec(eventsText);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * A memory cgroup limited to `limitMb` MiB (swap 0, as Lambda has none), named for this process and call,
 * removed at exit. Errors: none thrown; `unavailable` with the reason (typically EACCES/EROFS: not
 * root and no delegated cgroup v2, or a kernel without the oom_kill counter).
 */
export function memorySandbox(limitMb: number, root = '/sys/fs/cgroup'): MemorySandbox {
  const reasons: string[] = [];
  for (const hierarchy of hierarchies(root)) {
    const dir = join(hierarchy.base, `lambda-bootstrap-${process.pid}-${++groupsMade}`);
    let made = false;
    try {
      readFileSync(join(hierarchy.base, 'cgroup.procs'));
      if (hierarchy.ready?.() === false) throw new Error('the memory controller is not enabled for child groups');
      mkdirSync(dir, { recursive: true });
      made = true;
      writeFileSync(join(dir, hierarchy.limitFile), String(limitMb * 1024 * 1024));
      try {
        writeFileSync(join(dir, hierarchy.swapFile), hierarchy.swapFile.endsWith('.max') ? '0' : String(limitMb * 1024 * 1024));
      } catch {
        // no swap accounting: without swap the limit is the same
      }
      const events = (): number | undefined => oomKills(readFileSync(join(dir, hierarchy.eventsFile), 'utf8'));
      if (events() === undefined) throw new Error(`${hierarchy.eventsFile} has no oom_kill counter (Linux < 4.13)`);
      return { kind: 'cgroup', group: group(dir, () => events() ?? 0) };
    } catch (error) {
      if (made) removeDir(dir);
      reasons.push(`${hierarchy.base}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return { kind: 'unavailable', reason: `no memory cgroup could be made (${reasons.join('; ')}); it needs root or a delegated cgroup v2` };
}

function group(dir: string, kills: () => number): MemoryCgroup {
  let seen = kills();
  const remove = (): void => removeDir(dir);
  process.once('exit', remove);
  return {
    dir,
    wrap: (command, args) => ({
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$1" && shift && exec "$@"', 'sh', join(dir, 'cgroup.procs'), command, ...args],
    }),
    killedAtLimit: () => {
      const now = kills();
      const killed = now > seen;
      seen = now;
      return killed;
    },
    remove: () => {
      process.off('exit', remove);
      remove();
    },
  };
}

/** rmdir of a cgroup, retried briefly while its last process is still being reaped. */
function removeDir(dir: string): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}
