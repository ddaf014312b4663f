// `lambda-bootstrap watch`: serve the function and start a fresh runtime whenever a file in the
// task root changes, like `cargo lambda watch`. Changes are debounced (an editor's save is several
// events; `git checkout` and `npm install` are hundreds): one restart for a burst, its log line
// naming the files; the new runtime is started at once, so a syntax error shows as its init error
// straight away (and the next invoke answers with it, as Lambda would), and the next save starts
// another. Invocations already running when a change lands finish against the old process only if
// they end before it is stopped: a restart is a new sandbox.
//
// The watcher is @parcel/watcher, chosen by measurement (bench/watchers/save-styles.ts, tables in
// docs/local-development.md): Node's own recursive fs.watch loses the file after a rename-style
// save (sed -i, cp over, an editor's write-then-rename, git checkout) and then misses later in-place
// writes too; chokidar 4, chokidar 5 and @parcel/watcher saw every save of every style, but on a
// node_modules of 19,200 files chokidar took 5-8 s and 100-200 MB more to be ready, @parcel/watcher
// under 300 ms (native, its prebuilt binary an optional dependency per platform: no install script).
import { unwatchFile, watchFile } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AsyncSubscription } from '@parcel/watcher';
import type { Emulator } from '../../emulator/index.ts';

export interface WatcherOptions {
  /** Quiet time after the last change before the restart, in ms. */
  debounceMs: number;
  /** Folders (absolute) whose changes are ignored, e.g. the tool's output folder. */
  ignore: string[];
  log: (line: string) => void;
  /** Files outside the task root (absolute) whose change restarts too: the --env-file files. */
  alsoWatch?: string[];
  /** Runs before each new runtime starts (re-reads the --env-file files); an Error it throws is
   * logged and the runtime starts with what it had. */
  beforeRestart?: () => void;
}

// Editors' temporary files: vim's swap files and its write test (4913), backups, emacs locks.
const EDITOR_NOISE = /(^|\/)(\.[^/]*\.sw[a-p]x?|4913|[^/]*~|\.#[^/]*)$/;
// How many changed paths a restart's log line names before "and N more".
const NAMED_PATHS = 3;

export class RuntimeWatcher {
  private readonly emulator: Emulator;
  private readonly root: string;
  private readonly options: WatcherOptions;
  private watcher: AsyncSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  /** Paths (relative, /-separated) changed since the last restart began, in order of first change;
   * true for one this burst created, so that a temporary file that came and went (sed -i's
   * sedXXXXXX, an editor's write-then-rename) is dropped instead of named. */
  private changed = new Map<string, boolean>();
  private changedAtMs = 0;
  private restartCount = 0;
  private closed = false;
  /** The alsoWatch files polled with fs.watchFile (those outside the task root). */
  private polled: string[] = [];

  constructor(emulator: Emulator, taskRoot: string, options: WatcherOptions) {
    this.emulator = emulator;
    this.root = resolve(taskRoot);
    this.options = options;
  }

  /** Restarts completed so far. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Watches the task root (node_modules included: a new dependency restarts too); resolves once
   * the watch is in place, so that a save from then on is seen. A watch that cannot be set up (no
   * build of the watcher for this platform, inotify's limits) is logged, and serving goes on. */
  async start(): Promise<void> {
    // Loaded here, not at the tool's start: a platform without its prebuilt binary loses `watch`, not every command.
    let subscribe: typeof import('@parcel/watcher').subscribe;
    try {
      ({ subscribe } = await import('@parcel/watcher'));
    } catch (error) {
      this.options.log(`watch: cannot watch files on this platform (${(error as Error).message}); serving without restarts`);
      return;
    }
    // Folders not to watch at all (the tool's output, .git); single files are filtered per event.
    const skip = [...this.options.ignore, resolve(this.root, '.git')];
    try {
      this.watcher = await subscribe(
        this.root,
        (error, events) => {
          if (this.closed) return; // a batch already on its way when close() ran
          if (error !== null) this.watchError(error);
          for (const event of events) if (!this.ignored(event.path)) this.onChange(event.path, event.type);
        },
        // inotify on Linux, what was measured (with watchman installed the default would be watchman,
        // a daemon of its own); the platform's default elsewhere (FSEvents, Windows' API).
        { ignore: skip, ...(process.platform === 'linux' ? { backend: 'inotify' as const } : {}) },
      );
    } catch (error) {
      this.watchError(error as Error);
    }
    this.pollOutsideFiles();
  }

  /** A dotenv file beside the project (../.env) would need a recursive watch of its whole folder,
   * node_modules and all; a stat poll of the file alone sees every save style (a rename-style save
   * changes its inode and mtime) at the cost of one stat per file per interval. */
  private pollOutsideFiles(): void {
    for (const file of this.options.alsoWatch ?? []) {
      const path = resolve(file);
      if (path.startsWith(this.root + sep)) continue; // the task root's watch sees it
      watchFile(path, { interval: 300, persistent: false }, (now, before) => {
        if (!this.closed && (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size)) this.onChange(path, 'update');
      });
      this.polled.push(path);
    }
  }

  /** Typically too many folders for inotify (fs.inotify.max_user_watches) or open files: the watch
   * is then missing or incomplete, and saying so beats serving old code in silence. */
  private watchError(error: Error): void {
    const limit = /inotify|ENOSPC|watch/i.test(error.message) ? ' (if inotify ran out of watches: sysctl fs.inotify.max_user_watches=524288)' : '';
    this.options.log(`watch: cannot watch everything under ${this.root}: ${error.message}${limit}; changes there may be missed`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const path of this.polled) unwatchFile(path);
    this.polled = [];
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.unsubscribe();
    await this.restarting;
  }

  private onChange(path: string, type: 'create' | 'update' | 'delete'): void {
    if (this.changed.size === 0 && this.timer === undefined) this.changedAtMs = performance.now();
    const rel = relative(this.root, path).split(sep).join('/');
    const createdNow = this.changed.get(rel);
    if (type === 'delete' && createdNow === true) this.changed.delete(rel);
    else if (createdNow === undefined) this.changed.set(rel, type === 'create');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.restart();
    }, this.options.debounceMs);
  }

  private ignored(path: string): boolean {
    const absolute = resolve(this.root, path);
    if (this.options.ignore.some((dir) => absolute === dir || absolute.startsWith(dir + sep))) return true;
    const rel = relative(this.root, absolute).split(sep).join('/');
    return rel.split('/').includes('.git') || EDITOR_NOISE.test(rel);
  }

  private restart(): void {
    // A restart in progress takes the changes made meanwhile when it ends.
    if (this.restarting !== undefined) return;
    const paths = [...this.changed.keys()];
    const changedAt = this.changedAtMs;
    this.changed = new Map();
    if (paths.length === 0) return; // only files that came and went
    this.restarting = this.restartNow(paths, changedAt).finally(() => {
      this.restarting = undefined;
      if (this.changed.size > 0 && this.timer === undefined && !this.closed) this.restart();
    });
  }

  private async restartNow(paths: string[], changedAt: number): Promise<void> {
    this.options.log(`watch: files changed: ${describePaths(paths)}: starting a new runtime`);
    await this.emulator.shutdown();
    try {
      this.options.beforeRestart?.();
    } catch (error) {
      this.options.log(`watch: ${(error as Error).message}; the new runtime keeps the previous variables`);
    }
    try {
      // An invoke that arrived meanwhile may have started the new process already.
      if (this.emulator.pid === undefined) await this.emulator.spawn();
      await this.emulator.waitForNext();
      this.restartCount++;
      this.options.log(`watch: runtime ready ${(performance.now() - changedAt).toFixed(0)} ms after the change`);
    } catch (error) {
      this.restartCount++;
      this.options.log(`watch: the new runtime failed its init (${(error as Error).message}); the next invoke answers with its init error; save a fix to try again`);
    }
  }
}

/** `a.mjs`, `a.mjs, lib/b.mjs`, … `x, y, z and 37 more`. */
export function describePaths(paths: string[]): string {
  const named = paths.slice(0, NAMED_PATHS).map((p) => (p === '' ? '.' : p));
  const more = paths.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}
