// `lambda-bootstrap package <function-dir>`: one deployable function zip, no layer needed.
// Binary flavour: `bootstrap` (0755) at the root beside the function's files, for
// `--runtime provided.al2023`. Wrapper flavour: the exec wrapper and the bundle
// (wrapper-flavour.ts) beside them, for `--runtime nodejs24.x` with
// AWS_LAMBDA_EXEC_WRAPPER=/var/task/lambda-bootstrap-wrapper. Entries are sorted and timestamped at the DOS epoch, so the
// same inputs give the same bytes; file modes are 0755 for executables and 0644 otherwise,
// symbolic links stay links (Lambda unpacks them as links).
import { existsSync, statSync } from 'node:fs';
import { TARGETS, isNative } from '../../../build/arch.ts';
import { generateCompileCache } from '../../../build/compile-cache.ts';
import { buildSnapshotExecutable } from '../../../build/snapshot/snapshot.ts';
import { join, resolve } from 'node:path';
import type { Architecture } from '../../../build/arch.ts';
import { EXECUTABLE_MODE, ZipWriteError, writeZipFile } from '../../../build/zip.ts';
import type { ZipEntry } from '../../../build/zip.ts';
import { ToolError, binaryPath, buildBinary, installPinnedNode } from '../build-binary.ts';
import { devOnlyPackages } from './dev-dependencies.ts';
import { functionFiles, leftOutLines, suspectedSecrets } from './package-files.ts';
import type { FileRules, WalkOptions } from './package-files.ts';
import { checkUnzippedSize, directUploadWarning } from './package-limits.ts';
import { RUNTIME_BUNDLE, SNAPSHOT_ENTRY, SNAPSHOT_RECORDER, postjectCli } from '../resources.ts';
import { selfContainedEntries } from './self-contained.ts';
import type { SelfContainedOptions } from './self-contained.ts';
import { WRAPPER_BUNDLE_DIR, WRAPPER_NAME, wrapperEntries } from '../wrapper-flavour.ts';

export type Flavour = 'binary' | 'wrapper';
export const FLAVOURS: readonly Flavour[] = ['binary', 'wrapper'];

export { MAX_DIRECT_UPLOAD_BYTES, MAX_UNZIPPED_BYTES } from './package-limits.ts';

export interface PackageResult {
  zipPath: string;
  zipBytes: number;
  unzippedBytes: number;
  files: number;
  warnings: string[];
}

/** The function's files as zip entries, sorted by path (package-files.ts: what is left out and refused). */
export function functionEntries(functionDir: string, exclude: string[] = [], toolDirs: string[] = [], shipCompileCache = true, rules: FileRules = {}): ZipEntry[] {
  return functionFiles(functionDir, { ...rules, skip: exclude, toolDirs, shipCompileCache }).entries;
}

/**
 * Zips `bootstrap` of `arch` and the function in `functionDir` into `output`. Builds the binary
 * first when `outDir` has none. Errors: ToolError (no such folder, a `bootstrap` of its own).
 */
/** Pre-initialising the function while packaging: its V8 code cache (build/compile-cache.ts). */
export interface CompileCacheRequest {
  handler: string;
  /** One packaging invocation (JSON), so modules loaded on the first invoke are cached too. */
  event?: string;
  env: Record<string, string>;
}

/** Pre-initialising the function while packaging: a V8 startup snapshot of its dependencies (build/snapshot/snapshot.ts). */
export interface SnapshotRequest {
  handler: string;
  /** Variables the dependencies read at load, with the sandbox's values (checked at start). */
  env: Record<string, string>;
  /** Names whose values may be baked in although they look secret (`--allow-env-value`). */
  allowEnvValues?: string[];
  /** The training run at build (default true; `--no-training`). */
  training?: boolean;
  /** Run the handler's init at build too (`--init-at-build`; SnapStart's semantics). */
  initAtBuild?: boolean;
}

/**
 * The function's own executable (docs/pre-initialised.md §2), built with what the package ships:
 * its runtime bundle, recorder and entry, the pinned x86_64 node, its postject; returns its path.
 * Errors: ToolError with build/snapshot/snapshot.ts's refusal (what the dependencies did, what to do).
 */
async function snapshotExecutable(functionDir: string, outDir: string, request: SnapshotRequest, log: (line: string) => void): Promise<string> {
  const node = installPinnedNode('x86_64', outDir, log);
  const report = await buildSnapshotExecutable({
    functionDir,
    handler: request.handler,
    env: request.env,
    allowEnvValues: request.allowEnvValues ?? [],
    training: request.training ?? true,
    initAtBuild: request.initAtBuild ?? false,
    outDir: join(outDir, 'snapshot'),
    runtimeBundle: RUNTIME_BUNDLE,
    recorder: SNAPSHOT_RECORDER,
    entry: SNAPSHOT_ENTRY,
    node,
    hostNode: process.execPath,
    postjectCli: postjectCli(),
    log,
  });
  if (report instanceof Error) throw new ToolError(`package: --snapshot: ${report.message}`);
  log(`package: ${report.executable}: ${report.modules.length} package(s) evaluated into its startup snapshot (${(report.dependencyBytes / 1024 / 1024).toFixed(1)} MB of JavaScript)`);
  return report.executable;
}

export async function packageFunction(
  functionDir: string,
  flavour: Flavour,
  arch: Architecture,
  outDir: string,
  output: string | undefined,
  log: (line: string) => void,
  compileCache?: CompileCacheRequest,
  snapshot?: SnapshotRequest,
  rules: FileRules = {},
  selfContained?: SelfContainedOptions,
): Promise<PackageResult> {
  const root = resolve(functionDir);
  let isDir = false;
  try {
    // A link to the folder is followed, as invoke and serve follow it.
    isDir = statSync(root).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new ToolError(`package: ${root} is not a folder: pass the folder that holds your handler's code`);
  const zipPath = resolve(output ?? join(outDir, flavour === 'wrapper' ? 'function-wrapper.zip' : `function-${arch}.zip`));
  // devDependencies (this tool among them, when installed in the function's own folder) stay out,
  // as a production install would leave them out. The code cache is only valid for the binary's
  // own Node; the managed runtime's would reject it.
  const dev = devOnlyPackages(root);
  const walkOptions: WalkOptions = {
    ...rules,
    skip: [zipPath, ...(dev?.paths ?? [])],
    toolDirs: [resolve(outDir)],
    shipCompileCache: flavour === 'binary',
    reserved: flavour === 'wrapper' ? [WRAPPER_NAME, WRAPPER_BUNDLE_DIR] : ['bootstrap'],
  };
  // A name the zip cannot hold, the runtime's own name or files over Lambda's size are refused
  // before the slow steps.
  if (snapshot !== undefined || compileCache !== undefined) checkUnzippedSize(functionFiles(root, walkOptions).entries, root);
  let snapshotBinary: string | undefined;
  if (snapshot !== undefined) {
    if (flavour === 'wrapper') throw new ToolError('package: --snapshot needs the binary flavour: the snapshot executable is its own bootstrap for provided.al2023/al2, not a bundle for the managed runtime');
    if (arch !== 'x86_64') {
      throw new ToolError(
        `package: --snapshot is x86_64 only in this tool: the snapshot is written by the very node it is injected into; package for ${arch} without --snapshot, ` +
          'or build an arm64 snapshot executable (recorded under qemu-user) from the lambda-bootstrap repository: make package FN=<dir> SNAPSHOT=1 ARCH=arm64',
      );
    }
    if (!isNative(TARGETS.x86_64)) throw new ToolError('package: --snapshot must run on an x86_64 machine: the snapshot is written by the node it is injected into');
    if (compileCache !== undefined) throw new ToolError('package: --snapshot and --compile-cache do not combine: the code cache would be written by the plain binary, which loads the dependencies the snapshot executable takes from its heap; choose one (--snapshot starts faster, docs/pre-initialised.md)');
    snapshotBinary = await snapshotExecutable(root, outDir, snapshot, log);
  }
  if (compileCache !== undefined) {
    if (flavour === 'wrapper') throw new ToolError('package: --compile-cache needs the binary flavour: the cache is made by, and only valid for, the Node the binary embeds');
    if (!isNative(TARGETS[arch])) throw new ToolError(`package: --compile-cache must run on the architecture it is for (V8 tags the cache with this CPU's features); this machine is not ${arch}`);
    const binary = binaryPath(outDir, arch);
    if (!existsSync(binary)) {
      log(`package: no ${arch} binary in ${outDir} yet: building it first`);
      buildBinary(arch, outDir, log);
    }
    log(`package: running the function's init${compileCache.event === undefined ? '' : ' and one invocation'} to write its V8 code cache`);
    const report = await generateCompileCache({ functionDir: root, handler: compileCache.handler, bootstrap: binary, env: compileCache.env, ...(compileCache.event === undefined ? {} : { event: compileCache.event }) });
    if (report instanceof Error) throw new ToolError(`package: --compile-cache: ${report.message}`);
    log(`package: ${report.directory}/${report.tag}: ${report.entries} entries, ${(report.bytes / 1024).toFixed(0)} KiB (also under ${report.links.join(', ') || 'no other uid'})`);
  }
  if (dev !== undefined && dev.names.length > 0) {
    log(`package: leaving out ${dev.names.length} package(s) only devDependencies need (${dev.lockFile}): ${dev.names.join(', ')}`);
  }
  const walked = functionFiles(root, walkOptions);
  // Self-contained (self-contained.ts): node_modules is rebuilt from the dependency closure.
  const contained = selfContained === undefined ? undefined : await selfContainedEntries(root, walked.entries, arch, outDir, selfContained, log, rules);
  const files = contained?.entries ?? walked.entries;
  if (walked.leftOut.length > 0) {
    log(`package: left out ${walked.leftOut.length} file(s) and folder(s) (docs/packaging.md; --include <pattern> puts one back):`);
    for (const line of leftOutLines(walked.leftOut)) log(line);
  }
  for (const name of suspectedSecrets(walked.entries)) {
    log(`package: warning: ${name} is in the zip and its name says it may hold a credential; anyone who can read the function's code can read it: --exclude ${name} if the function does not need it (a secret belongs in Secrets Manager or Parameter Store)`);
  }
  for (const name of walked.widened) log(`package: warning: ${name} is readable only by its owner here; it ships readable by the function (0644), as Lambda runs the code as another user`);
  let runtime: ZipEntry[];
  if (flavour === 'wrapper') {
    runtime = wrapperEntries();
  } else {
    const binary = snapshotBinary ?? binaryPath(outDir, arch);
    if (!existsSync(binary)) {
      log(`package: no ${arch} binary in ${outDir} yet: building it first`);
      buildBinary(arch, outDir, log);
    }
    runtime = [{ name: 'bootstrap', file: binary, size: statSync(binary).size, mode: EXECUTABLE_MODE }];
  }
  const entries = [...runtime, ...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const unzippedBytes = checkUnzippedSize(entries, root);
  let zip;
  let initWarning: string | undefined;
  try {
    // The proof, on the finished zip before it replaces the output: its init, unpacked alone.
    const verify = contained !== undefined && selfContained?.verify === true ? contained.verify : undefined;
    zip = await writeZipFile(entries, zipPath, verify === undefined ? undefined : async (_bytes, temporary) => {
      initWarning = await verify(temporary, flavour);
      return undefined;
    });
  } catch (error) {
    if (error instanceof ZipWriteError) throw new ToolError(`package: ${error.message} (${existsSync(zipPath) && statSync(zipPath).isFile() ? `the previous ${zipPath} is untouched` : 'nothing written'})`);
    throw error;
  }
  const warnings: string[] = initWarning === undefined ? [] : [initWarning];
  const upload = directUploadWarning(zip.bytes);
  if (upload !== undefined) warnings.push(upload);
  return { zipPath, zipBytes: zip.bytes, unzippedBytes, files: files.length, warnings };
}
