// make layer-wrapper: the zip flavour that runs on the managed Node (nodejs22.x / nodejs24.x).
// dist/lambda-bootstrap-wrapper-layer.zip unpacks to /opt as
//   /opt/lambda-bootstrap-wrapper              the exec wrapper (build/lambda-bootstrap-wrapper), 0755
//   /opt/lambda-bootstrap/bootstrap.js         the bundle (dist/bootstrap.js, build/bundle.ts)
//   /opt/lambda-bootstrap/package.json         {"type":"commonjs"}: the bundle is CommonJS
// and is enabled with AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-bootstrap-wrapper. The same tree is
// staged unzipped in dist/wrapper-layer/ (what tests and the bench start, as Lambda would at /opt).
// Architecture-independent: the managed runtime brings node.
// Usage: node build/wrapper-layer.ts [dist-dir=dist]
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DIST } from './arch.ts';
import { writeZipFile } from './zip.ts';

const BUILD = import.meta.dirname;
export const WRAPPER_NAME = 'lambda-bootstrap-wrapper';
export const WRAPPER_ZIP = 'lambda-bootstrap-wrapper-layer.zip';
export const WRAPPER_STAGE = 'wrapper-layer';
/** The wrapper's path on Lambda: the value of AWS_LAMBDA_EXEC_WRAPPER. */
export const WRAPPER_ON_LAMBDA = `/opt/${WRAPPER_NAME}`;
const BUNDLE_DIR = 'lambda-bootstrap';

/** Relative path in the layer → [source file, mode]. */
function layerFiles(dist: string): [string, string, number][] {
  return [
    [WRAPPER_NAME, join(BUILD, WRAPPER_NAME), 0o100755],
    [`${BUNDLE_DIR}/bootstrap.js`, join(dist, 'bootstrap.js'), 0o100644],
    [`${BUNDLE_DIR}/package.json`, join(dist, 'package.json'), 0o100644],
  ];
}

export type WrapperLayerResult = { zipPath: string; zipBytes: number; stageDir: string; unpackedBytes: number } | Error;

export async function buildWrapperLayer(dist = DIST): Promise<WrapperLayerResult> {
  const files = layerFiles(dist);
  const missing = files.find(([, source]) => !existsSync(source));
  if (missing !== undefined) return new Error(`wrapper layer: ${missing[1]} does not exist: run \`make bundle\` first`);
  const stageDir = join(dist, WRAPPER_STAGE);
  rmSync(stageDir, { recursive: true, force: true });
  mkdirSync(join(stageDir, BUNDLE_DIR), { recursive: true });
  let unpackedBytes = 0;
  for (const [name, source, mode] of files) {
    const target = join(stageDir, name);
    copyFileSync(source, target);
    chmodSync(target, mode & 0o777);
    unpackedBytes += statSync(target).size;
  }
  const zipPath = join(dist, WRAPPER_ZIP);
  let zipBytes: number;
  try {
    zipBytes = (await writeZipFile(files.map(([name, source, mode]) => ({ name, file: source, size: statSync(source).size, mode })), zipPath)).bytes;
  } catch (error) {
    return new Error(`wrapper layer: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { zipPath, zipBytes, stageDir, unpackedBytes };
}

async function main(argv: string[]): Promise<number> {
  const result = await buildWrapperLayer(resolve(argv[0] ?? DIST));
  if (result instanceof Error) {
    console.error(result.message);
    return 1;
  }
  console.log(
    `wrapper layer: ${result.zipPath}: ${(result.zipBytes / 1024).toFixed(1)} KiB (${(result.unpackedBytes / 1024).toFixed(1)} KiB unpacked, staged in ${result.stageDir}); ` +
      `enable with AWS_LAMBDA_EXEC_WRAPPER=${WRAPPER_ON_LAMBDA} on nodejs22.x/nodejs24.x/nodejs26.x`,
  );
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
