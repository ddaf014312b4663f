// The function's own V8 code cache, shipped inside its zip or image by `make package` /
// build/compile-cache.ts, switched on before the handler loads so that module loading reuses code
// V8 compiled at packaging time instead of compiling it again in every cold start.
//
// Mechanism: Node's module compile cache (node:module enableCompileCache; its `portable` option,
// present in the pinned Node 24.21, keys each entry by the module's path relative to the cache
// directory, so the cache survives the move from the build machine to /var/task). Node checks
// every entry against the module's source hash and V8 checks its own version, flags and CPU
// features: an entry that does not match is rejected and the module compiles as usual. So a stale,
// foreign or corrupt cache costs a compile, never behaviour.

import { existsSync, readdirSync } from 'node:fs';
import { constants as moduleConstants, enableCompileCache, flushCompileCache } from 'node:module';
import { join } from 'node:path';

/** Where a packaged function keeps its cache, relative to the task root. */
export const COMPILE_CACHE_DIR = join('.lambda-bootstrap', 'compile-cache');

/**
 * Set only by the packaging step (build/compile-cache.ts): the absolute directory to write the
 * cache into. In this mode the runtime writes the cache after init and exits on SIGTERM so that
 * the modules loaded by a packaging invocation are written too.
 */
export const GENERATE_VARIABLE = 'LAMBDA_BOOTSTRAP_COMPILE_CACHE_GENERATE';

export type CompileCacheState =
  /** The packaged cache for this Node, V8 and user id was found and is in use. */
  | { kind: 'enabled'; directory: string }
  /** Packaging: writing a new cache into `directory`. */
  | { kind: 'generating'; directory: string }
  /** Nothing to do (no cache, no matching cache, or the user runs Node's own compile cache). */
  | { kind: 'off'; reason: string };

/**
 * The subdirectory Node 24 keeps entries in: `v<node>-<arch>-<V8 cached data tag, hex>-<uid>`
 * (GetCacheVersionTag in node's src/compile_cache.cc). The V8 tag covers V8's version, the V8 flags
 * that change code generation and the CPU features V8 detected; the uid is part of the name.
 * Node 26 leaves the uid out (`v26.12.1-x64-310b2ce3`, seen from the pinned 26.12.1).
 */
export function compileCacheTag(uid: number = process.getuid?.() ?? 0): string {
  // node:v8 is loaded only when a cache is there to be checked: most starts have none.
  const tag = process.getBuiltinModule('node:v8').cachedDataVersionTag().toString(16).padStart(8, '0');
  const withUid = Number(process.versions.node.slice(0, process.versions.node.indexOf('.'))) < 26;
  return `${process.version}-${process.arch}-${tag}${withUid ? `-${uid}` : ''}`;
}

/**
 * Call once, before the handler module loads. Returns what it did; never throws. Reads
 * NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE (Node's own settings win) and the generate
 * variable above.
 */
export function enableFunctionCompileCache(taskRoot: string, env: NodeJS.ProcessEnv): CompileCacheState {
  try {
    const generate = env[GENERATE_VARIABLE];
    // The variable is the packaging step's, not the function's: its children must not inherit it.
    delete env[GENERATE_VARIABLE];
    if (generate) return startGenerating(generate);
    if (env.NODE_DISABLE_COMPILE_CACHE) return { kind: 'off', reason: 'NODE_DISABLE_COMPILE_CACHE is set' };
    if (env.NODE_COMPILE_CACHE) return { kind: 'off', reason: 'NODE_COMPILE_CACHE is set: Node manages the cache' };
    const directory = join(taskRoot, COMPILE_CACHE_DIR);
    // The directory first: most functions ship none, and the tag costs node:v8's load.
    if (!existsSync(directory)) return { kind: 'off', reason: `no ${directory}` };
    // Only a cache made for exactly this Node/V8/uid is switched on: otherwise Node would create
    // a fresh subdirectory in the task root and write into the user's files at exit.
    const tag = compileCacheTag();
    if (!existsSync(join(directory, tag))) return skipForeignCache(directory, tag);
    const result = enableCompileCache({ directory, portable: true });
    if (result.status !== moduleConstants.compileCacheStatus.ENABLED) {
      return { kind: 'off', reason: result.message ?? `status ${result.status}` };
    }
    return { kind: 'enabled', directory };
  } catch (error) {
    return { kind: 'off', reason: String(error) };
  }
}

/**
 * A packaged cache made for another Node, V8 (its flags, the CPU features it saw) or user id: left
 * alone, and said in one stderr line naming what it was made for and what this runtime is, since
 * the function then compiles everything as if it shipped none (a slower start nobody would see).
 * The line holds paths and version tags only.
 */
function skipForeignCache(directory: string, tag: string): CompileCacheState {
  const made = readdirSync(directory).filter((name) => name.startsWith('v')).sort();
  const reason = `the packaged compile cache in ${directory} was made for ${made.length === 0 ? 'nothing (it is empty)' : made.join(', ')}, not for this runtime's ${tag}`;
  process.stderr.write(`lambda-bootstrap: ${reason} (Node.js, V8 flags, CPU features or user id differ); not used, modules compile as usual. Package the function again with the runtime, architecture and NODE_OPTIONS it runs with.\n`);
  return { kind: 'off', reason };
}

function startGenerating(directory: string): CompileCacheState {
  const result = enableCompileCache({ directory, portable: true });
  if (result.status !== moduleConstants.compileCacheStatus.ENABLED) {
    process.stderr.write(`lambda-bootstrap: cannot write the compile cache to ${directory}: ${result.message ?? `status ${result.status}`}\n`);
    return { kind: 'off', reason: result.message ?? `status ${result.status}` };
  }
  // Node writes what is left at exit; SIGTERM (sent by the packaging emulator after an optional
  // invocation) otherwise kills without it.
  process.once('SIGTERM', () => process.exit(0));
  return { kind: 'generating', directory };
}

/** After init: in packaging mode, write what init compiled now, in case no clean exit follows. */
export function afterInit(state: CompileCacheState): void {
  if (state.kind === 'generating') flushCompileCache();
}
