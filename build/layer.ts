// make layer: dist/bootstrap → dist/bootstrap-layer.zip (bootstrap at the root, mode 0755; a
// layer unpacks to /opt, where Lambda looks for /opt/bootstrap) and dist/SHA256SUMS.
// Usage: node build/layer.ts [dist-dir=dist]
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeZip } from './zip.ts';

const repoRoot = resolve(import.meta.dirname, '..');
// Lambda's limit for a directly uploaded zip.
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;
export const BOOTSTRAP_MODE = 0o100755;

export type LayerResult = { zipPath: string; zipBytes: number; binaryBytes: number } | Error;

export function buildLayer(dist: string): LayerResult {
  const binaryPath = resolve(dist, 'bootstrap');
  if (!existsSync(binaryPath)) return new Error(`layer: ${binaryPath} does not exist: run make bootstrap first`);
  const binary = readFileSync(binaryPath);
  const zip = writeZip([{ name: 'bootstrap', data: binary, mode: BOOTSTRAP_MODE }]);
  if (zip.length >= MAX_ZIP_BYTES) {
    return new Error(`layer: the zip is ${zip.length} bytes, over Lambda's ${MAX_ZIP_BYTES}-byte limit for direct upload`);
  }
  const zipPath = resolve(dist, 'bootstrap-layer.zip');
  writeFileSync(zipPath, zip);
  const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
  // sha256sum format (two spaces), names relative to dist/: `cd dist && sha256sum -c SHA256SUMS`.
  writeFileSync(resolve(dist, 'SHA256SUMS'), `${sha(binary)}  bootstrap\n${sha(zip)}  bootstrap-layer.zip\n`);
  return { zipPath, zipBytes: zip.length, binaryBytes: binary.length };
}

function main(argv: string[]): number {
  const result = buildLayer(resolve(argv[0] ?? resolve(repoRoot, 'dist')));
  if (result instanceof Error) {
    console.error(result.message);
    return 1;
  }
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
  console.log(`layer: ${result.zipPath}: ${mib(result.zipBytes)} MiB (bootstrap ${mib(result.binaryBytes)} MiB, mode 0755); SHA256SUMS written`);
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
