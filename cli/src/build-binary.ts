// `lambda-bootstrap build` and `layer`: the same pipeline as the repository's `make bootstrap`
// (build/sea.ts: strip, glibc patch, SEA blob, postject) on the user's machine, from what the
// package pins: its runtime bundle, the official node of the architecture (installed on demand
// from the shipped lock file, so it is integrity-checked and never on the user's PATH), postject.
// `--node 26` (or the exact pinned version, `--node 26.12.1`) builds from Node 26 instead of 24,
// into <out-dir>/node26/ (build/node-lines.ts; each line's version pinned by its own lock file).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Architecture, ArchitectureTarget } from '../../build/arch.ts';
import { buildLayer } from '../../build/layer.ts';
import { DEFAULT_NODE_LINE, NODE_LINES, targetFor } from '../../build/node-lines.ts';
import type { NodeLine } from '../../build/node-lines.ts';
import { buildSea } from '../../build/sea.ts';
import { WRAPPER_ZIP } from '../../build/wrapper-layer.ts';
import { writeZipFile } from '../../build/zip.ts';
import { wrapperEntries } from './wrapper-flavour.ts';
import { RUNTIME_BUNDLE, pinnedNodeDir, postjectCli } from './resources.ts';

/** A failure the user can act on: the message says what went wrong and what to do. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** Where `build` puts the binary of `arch` under the output folder (the repository's dist/ layout: node26/ for Node 26). */
export function binaryPath(outDir: string, arch: Architecture, line: NodeLine = DEFAULT_NODE_LINE): string {
  return resolve(outDir, targetFor(arch, line).binary);
}

/** The exact node version the package pins for `line` on `arch`, from its shipped lock folder. */
function pinnedPackage(arch: Architecture, line: NodeLine): { lock: string; name: string; version: string } {
  const lock = pinnedNodeDir(arch, line);
  const manifest = JSON.parse(readFileSync(join(lock, 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
  const [name, version] = Object.entries(manifest.optionalDependencies)[0] ?? [];
  if (name === undefined || version === undefined) throw new ToolError(`the package's ${lock}/package.json names no node package: reinstall lambda-bootstrap`);
  return { lock, name, version };
}

/**
 * `--node`: "24" or "26", or the exact version a line pins ("26.12.1"). Returns the line.
 * Errors: ToolError naming the lines and versions this package pins.
 */
export function parseNodeOption(text: string, arch: Architecture): NodeLine {
  const pinned = NODE_LINES.map((l) => `${l} (${pinnedPackage(arch, l).version})`).join(', ');
  const line = NODE_LINES.find((l) => text === l || text.startsWith(`${l}.`));
  if (line === undefined) throw new ToolError(`--node: unknown Node.js line "${text}"; this package builds ${pinned}`);
  if (text !== line && text !== pinnedPackage(arch, line).version) {
    throw new ToolError(`--node: Node.js ${text} is not pinned; this package builds each line from the one version its lock file pins by integrity: ${pinned}`);
  }
  return line;
}

/**
 * Installs the pinned official node of `arch` (Node line `line`) under `<outDir>/.node/<arch>`
 * (`<outDir>/.node/node26/<arch>` for 26) with `npm ci` (`--cpu`/`--os` set, so an arm64 node
 * installs on an x86_64 machine too), once; returns its path.
 * Errors: ToolError when npm is missing or fails (no registry and not in npm's cache).
 */
export function installPinnedNode(arch: Architecture, outDir: string, log: (line: string) => void, line: NodeLine = DEFAULT_NODE_LINE): string {
  const target = targetFor(arch, line);
  const dir = nodeInstallDir(outDir, arch, line);
  const { lock, name, version } = pinnedPackage(arch, line);
  const node = join(dir, 'node_modules', name, 'bin', 'node');
  const installed = join(dir, 'node_modules', name, 'package.json');
  if (existsSync(node) && existsSync(installed) && (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version === version) return node;
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(lock, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(lock, 'package-lock.json'), join(dir, 'package-lock.json'));
  log(`build: installing ${name}@${version} (pinned, integrity-checked) into ${dir}`);
  const r = spawnSync('npm', ['ci', `--cpu=${target.nodeArch}`, '--os=linux', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (r.error !== undefined) throw new ToolError(`build: could not run npm to install ${name}@${version}: ${r.error.message} (npm must be on PATH)`);
  if (r.status !== 0 || !existsSync(node)) {
    throw new ToolError(
      `build: \`npm ci\` of ${name}@${version} in ${dir} failed (exit ${r.status}); it needs the npm registry or npm's cache holding that version:\n${r.stdout}${r.stderr}`,
    );
  }
  return node;
}

function nodeInstallDir(outDir: string, arch: Architecture, line: NodeLine): string {
  return line === DEFAULT_NODE_LINE ? resolve(outDir, '.node', arch) : resolve(outDir, '.node', `node${line}`, arch);
}

/** Builds the binary of `arch` on Node line `line` into `outDir`; returns its path. Errors: ToolError, or build/sea.ts's own. */
export function buildBinary(arch: Architecture, outDir: string, log: (line: string) => void, line: NodeLine = DEFAULT_NODE_LINE): string {
  if (!existsSync(RUNTIME_BUNDLE)) throw new ToolError(`build: the runtime bundle ${RUNTIME_BUNDLE} is missing: reinstall lambda-bootstrap`);
  const node = installPinnedNode(arch, outDir, log, line);
  const target: ArchitectureTarget = { ...targetFor(arch, line), node, nodeInstallHint: `delete ${nodeInstallDir(outDir, arch, line)} and run build again` };
  const output = binaryPath(outDir, arch, line);
  buildSea({ target, bundle: RUNTIME_BUNDLE, output, useCodeCache: target.codeCache, log, hostNode: process.execPath, postjectCli: postjectCli() });
  return output;
}

/** The layer zip of `arch` (bootstrap at the root, 0755) and SHA256SUMS; builds the binary first if missing. */
export async function buildLayerZip(arch: Architecture, outDir: string, log: (line: string) => void, line: NodeLine = DEFAULT_NODE_LINE): Promise<string> {
  if (!existsSync(binaryPath(outDir, arch, line))) {
    log(`layer: no ${arch} Node ${line} binary in ${outDir} yet: building it first`);
    buildBinary(arch, outDir, log, line);
  }
  const result = await buildLayer(targetFor(arch, line), resolve(outDir));
  if (result instanceof Error) throw new ToolError(result.message);
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
  log(`layer: ${result.zipPath}: ${mib(result.zipBytes)} MiB (bootstrap ${mib(result.binaryBytes)} MiB, mode 0755)`);
  return result.zipPath;
}

/** The wrapper flavour's layer (docs/wrapper-layer.md), architecture-independent: `<outDir>/lambda-bootstrap-wrapper-layer.zip`. */
export async function buildWrapperLayerZip(outDir: string, log: (line: string) => void): Promise<string> {
  const zipPath = resolve(outDir, WRAPPER_ZIP);
  let zip;
  try {
    zip = await writeZipFile(wrapperEntries(), zipPath);
  } catch (error) {
    throw new ToolError(`layer: ${error instanceof Error ? error.message : String(error)}`);
  }
  log(`layer: ${zipPath}: ${(zip.bytes / 1024).toFixed(1)} KiB (the exec wrapper and the runtime bundle, for nodejs22.x/nodejs24.x/nodejs26.x)`);
  return zipPath;
}
