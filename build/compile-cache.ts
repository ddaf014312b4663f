// Packaging step: writes a function's V8 code cache into <function dir>/.lambda-bootstrap/compile-cache
// by running the function's real init once (optionally one invocation too) under the very runtime
// binary that will serve it, against the emulator on 127.0.0.1. dist/bootstrap then finds the cache
// at start-up with no flag (src/pre-init/compile-cache.ts).
//
//   node build/compile-cache.ts --handler index.handler [--event file.json] [--bootstrap dist/bootstrap]
//                               [--env K=V ...] [--uid N ...] <function dir>
//   make package FN=<function dir> [HANDLER=index.handler] [EVENT=file.json]
//
// `generateCompileCache` is the function `lambda-bootstrap package` calls.
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Emulator } from '../emulator/index.ts';
import { COMPILE_CACHE_DIR, GENERATE_VARIABLE } from '../src/pre-init/compile-cache.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..');
export const DEFAULT_BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');
/**
 * The user id functions run as on Lambda (`sbx_user1051`, uid 993, in both provided.al2 and
 * provided.al2023). Node names the cache subdirectory after the uid, so the packaged cache is
 * linked under this uid as well as the packaging machine's.
 */
export const LAMBDA_SANDBOX_UID = 993;

export interface CompileCacheOptions {
  /** The function's directory: becomes LAMBDA_TASK_ROOT; the cache is written inside it. */
  functionDir: string;
  /** `_HANDLER`, e.g. `index.handler`. */
  handler: string;
  /** The runtime binary that will serve the function (its Node and V8 decide the cache format). */
  bootstrap?: string;
  /** One packaging invocation after init (its event, JSON), so lazily loaded modules are cached too. */
  event?: string;
  /** Extra environment for the packaging run (what init needs: table names, endpoints). */
  env?: Record<string, string>;
  /** User ids to name the cache for, besides the packaging user's. Default: [993] (Lambda's). */
  uids?: number[];
}

export interface CompileCacheReport {
  /** Absolute path of .lambda-bootstrap/compile-cache. */
  directory: string;
  /** The subdirectory written, e.g. v24.21.0-x64-964aae3f-0. */
  tag: string;
  /** Symbolic links added for other uids. */
  links: string[];
  entries: number;
  bytes: number;
}

export class CompileCacheError extends Error {
  override readonly name = 'CompileCacheError';
}

/**
 * Runs the function's init (and `event`, if given) and leaves the cache in the function dir.
 * On any failure the cache folder is removed, so a function never ships half a cache.
 */
export async function generateCompileCache(options: CompileCacheOptions): Promise<CompileCacheReport | CompileCacheError> {
  const result = await generate(options);
  if (result instanceof CompileCacheError) rmSync(join(resolve(options.functionDir), COMPILE_CACHE_DIR), { recursive: true, force: true });
  return result;
}

async function generate(options: CompileCacheOptions): Promise<CompileCacheReport | CompileCacheError> {
  const functionDir = resolve(options.functionDir);
  const directory = join(functionDir, COMPILE_CACHE_DIR);
  rmSync(directory, { recursive: true, force: true });
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    return new CompileCacheError(`cannot create ${directory}: ${String(error)} (the function directory must be writable while packaging)`);
  }
  const emulator = await Emulator.start({
    command: options.bootstrap ?? DEFAULT_BOOTSTRAP,
    handler: options.handler,
    taskRoot: functionDir,
    env: { ...options.env, [GENERATE_VARIABLE]: directory },
  });
  try {
    await emulator.spawn();
    const ready = await emulator.waitForNext().then(
      () => true,
      () => false,
    );
    if (!ready) {
      return new CompileCacheError(`the function's init failed, so no cache was written (fix init first):\n${emulator.stdout}${emulator.stderr}`);
    }
    if (options.event !== undefined) {
      const outcome = await emulator.invoke(options.event);
      if (outcome.kind !== 'response') {
        return new CompileCacheError(`the packaging invocation failed (${outcome.kind}): ${outcome.body.toString('utf8')}`);
      }
    }
    // SIGTERM: in packaging mode the runtime then exits cleanly, and Node writes the rest.
    await emulator.shutdown();
  } finally {
    await emulator.stop();
  }
  const tags = readdirSync(directory);
  if (tags.length !== 1) return new CompileCacheError(`expected one cache subdirectory in ${directory}, found: ${tags.join(', ') || 'none'}`);
  const tag = tags[0]!;
  const files = readdirSync(join(directory, tag));
  const bytes = files.reduce((sum, file) => sum + lstatSync(join(directory, tag, file)).size, 0);
  if (files.length === 0) return new CompileCacheError(`the runtime wrote no cache entries into ${join(directory, tag)}`);
  // Node writes entries 0600 for the user who made them; Lambda runs the function as another user
  // (and wants world-readable files in the zip), so the entries must be readable by everyone.
  for (const dir of [join(functionDir, '.lambda-bootstrap'), directory, join(directory, tag)]) chmodSync(dir, 0o755);
  for (const file of files) chmodSync(join(directory, tag, file), 0o644);
  const links: string[] = [];
  const prefix = tag.slice(0, tag.lastIndexOf('-') + 1);
  // Node 24 ends the name with the uid (v24.21.0-x64-964aae3f-0); Node 26 does not
  // (v26.12.1-x64-310b2ce3), so every user finds the one folder and no link is needed.
  const namedForUid = tag.endsWith(`-${process.getuid?.() ?? 0}`);
  for (const uid of namedForUid ? (options.uids ?? [LAMBDA_SANDBOX_UID]) : []) {
    const name = `${prefix}${uid}`;
    if (name === tag) continue;
    symlinkSync(tag, join(directory, name));
    links.push(name);
  }
  return { directory, tag, links, entries: files.length, bytes };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      handler: { type: 'string', default: 'index.handler' },
      event: { type: 'string' },
      bootstrap: { type: 'string' },
      env: { type: 'string', multiple: true },
      uid: { type: 'string', multiple: true },
    },
  });
  if (positionals.length !== 1) {
    console.error('usage: node build/compile-cache.ts --handler index.handler [--event file.json] [--env K=V] [--uid N] <function dir>');
    return 2;
  }
  const env: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      console.error(`--env expects NAME=value: one --env ${eq === 0 ? 'has no name before its =' : 'has no ='} (its text is not printed: it may be a secret)`);
      return 2;
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const uids = values.uid?.map(Number);
  if (uids?.some((uid) => !Number.isInteger(uid) || uid < 0)) {
    console.error(`--uid expects a user id (a whole number), got ${values.uid?.join(', ')}`);
    return 2;
  }
  const report = await generateCompileCache({
    functionDir: positionals[0]!,
    handler: values.handler,
    bootstrap: values.bootstrap === undefined ? undefined : resolve(values.bootstrap),
    event: values.event === undefined ? undefined : readFileSync(values.event, 'utf8'),
    env,
    uids,
  });
  if (report instanceof CompileCacheError) {
    console.error(`package: ${report.message}`);
    return 1;
  }
  const links = report.links.length > 0 ? `, linked as ${report.links.join(', ')}` : '';
  console.log(`package: ${report.directory}/${report.tag}: ${report.entries} entries, ${(report.bytes / 1024).toFixed(0)} KiB${links}`);
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
