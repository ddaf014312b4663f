// `serve` and `watch` from the first runtime to the tool's exit, as Lambda runs a sandbox: the
// runtime starts at once (its init error, if any, shows before the first request), and Ctrl-C or
// SIGTERM ends it with Lambda's shutdown sequence (Emulator.shutdown(), the one the emulator CLI
// uses: the function's SIGTERM listener runs), printed as one line, then the tool exits 0.
import type { Emulator, LocalServer } from '../../emulator/index.ts';
import { shutdownLine, whenAborted } from '../../emulator/index.ts';
import { stopSignal } from './stop-signals.ts';
import type { RuntimeWatcher } from './watch.ts';

export interface ServeParts {
  emulator: Emulator;
  server: LocalServer;
  /** `watch`'s file watcher; started here, closed before the runtime is shut down. */
  watcher: RuntimeWatcher | undefined;
  log: (line: string) => void;
}

/** Starts the runtime (and the watcher), resolves once a stop signal has shut everything down. */
export async function serveUntilStopped({ emulator, server, watcher, log }: ServeParts): Promise<void> {
  const stop = stopSignal();
  try {
    const ready = (async () => {
      await watcher?.start();
      try {
        await emulator.spawn();
        await emulator.waitForNext();
        log('lambda-bootstrap: runtime ready');
      } catch (error) {
        log(`lambda-bootstrap: the runtime failed its init (${(error as Error).message}); invokes answer with its init error${watcher === undefined ? '' : '; save a fix to restart it'}`);
      }
    })();
    // A stop during a slow init does not wait for it.
    const signal = await Promise.race([ready.then(() => whenAborted(stop.signal)), whenAborted(stop.signal)]);
    await watcher?.close();
    await server.close();
    log(shutdownLine('lambda-bootstrap', signal, await emulator.shutdown()));
    await emulator.stop();
  } finally {
    stop.dispose();
  }
}
