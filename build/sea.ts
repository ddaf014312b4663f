// Step 2 of the binary: dist/bootstrap.js → one executable per architecture, via Node's
// single-executable-application (SEA) mechanism and the pinned official node of that
// architecture (build/arch.ts): dist/bootstrap (x86_64) or dist/arm64/bootstrap (arm64).
// Usage: node build/sea.ts [--arch=x86_64|arm64] [--node=24|26] [bundle=dist/bootstrap.js] [output] [--code-cache=on|off]
// (--node=26: Node 26's pinned node, into dist/node26/bootstrap or dist/node26/arm64/bootstrap.)
//
// Order matters: strip and patch the copied node BEFORE injecting (stripping after injection
// yields a binary that segfaults), then re-run the patch as a check that injection kept it.
// A foreign architecture's node runs under qemu-user, both to write the blob and for the smoke
// test, so every step runs the very binary that ships.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DIST, TARGETS, commandFor, parseArchitecture } from './arch.ts';
import type { ArchitectureTarget, Command } from './arch.ts';
import { patchLibatomicFile, verifyLibatomicFree } from './libatomic-compat.ts';
import { DEFAULT_NODE_LINE, parseNodeLine, targetFor } from './node-lines.ts';
import { patchFile } from './patch-glibc.ts';
import { trimPhdrPaddingFile } from './trim-phdr-padding.ts';

const repoRoot = resolve(import.meta.dirname, '..');
/** The node the build itself runs on (x86_64); it also runs postject for every architecture. */
export const PINNED_NODE = TARGETS.x86_64.node;
const POSTJECT_CLI = resolve(repoRoot, 'node_modules/postject/dist/cli.js');
/** The embedded script's name in stack traces: the same on every build machine. */
export const EMBEDDED_SCRIPT_NAME = 'lambda-bootstrap/bootstrap.js';
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
// Whether the code cache is on by default is per architecture (`codeCache` in arch.ts). On
// x86_64, measured (40 interleaved runs, spawn → first GET /next): the code cache starts
// ~2.5-3 ms faster, and import() of .mjs, .cjs and .ts handlers still works with it.

export type SeaOptions = {
  target: ArchitectureTarget;
  bundle: string;
  output: string;
  useCodeCache: boolean;
  /**
   * `main` is a snapshot builder script (v8.startupSnapshot): the blob carries the heap it leaves
   * (build/snapshot/snapshot.ts, one executable per function). V8's code cache does not apply then.
   */
  useSnapshot?: boolean;
  /**
   * Embed `bundle` a second time, as the asset named EMBEDDED_SCRIPT_NAME that Managed Instances'
   * worker threads evaluate (src/managed-instances/worker-script.ts WORKER_SCRIPT_ASSET). Default: unless `useSnapshot` (a snapshot's main
   * script is not the runtime bundle, and its workers would not have the snapshot).
   */
  workerScriptAsset?: boolean;
  /** The environment the blob is written with (the snapshot builder evaluates code); default this process's. */
  blobEnv?: Record<string, string>;
  log: (line: string) => void;
  /** The x86_64 node that runs postject; default PINNED_NODE (the installed tool passes its own). */
  hostNode?: string;
  /** postject's dist/cli.js; default the repository's. */
  postjectCli?: string;
};

class BuildStepError extends Error {
  override readonly name = 'BuildStepError';
}

function run(step: string, { command, args }: Command, installHint = '', cwd?: string, env?: Record<string, string>): string {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd, env });
  if (r.error && 'code' in r.error && r.error.code === 'ENOENT') {
    throw new BuildStepError(`${step}: command not found: ${command}${installHint === '' ? '' : ` (${installHint})`}`);
  }
  if (r.error) throw new BuildStepError(`${step}: ${command} failed to start: ${r.error.message}`);
  if (r.status !== 0) {
    throw new BuildStepError(`${step}: \`${command} ${args.join(' ')}\` exited ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  }
  return r.stdout + r.stderr;
}

function patchOrThrow(path: string, check: boolean): string[] {
  const result = patchFile(path, { check });
  if (result instanceof Error) throw new BuildStepError(`glibc patch: ${result.message}`);
  return result.report.changes;
}

// V8 otherwise sizes its heap for a 256 MB+ machine even in a 128 MB function. The managed
// nodejs24.x bootstrap passes --max-old-space-size = M - M/25 (96% of M =
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE, runtime contract §1) on node's command line; a single
// executable cannot change its flags per start without re-executing itself (~30 ms), but Lambda's
// sandbox memory IS the function's memory, so the same 96% taken from the machine (Node reads
// cgroup limits too) gives the same limit at no start-up cost.
export const HEAP_FLAGS = ['--max-old-space-size-percentage=96'];

/** e_machine from the ELF header alone (the file is ~120 MB); undefined if it is not ELF. */
function elfMachine(path: string): number | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, header, 0, header.length, 0) < header.length || header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  } finally {
    closeSync(fd);
  }
  return header.readUInt16LE(18);
}

/** How to run `binary` of `target` here: directly, or under qemu-user. */
function on(target: ArchitectureTarget, step: string, binary: string, args: string[] = []): Command {
  const command = commandFor(target, binary, args);
  if (command instanceof Error) throw new BuildStepError(`${step}: ${command.message}`);
  return command;
}

export function buildSea(options: SeaOptions): void {
  const { target, bundle, output, useCodeCache, log } = options;
  const hostNode = options.hostNode ?? PINNED_NODE;
  const postjectCli = options.postjectCli ?? POSTJECT_CLI;
  if (!existsSync(bundle)) throw new BuildStepError(`sea: ${bundle} does not exist: run \`node build/bundle.ts\` (make bundle) first`);
  if (!existsSync(hostNode)) throw new BuildStepError(`sea: ${hostNode} is missing: run \`npm ci\` (make install) first`);
  if (!existsSync(target.node)) throw new BuildStepError(`sea: ${target.node} is missing: ${target.nodeInstallHint}`);
  const machine = elfMachine(target.node);
  if (machine !== target.machine) {
    throw new BuildStepError(`sea: ${target.node} is not a ${target.name} executable (e_machine ${machine ?? 'none'}, expected ${target.machine})`);
  }
  const dist = dirname(output);
  const partial = `${output}.partial`;
  const blob = resolve(dist, 'bootstrap.blob');
  const config = resolve(dist, 'sea-config.json');

  mkdirSync(dist, { recursive: true });
  rmSync(partial, { force: true });
  copyFileSync(target.node, partial);
  chmodSync(partial, 0o755);
  run('strip', { command: target.strip, args: [partial] }, target.stripInstallHint);
  const changes = patchOrThrow(partial, false);
  // Node 25+ links libatomic.so.1, which the provided.al2/al2023 images lack (build/libatomic-compat.ts).
  const atomic = patchLibatomicFile(partial);
  if (atomic instanceof Error) throw new BuildStepError(`libatomic: ${atomic.message}`);
  const atomicNote = atomic.changes.length === 0 ? '' : `, libatomic replaced by a ${atomic.changes.length}-change shim`;
  log(`sea: ${target.name}: stripped and patched node (${changes.length} glibc compatibility changes${atomicNote})`);

  // The embedded script is named after the path `main` has in the config, and that name is
  // compiled into the code cache: stack traces would show the build machine's checkout and the
  // binary's bytes would depend on it. A relative path, read from a staging folder, gives every
  // build the same name.
  const staging = resolve(dist, 'sea-staging');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(resolve(staging, EMBEDDED_SCRIPT_NAME)), { recursive: true });
  copyFileSync(bundle, resolve(staging, EMBEDDED_SCRIPT_NAME));
  const seaConfig = {
    main: EMBEDDED_SCRIPT_NAME,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: options.useSnapshot ?? false,
    useCodeCache: options.useSnapshot === true ? false : useCodeCache,
    execArgv: HEAP_FLAGS,
    ...((options.workerScriptAsset ?? options.useSnapshot !== true) ? { assets: { [EMBEDDED_SCRIPT_NAME]: EMBEDDED_SCRIPT_NAME } } : {}),
  };
  writeFileSync(config, `${JSON.stringify(seaConfig, null, 2)}\n`);
  // The blob must come from the very node it is injected into (same version, same V8 flags).
  run('sea blob', on(target, 'sea blob', partial, ['--experimental-sea-config', config]), '', staging, options.blobEnv);
  rmSync(staging, { recursive: true, force: true });
  run('postject', { command: hostNode, args: [postjectCli, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE, '--overwrite'] });
  log(`sea: ${trimPhdrPaddingFile(partial)}`);
  chmodSync(partial, 0o755);

  const after = patchOrThrow(partial, true);
  if (after.length > 0) throw new BuildStepError(`sea: injection undid the glibc patch:\n  ${after.join('\n  ')}`);
  log('sea: glibc patch re-check after injection: already compatible (0 changes)');
  const atomicAfter = verifyLibatomicFree(readFileSync(partial));
  if (atomicAfter instanceof Error) throw new BuildStepError(`sea: injection undid the libatomic patch: ${atomicAfter.message}`);

  smokeTest(on(target, 'sea smoke test', partial), partial);
  renameSync(partial, output);
  log(`sea: ${output}: ${(statSync(output).size / 1024 / 1024).toFixed(1)} MiB (${target.name}, ${options.useSnapshot === true ? 'useSnapshot: true' : `useCodeCache: ${useCodeCache}`})`);
}

// An SEA runs its embedded script instead of parsing flags, so `--version` would not prove
// much. Started with no Runtime API configured, the runtime must refuse with a clear message.
function smokeTest({ command, args }: Command, binary: string): void {
  // Under qemu a start takes about a second; the limit leaves room for a busy machine.
  const r = spawnSync(command, args, { encoding: 'utf8', env: {}, timeout: 60_000 });
  if (r.error) throw new BuildStepError(`sea smoke test: ${binary} did not start: ${r.error.message}`);
  const text = `${r.stdout}${r.stderr}`;
  if (r.status === 0 || !text.includes('AWS_LAMBDA_RUNTIME_API')) {
    throw new BuildStepError(
      `sea smoke test: expected a non-zero exit naming AWS_LAMBDA_RUNTIME_API when it is unset; ` +
        `got exit ${r.status ?? r.signal} and output:\n${text}`,
    );
  }
}

function main(argv: string[]): number {
  const flags = argv.filter((a) => a.startsWith('--'));
  const positional = argv.filter((a) => !a.startsWith('--'));
  const cacheFlag = flags.find((f) => f.startsWith('--code-cache='));
  const arch = parseArchitecture(flags.find((f) => f.startsWith('--arch='))?.slice('--arch='.length) ?? 'x86_64');
  if (arch instanceof Error) {
    console.error(`sea: ${arch.message}`);
    return 2;
  }
  const line = parseNodeLine(flags.find((f) => f.startsWith('--node='))?.slice('--node='.length) ?? DEFAULT_NODE_LINE);
  if (line instanceof Error) {
    console.error(`sea: ${line.message}`);
    return 2;
  }
  const target = targetFor(arch, line);
  try {
    buildSea({
      target,
      bundle: resolve(positional[0] ?? resolve(repoRoot, 'dist/bootstrap.js')),
      output: resolve(positional[1] ?? resolve(DIST, target.binary)),
      useCodeCache: cacheFlag === undefined ? target.codeCache : cacheFlag === '--code-cache=on',
      log: (line) => console.log(line),
    });
    return 0;
  } catch (error) {
    if (error instanceof BuildStepError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
