// What to do after the function's init failed under `invoke`, `serve` or `watch`: the runtime
// prints its own init error (Runtime.UserCodeSyntaxError, Runtime.ImportModuleError, as Lambda
// logs it), which names what Node refused but not why here nor what to change. `package` already
// explains these failures (package/init-failure.ts); the same explanation is printed after a local
// init error, for the cases where it is about the source rather than about what a zip holds: the
// TypeScript Node's type stripping cannot run (`enum`, parameter properties, namespaces),
// an extensionless relative import in a .ts file, an ES module loaded as CommonJS, a native addon
// built for another Node. A missing module is left to Node's own message (it names the module).
import { explainInitFailure } from './package/init-failure.ts';

/** Said after each explanation: the local commands run the folder as Lambda runs the zip. */
const LOCALLY = '(invoke, serve and watch run the folder\'s files as they are, as Lambda runs the zip\'s)';

/**
 * The explanation of an init error `errorType`/`errorMessage` reported by the function in
 * `taskRoot` (its handler `handler`), or undefined when there is nothing to add to the runtime's
 * own message. One line, without a prefix.
 */
export function localInitHint(errorType: string, errorMessage: string, taskRoot: string, handler: string): string | undefined {
  const { loadFailure, message } = explainInitFailure(errorType, errorMessage, taskRoot, handler);
  // Not explained (the runtime's message repeated), or explained in terms of the zip's contents.
  if (!loadFailure || message.startsWith(`${errorType}: `) || message.includes(' in the zip') || message.includes(' not in the zip')) return undefined;
  return `${message} ${LOCALLY}`;
}

/** The emulator's onInitError, and `forget()`: the next init error is explained even if it is the last one again. */
export interface InitHintReporter {
  (error: { errorType: string; errorMessage: string }): void;
  forget(): void;
}

/**
 * The emulator's onInitError for the function in `taskRoot`: each explanation goes to `log` as
 * `lambda-bootstrap: init failed: …`, once while the same error repeats (serve retries init with
 * every invocation); `watch` calls forget() at each save, after which it is said again.
 */
export function initHintReporter(taskRoot: string, handler: string, log: (line: string) => void): InitHintReporter {
  let last: string | undefined;
  const report = ({ errorType, errorMessage }: { errorType: string; errorMessage: string }): void => {
    const hint = localInitHint(errorType, errorMessage, taskRoot, handler);
    if (hint === undefined || hint === last) return;
    last = hint;
    log(`lambda-bootstrap: init failed: ${hint}`);
  };
  return Object.assign(report, {
    forget: (): void => {
      last = undefined;
    },
  });
}
