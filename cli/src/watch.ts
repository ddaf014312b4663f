// `lambda-bootstrap watch`: serve the function and start a fresh runtime whenever a file in the
// task root changes, like `cargo lambda watch`. Changes are debounced (an editor's save is several
// events; `npm install` is thousands); the new runtime is started at once, so a syntax error shows
// as its init error straight away (and the next invoke answers with it, as Lambda would), and the
// next save starts another. Invocations already running when a change lands finish against the
// old process only if they end before it is stopped: a restart is a new sandbox.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
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

export class RuntimeWatcher {
  private readonly emulator: Emulator;
  private readonly root: string;
  private readonly options: WatcherOptions;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  private again = false;
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

  start(): void {
    // Recursive watching is inotify per folder on Linux (Node >= 20); one watcher covers the tree.
    this.watcher = watch(this.root, { recursive: true }, (_event, filename) => {
      if (filename === null || this.ignored(filename.toString())) return;
      if (this.timer === undefined) this.changedAtMs = performance.now();
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.restart();
      }, this.options.debounceMs);
    });
    this.watcher.on('error', (error) => this.options.log(`watch: stopped watching ${this.root}: ${error.message}`));
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    await this.restarting;
  }

  private ignored(filename: string): boolean {
    const path = resolve(this.root, filename);
    if (this.options.ignore.some((dir) => path === dir || path.startsWith(dir + sep))) return true;
    const rel = relative(this.root, path).split(sep).join('/');
    return rel.split('/').includes('.git') || EDITOR_NOISE.test(rel);
  }

  private restart(): void {
    if (this.restarting !== undefined) {
      this.again = true;
      return;
    }
    const changedAt = this.changedAtMs;
    this.restarting = this.restartNow(changedAt).finally(() => {
      this.restarting = undefined;
      if (this.again) {
        this.again = false;
        this.changedAtMs = performance.now();
        this.restart();
      }
    });
  }

  private async restartNow(changedAt: number): Promise<void> {
    this.options.log('watch: files changed: starting a new runtime');
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
