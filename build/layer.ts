// make layer: one zip per architecture, named after it so a user cannot publish the wrong one:
// dist/bootstrap → dist/bootstrap-layer-x86_64.zip, dist/arm64/bootstrap → dist/bootstrap-layer-arm64.zip.
// Each holds `bootstrap` at the root, mode 0755 (a layer unpacks to /opt, where Lambda looks
// for /opt/bootstrap). dist/SHA256SUMS lists every binary and zip present.
// Node 26 (--node=26): dist/node26/bootstrap → dist/bootstrap-node26-layer-x86_64.zip, and arm64 alike.
// Usage: node build/layer.ts [--arch=x86_64|arm64 ...] [--node=24|26] [dist-dir=dist]   (no --arch: all architectures)
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ARCHITECTURES, DIST, parseArchitecture } from './arch.ts';
import type { Architecture, ArchitectureTarget } from './arch.ts';
import { DEFAULT_NODE_LINE, NODE_LINES, parseNodeLine, targetFor } from './node-lines.ts';
import { EXECUTABLE_MODE, writeFileAtomically, writeZipFile } from './zip.ts';

// Lambda's limit for a directly uploaded zip.
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;
export const BOOTSTRAP_MODE = EXECUTABLE_MODE;
// The name before there was one zip per architecture; a leftover would be ambiguous.
const UNQUALIFIED_ZIP = 'bootstrap-layer.zip';

export type LayerResult = { zipPath: string; zipBytes: number; binaryBytes: number } | Error;

export async function buildLayer(target: ArchitectureTarget, dist = DIST): Promise<LayerResult> {
  const binaryPath = resolve(dist, target.binary);
  if (!existsSync(binaryPath)) {
    const line = /^node(\d+)\//.exec(target.binary)?.[1];
    return new Error(`layer: ${binaryPath} does not exist: run make bootstrap${target.name === 'x86_64' ? '' : ` ARCH=${target.name}`}${line === undefined ? '' : ` NODE=${line}`} first`);
  }
  const binaryBytes = statSync(binaryPath).size;
  const zipPath = resolve(dist, target.layerZip);
  // Streamed into a temporary file beside the zip, renamed only when complete and under the limit:
  // the previous zip stays when the disk is full or the new one is too big.
  const tooBig = (bytes: number): Error | undefined =>
    bytes >= MAX_ZIP_BYTES ? new Error(`layer: the ${target.name} zip is ${bytes} bytes, over Lambda's ${MAX_ZIP_BYTES}-byte limit for direct upload; ${zipPath} not written`) : undefined;
  let zipBytes: number;
  try {
    zipBytes = (await writeZipFile([{ name: 'bootstrap', file: binaryPath, size: binaryBytes, mode: BOOTSTRAP_MODE }], zipPath, tooBig)).bytes;
  } catch (error) {
    return error instanceof Error ? new Error(error.message.startsWith('layer:') ? error.message : `layer: ${error.message}`) : new Error(String(error));
  }
  rmSync(resolve(dist, UNQUALIFIED_ZIP), { force: true });
  writeChecksums(dist);
  return { zipPath, zipBytes, binaryBytes };
}

/** sha256sum format (two spaces), names relative to dist/: `cd dist && sha256sum -c SHA256SUMS`. */
export function writeChecksums(dist = DIST): string[] {
  const targets = NODE_LINES.flatMap((line) => ARCHITECTURES.map((arch) => targetFor(arch, line)));
  const names = targets.flatMap((t) => [t.binary, t.layerZip]).filter((name) => existsSync(resolve(dist, name)));
  const sha = (name: string): string => createHash('sha256').update(readFileSync(resolve(dist, name))).digest('hex');
  writeFileAtomically(resolve(dist, 'SHA256SUMS'), names.map((name) => `${sha(name)}  ${name}\n`).join(''));
  return names;
}

async function main(argv: string[]): Promise<number> {
  const archFlags = argv.filter((a) => a.startsWith('--arch=')).map((a) => parseArchitecture(a.slice('--arch='.length)));
  const bad = archFlags.find((a) => a instanceof Error);
  if (bad instanceof Error) {
    console.error(`layer: ${bad.message}`);
    return 2;
  }
  const arches = archFlags.length > 0 ? archFlags.filter((a): a is Architecture => !(a instanceof Error)) : [...ARCHITECTURES];
  const line = parseNodeLine(argv.find((a) => a.startsWith('--node='))?.slice('--node='.length) ?? DEFAULT_NODE_LINE);
  if (line instanceof Error) {
    console.error(`layer: ${line.message}`);
    return 2;
  }
  const dist = resolve(argv.find((a) => !a.startsWith('--')) ?? DIST);
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
  for (const arch of arches) {
    const result = await buildLayer(targetFor(arch, line), dist);
    if (result instanceof Error) {
      console.error(result.message);
      return 1;
    }
    console.log(`layer: ${result.zipPath}: ${mib(result.zipBytes)} MiB (${arch} bootstrap ${mib(result.binaryBytes)} MiB, mode 0755)`);
  }
  console.log(`layer: ${resolve(dist, 'SHA256SUMS')} written`);
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
