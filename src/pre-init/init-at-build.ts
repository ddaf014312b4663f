// Init at build, for a snapshot executable (issue 25 part 2; docs/pre-initialised.md, "Init at
// build"): SnapStart's semantics without SnapStart. The handler module's init runs once, while the
// executable is built; `awslambda.registerBeforeSnapshot` hooks run after it, before V8 serialises
// the heap; every start deserialises that heap and runs the `awslambda.registerAfterRestore` hooks
// before the handler is handed to the runtime. This file is the part both sides share: the hook
// lists of the build (the runtime itself is compiled into the snapshot but does not run at build,
// so its own awslambda global does not exist yet) and running them.
// Order and failure types as in src/pre-init/snapstart.ts (AWS's awslambdaric: before-snapshot in
// reverse registration order, after-restore in registration order; Runtime.BeforeSnapshotError,
// Runtime.AfterRestoreError).

export type BuildHook = () => unknown;

/** The hooks the handler's init registered at build. */
export interface BuildHooks {
  beforeSnapshot: BuildHook[];
  afterRestore: BuildHook[];
}

export const BEFORE_SNAPSHOT_ERROR = 'Runtime.BeforeSnapshotError';
export const AFTER_RESTORE_ERROR = 'Runtime.AfterRestoreError';

/** A hook's failure, named by its Runtime.* type so that the runtime reports it as that errorType. */
export class HookError extends Error {
  constructor(type: string, cause: unknown) {
    const inner = cause instanceof Error ? `${cause.name}: ${cause.message}` : `${typeof cause}: ${String(cause)}`;
    super(inner, { cause });
    Object.defineProperty(this, 'name', { value: type, writable: true, configurable: true });
    if (cause instanceof Error && typeof cause.stack === 'string') this.stack = cause.stack;
  }
}

function checked(hook: unknown, what: string): BuildHook {
  if (typeof hook !== 'function') throw new TypeError(`awslambda.${what} expects a function (it may return a promise), got ${hook === null ? 'null' : typeof hook}`);
  return hook as BuildHook;
}

/**
 * Before the handler's init runs at build: `globalThis.awslambda` (created if missing, as the
 * runtime does; kept and extended if a dependency made it) gets registerBeforeSnapshot and
 * registerAfterRestore collecting into the returned lists. At start the runtime replaces both
 * members with its own (src/aws-lambda-global.ts), so hooks registered after init go where they
 * go under dist/bootstrap. `installGlobal: false` mirrors AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA.
 */
export function installBuildHooks(installGlobal: boolean): BuildHooks {
  const hooks: BuildHooks = { beforeSnapshot: [], afterRestore: [] };
  if (!installGlobal) return hooks;
  const existing: unknown = (globalThis as { awslambda?: unknown }).awslambda;
  const awslambda = (typeof existing === 'object' && existing !== null ? existing : {}) as Record<string, unknown>;
  awslambda.registerBeforeSnapshot = <T extends BuildHook>(hook: T): T => {
    hooks.beforeSnapshot.push(checked(hook, 'registerBeforeSnapshot'));
    return hook;
  };
  awslambda.registerAfterRestore = <T extends BuildHook>(hook: T): T => {
    hooks.afterRestore.push(checked(hook, 'registerAfterRestore'));
    return hook;
  };
  (globalThis as { awslambda?: unknown }).awslambda = awslambda;
  return hooks;
}

/** Runs the before-snapshot hooks, last registered first; resolves with the failure (a HookError) or undefined. */
export async function runBeforeSnapshotHooks(hooks: BuildHooks): Promise<HookError | undefined> {
  for (const hook of [...hooks.beforeSnapshot].reverse()) {
    try {
      await hook();
    } catch (error) {
      return new HookError(BEFORE_SNAPSHOT_ERROR, error);
    }
  }
  return undefined;
}

/**
 * The start's side: runs the after-restore hooks once, in registration order, each awaited (the
 * runtime import()s every handler file, a CommonJS one too, so the module handed to it can wait),
 * and rejects with a HookError (`Runtime.AfterRestoreError`) for the first that fails.
 */
export function afterRestoreRunner(hooks: BuildHooks): { async: () => Promise<void> } {
  let done: Promise<void> | undefined;
  return {
    async: () =>
      (done ??= (async () => {
        for (const hook of hooks.afterRestore) {
          try {
            await hook();
          } catch (error) {
            throw new HookError(AFTER_RESTORE_ERROR, error);
          }
        }
      })()),
  };
}
