// `lambda-bootstrap package <function-dir>`: one deployable function zip, no layer needed.
// Binary flavour: `bootstrap` (0755) at the root beside the function's files, for
// `--runtime provided.al2023`. Wrapper flavour: the exec wrapper and the bundle
// (wrapper-flavour.ts) beside them, for `--runtime nodejs24.x` with
// AWS_LAMBDA_EXEC_WRAPPER=/var/task/lambda-bootstrap-wrapper. Entries are sorted and timestamped at the DOS epoch, so the
// same inputs give the same bytes; file modes are 0755 for executables and 0644 otherwise,
// symbolic links stay links (Lambda unpacks them as links).
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { TARGETS, isNative } from '../../build/arch.ts';
import { generateCompileCache } from '../../build/compile-cache.ts';
import { buildSnapshotExecutable } from '../../build/snapshot.ts';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Architecture } from '../../build/arch.ts';
import { EXECUTABLE_MODE, FILE_MODE, writeZip } from '../../build/zip.ts';
import type { ZipEntry } from '../../build/zip.ts';
import { ToolError, binaryPath, buildBinary, installPinnedNode } from './build-binary.ts';
import { devOnlyPackages } from './dev-dependencies.ts';
import { RUNTIME_BUNDLE, SNAPSHOT_ENTRY, SNAPSHOT_RECORDER, postjectCli } from './resources.ts';
import { selfContainedEntries } from './self-contained.ts';
import type { SelfContainedOptions } from './self-contained.ts';
import { WRAPPER_BUNDLE_DIR, WRAPPER_NAME, wrapperEntries } from './wrapper-flavour.ts';

export type Flavour = 'binary' | 'wrapper';
export const FLAVOURS: readonly Flavour[] = ['binary', 'wrapper'];

/** Lambda's limits: a zip uploaded directly, and code plus layers unzipped. */
export const MAX_DIRECT_UPLOAD_BYTES = 50 * 1024 * 1024;
export const MAX_UNZIPPED_BYTES = 250 * 1024 * 1024;
const SYMLINK_MODE = 0o120777;
// Never part of a function: version control.
const SKIPPED = new Set(['.git']);
// The tool's folder (the output folder, or a `.lambda-bootstrap` in the function): only its
// compile-cache/ ships (docs/pre-initialised.md); the binaries, zips and pinned node stay out.
const TOOL_DIR = '.lambda-bootstrap';
const SHIPPED_FROM_TOOL_DIR = 'compile-cache';

export interface PackageResult {
  zipPath: string;
  zipBytes: number;
  unzippedBytes: number;
  files: number;
  warnings: string[];
}

/** The function's files as zip entries, sorted by path; `exclude` (absolute) is left out, and of
 * `toolDirs` (absolute; any `.lambda-bootstrap` folder too) only the compile-cache/ subfolder. */
export function functionEntries(functionDir: string, exclude: string[] = [], toolDirs: string[] = [], shipCompileCache = true): ZipEntry[] {
  const root = resolve(functionDir);
  const entries: ZipEntry[] = [];
  const walk = (dir: string): void => {
    const inToolDir = toolDirs.includes(dir) || dir.endsWith(sep + TOOL_DIR);
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (inToolDir && (name !== SHIPPED_FROM_TOOL_DIR || !shipCompileCache)) continue;
      if (SKIPPED.has(name) || exclude.some((e) => path === e || path.startsWith(e + sep))) continue;
      const stat = lstatSync(path);
      const zipName = relative(root, path).split(sep).join('/');
      if (stat.isSymbolicLink()) entries.push({ name: zipName, data: Buffer.from(readlinkSync(path)), mode: SYMLINK_MODE });
      else if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) entries.push({ name: zipName, data: readFileSync(path), mode: (stat.mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE });
    }
  };
  walk(root);
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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

/** Pre-initialising the function while packaging: a V8 startup snapshot of its dependencies (build/snapshot.ts). */
export interface SnapshotRequest {
  handler: string;
  /** Variables the dependencies read at load, with the sandbox's values (checked at start). */
  env: Record<string, string>;
}

/**
 * The function's own executable (docs/pre-initialised.md §2), built with what the package ships:
 * its runtime bundle, recorder and entry, the pinned x86_64 node, its postject; returns its path.
 * Errors: ToolError with build/snapshot.ts's refusal (what the dependencies did, what to do).
 */
async function snapshotExecutable(functionDir: string, outDir: string, request: SnapshotRequest, log: (line: string) => void): Promise<string> {
  const node = installPinnedNode('x86_64', outDir, log);
  const report = await buildSnapshotExecutable({
    functionDir,
    handler: request.handler,
    env: request.env,
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
  selfContained?: SelfContainedOptions,
): Promise<PackageResult> {
  const root = resolve(functionDir);
  let isDir = false;
  try {
    isDir = lstatSync(root).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new ToolError(`package: ${root} is not a folder: pass the folder that holds your handler's code`);
  const zipPath = resolve(output ?? join(outDir, flavour === 'wrapper' ? 'function-wrapper.zip' : `function-${arch}.zip`));
  let snapshotBinary: string | undefined;
  if (snapshot !== undefined) {
    if (flavour === 'wrapper') throw new ToolError('package: --snapshot needs the binary flavour: the snapshot executable is its own bootstrap for provided.al2023/al2, not a bundle for the managed runtime');
    if (arch !== 'x86_64') throw new ToolError(`package: --snapshot is x86_64 only: the snapshot is written by the very node it is injected into, run natively; package for ${arch} without --snapshot`);
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
  // devDependencies (this tool among them, when installed in the function's own folder) stay out,
  // as a production install would leave them out.
  const dev = devOnlyPackages(root);
  if (dev !== undefined && dev.names.length > 0) {
    log(`package: leaving out ${dev.names.length} package(s) only devDependencies need (${dev.lockFile}): ${dev.names.join(', ')}`);
  }
  // The code cache is only valid for the binary's own Node; the managed runtime's would reject it.
  // Self-contained (self-contained.ts): node_modules is rebuilt from the dependency closure.
  const own = functionEntries(root, [zipPath, ...(dev?.paths ?? []), ...(selfContained === undefined ? [] : [join(root, 'node_modules')])], [resolve(outDir)], flavour === 'binary');
  const contained = selfContained === undefined ? undefined : await selfContainedEntries(root, own, arch, outDir, selfContained, log);
  const files = contained?.entries ?? own;
  const ours = flavour === 'wrapper' ? [WRAPPER_NAME, `${WRAPPER_BUNDLE_DIR}/`] : ['bootstrap'];
  const clash = files.find((f) => ours.some((name) => (name.endsWith('/') ? f.name.startsWith(name) : f.name === name)));
  if (clash !== undefined) {
    throw new ToolError(`package: ${root} already has ${clash.name}, where the zip puts the runtime's own ${ours.join(' and ')}: rename or remove yours`);
  }
  let runtime: ZipEntry[];
  if (flavour === 'wrapper') {
    runtime = wrapperEntries();
  } else if (snapshotBinary !== undefined) {
    runtime = [{ name: 'bootstrap', data: readFileSync(snapshotBinary), mode: EXECUTABLE_MODE }];
  } else {
    const binary = binaryPath(outDir, arch);
    try {
      lstatSync(binary);
    } catch {
      log(`package: no ${arch} binary in ${outDir} yet: building it first`);
      buildBinary(arch, outDir, log);
    }
    runtime = [{ name: 'bootstrap', data: readFileSync(binary), mode: EXECUTABLE_MODE }];
  }
  const entries = [...runtime, ...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const zip = await writeZip(entries);
  // The proof, before the output is touched: the init from the zip unpacked alone.
  const initWarning = selfContained?.verify === true ? await contained?.verify(zip, flavour) : undefined;
  mkdirSync(dirname(zipPath), { recursive: true });
  writeFileSync(zipPath, zip);
  const unzippedBytes = entries.reduce((n, e) => n + e.data.length, 0);
  const warnings: string[] = initWarning === undefined ? [] : [initWarning];
  if (zip.length > MAX_DIRECT_UPLOAD_BYTES) {
    warnings.push(`the zip is ${zip.length} bytes, over the ${MAX_DIRECT_UPLOAD_BYTES}-byte limit of a direct upload: upload it through S3, or use the layer (lambda-bootstrap layer) and zip only your code`);
  }
  if (unzippedBytes > MAX_UNZIPPED_BYTES) warnings.push(`unzipped it is ${unzippedBytes} bytes, over Lambda's ${MAX_UNZIPPED_BYTES}-byte limit for code and layers`);
  return { zipPath, zipBytes: zip.length, unzippedBytes, files: files.length, warnings };
}

