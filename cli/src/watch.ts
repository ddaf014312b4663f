// `lambda-bootstrap watch`: serve the function and start a fresh runtime whenever a file in the
// task root changes, like `cargo lambda watch`. Changes are debounced (an editor's save is several
// events; `git checkout` and `npm install` are hundreds): one restart for a burst, its log line
// naming the files; the new runtime is started at once, so a syntax error shows as its init error
// straight away (and the next invoke answers with it, as Lambda would), and the next save starts
// another. Invocations already running when a change lands finish against the old process only if
// they end before it is stopped: a restart is a new sandbox.
//
// The watcher is chokidar 4, chosen by measurement (bench/watchers/save-styles.ts, table in
// docs/local-development.md): Node's own recursive fs.watch loses the file after a rename-style
// save (sed -i, cp over, an editor's write-then-rename, git checkout) and then misses later in-place
// writes too; chokidar 4 and @parcel/watcher saw every save of every style; chokidar is plain
// JavaScript (no per-platform binary in the package) and reports a save sooner.
import { relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { watch } from 'chokidar';
import type { FSWatcher } from 'chokidar';
import type { Emulator } from '../../emulator/index.ts';

export interface WatcherOptions {
  /** Quiet time after the last change before the restart, in ms. */
  debounceMs: number;
  /** Folders (absolute) whose changes are ignored, e.g. the tool's output folder. */
  ignore: string[];
  log: (line: string) => void;
}

// Editors' temporary files: vim's swap files and its write test (4913), backups, emacs locks.
const EDITOR_NOISE = /(^|\/)(\.[^/]*\.sw[a-p]x?|4913|[^/]*~|\.#[^/]*)$/;
// How many changed paths a restart's log line names before "and N more".
const NAMED_PATHS = 3;

export class RuntimeWatcher {
  private readonly emulator: Emulator;
  private readonly root: string;
  private readonly options: WatcherOptions;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  /** Paths (relative, /-separated) changed since the last restart began, in order of first change. */
  private changed = new Set<string>();
  private changedAtMs = 0;
  private restartCount = 0;

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
   * the tree has been read, so that a save from then on is seen. */
  async start(): Promise<void> {
    const watcher = watch(this.root, {
      ignoreInitial: true,
      ignored: (path: string) => this.ignored(path),
    });
    this.watcher = watcher;
    watcher.on('all', (_event, path) => this.onChange(path));
    // Typically too many folders for inotify (ENOSPC: fs.inotify.max_user_watches) or open files:
    // the watch is then incomplete, and saying so beats serving old code in silence.
    watcher.on('error', (error) => {
      const code = (error as NodeJS.ErrnoException).code;
      const hint = code === 'ENOSPC' ? ' (raise fs.inotify.max_user_watches, e.g. sysctl fs.inotify.max_user_watches=524288)' : '';
      this.options.log(`watch: cannot watch everything under ${this.root}: ${(error as Error).message}${hint}; changes there may be missed`);
    });
    await new Promise<void>((ready) => watcher.once('ready', ready));
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.watcher?.close();
    await this.restarting;
  }

  private onChange(path: string): void {
    if (this.changed.size === 0 && this.timer === undefined) this.changedAtMs = performance.now();
    this.changed.add(relative(this.root, path).split(sep).join('/'));
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
    const paths = [...this.changed];
    const changedAt = this.changedAtMs;
    this.changed = new Set();
    this.restarting = this.restartNow(paths, changedAt).finally(() => {
      this.restarting = undefined;
      if (this.changed.size > 0 && this.timer === undefined && this.watcher !== undefined) this.restart();
    });
  }

  private async restartNow(paths: string[], changedAt: number): Promise<void> {
    this.options.log(`watch: files changed: ${describePaths(paths)}: starting a new runtime`);
    await this.emulator.shutdown();
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
