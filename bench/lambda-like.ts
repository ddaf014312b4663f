// Lambda-like cold starts: the bytes where Lambda keeps them. The managed runtime's node and AWS's
// client are part of the runtime image every worker already caches, so they stay warm; the
// function's package (its files, its layers, a custom runtime's binary; for a container image,
// everything in the image) is cold. Each variant's package sits in its own folder of the package
// device (bench/package-device.ts) and is read through it:
//   zip-like    128 KiB read-ahead (Linux's default): the unpacked zip on a local disk
//   image-like  512 KiB read-ahead: Lambda's lazy image loader fetches 512 KiB chunks on first touch
// A sample records spawn → first /next and → first response, what the device served by the first
// response (bytes, requests), and which 512 KiB chunks of the package files are resident then.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LeanRuntimeApi } from './driver.ts';
import { measureStartFrom } from './measure.ts';
import type { PackageDevice, PlacedFile } from './package-device.ts';
import { BENCH_DIR, FUNCTION_DIR, MANAGED_BOOTSTRAP, PINNED_NODE, managedEnv } from './runtimes.ts';
import type { Launch, Runtime } from './runtimes.ts';

export type Packaging = 'zip' | 'image';
/** The warm runtime whose spawn → first /next stands for the variant's CPU work in the model. */
export type Flavour = 'binary' | 'binary26' | 'wrapper' | 'ric' | 'bun' | 'floor' | 'snapshot';

export const READ_AHEAD_KIB: Record<Packaging, number> = { zip: 128, image: 512 };
export const CHUNK_BYTES = 512 * 1024;
const PAGE_BYTES = 4096;
const MANAGED_FLOOR_DIR = join(BENCH_DIR, 'managed-floor');

export interface LambdaLikeVariant {
  id: string;
  label: string;
  flavour: Flavour;
  packaging: Packaging;
  /** The folder on the device holding its package (zip-like and image-like of one runtime share one). */
  tree: string;
  /** The cold files, placed under `<tree>/` on the device. */
  files: PlacedFile[];
  /** Sum of the cold files' sizes: the unpacked package. */
  unpackedBytes: number;
  /** A row of the realistic function (bench/lambda-like-realistic.ts): its own table, no model prediction. */
  realistic?: boolean;
  launch(root: string): Launch;
}

export interface LambdaLikeSample {
  firstNextMs: number;
  firstResponseMs: number;
  /** utime + stime of the process (all threads) when its first response arrived. */
  firstResponseCpuMs: number;
  readBytes: number;
  readRequests: number;
  chunks: number;
  residentBytes: number;
}

/** What the Lambda-like section can build variants from; a missing peer leaves its variants out. */
export interface LambdaLikeSources {
  binary: string;
  /** dist/node26/bootstrap, if built (make bootstrap NODE=26). */
  binary26?: string | undefined;
  /** dist/wrapper-layer (the layer's /opt tree), if built. */
  wrapperLayer: string | undefined;
  ricDir: string | undefined;
  bun: string | undefined;
}

function placed(id: string, entries: [string, string][]): PlacedFile[] {
  return entries.map(([target, source]) => ({ source, target: join(id, target) }));
}

function functionFiles(): [string, string][] {
  return [['var/task/index.mjs', join(FUNCTION_DIR, 'index.mjs')]];
}

/** One variant: its files placed under `<tree>/` on the device; bench/lambda-like-realistic.ts builds its own with it. */
export function variant(
  id: string,
  label: string,
  flavour: Flavour,
  packaging: Packaging,
  entries: [string, string][],
  launch: (root: string) => Launch,
  tree = id,
): LambdaLikeVariant {
  const files = placed(tree, entries);
  return {
    id,
    tree,
    label,
    flavour,
    packaging,
    files,
    unpackedBytes: files.reduce((sum, f) => sum + statSync(f.source).size, 0),
    launch: (root) => ({ ...launch(root), taskRoot: join(root, 'var', 'task') }),
  };
}

/**
 * The variants of one run. zip-like: the package is what the user uploads (function + layer);
 * image-like: the whole image (for the managed runtime that includes node and AWS's client).
 */
export function lambdaLikeVariants(sources: LambdaLikeSources): LambdaLikeVariant[] {
  const variants: LambdaLikeVariant[] = [];
  const binary = (packaging: Packaging): LambdaLikeVariant =>
    variant(
      `binary-${packaging}`,
      `dist/bootstrap (${packaging}-like)`,
      'binary',
      packaging,
      [['opt/bootstrap', sources.binary], ...functionFiles()],
      (root) => ({ command: join(root, 'opt', 'bootstrap'), args: [] }),
      'binary',
    );
  variants.push(binary('zip'), binary('image'));
  const node26 = sources.binary26;
  if (node26 !== undefined) {
    // The same packages with the Node 26 binary (make bootstrap NODE=26, issue 21).
    const binary26 = (packaging: Packaging): LambdaLikeVariant =>
      variant(
        `binary26-${packaging}`,
        `dist/node26/bootstrap (${packaging}-like)`,
        'binary26',
        packaging,
        [['opt/bootstrap', node26], ...functionFiles()],
        (root) => ({ command: join(root, 'opt', 'bootstrap'), args: [] }),
        'binary26',
      );
    variants.push(binary26('zip'), binary26('image'));
  }
  if (sources.wrapperLayer !== undefined) {
    const layer = sources.wrapperLayer;
    const layerFiles: [string, string][] = [
      ['opt/lambda-bootstrap-wrapper', join(layer, 'lambda-bootstrap-wrapper')],
      ['opt/lambda-bootstrap/bootstrap.js', join(layer, 'lambda-bootstrap', 'bootstrap.js')],
      ['opt/lambda-bootstrap/package.json', join(layer, 'lambda-bootstrap', 'package.json')],
    ];
    // The managed node and its runtime directory are warm (the runtime image); only the layer and
    // the function are the package.
    variants.push(
      variant('wrapper-zip', 'wrapper layer on managed node (zip-like)', 'wrapper', 'zip', [...layerFiles, ...functionFiles()], (root) => ({
        command: MANAGED_BOOTSTRAP,
        args: [],
        env: managedEnv(PINNED_NODE, sources.ricDir ?? join(root, 'var', 'runtime'), join(root, 'opt', 'lambda-bootstrap-wrapper')),
      })),
    );
  }
  if (sources.wrapperLayer !== undefined) {
    // A nodejs24.x container image with the wrapper layer copied in: node is in the image, so cold;
    // AWS's client is there too but never read. Beside binary-image it shows what the single
    // executable adds to the chunks touched, over plain node running the same bundle.
    const layer = sources.wrapperLayer;
    variants.push(
      variant(
        'wrapper-image',
        'wrapper layer in a nodejs24.x image (image-like)',
        'wrapper',
        'image',
        [
          ['var/lang/bin/node', PINNED_NODE],
          ['opt/lambda-bootstrap-wrapper', join(layer, 'lambda-bootstrap-wrapper')],
          ['opt/lambda-bootstrap/bootstrap.js', join(layer, 'lambda-bootstrap', 'bootstrap.js')],
          ['opt/lambda-bootstrap/package.json', join(layer, 'lambda-bootstrap', 'package.json')],
          ...functionFiles(),
        ],
        (root) => ({
          command: MANAGED_BOOTSTRAP,
          args: [],
          env: managedEnv(join(root, 'var', 'lang', 'bin', 'node'), join(root, 'var', 'runtime'), join(root, 'opt', 'lambda-bootstrap-wrapper')),
        }),
        'nodejs-image',
      ),
    );
  }
  // The floor of every managed-node row: the same bootstrap script and node, and a runtime client
  // that does nothing but one exchange (bench/managed-floor/index.mjs, as /var/runtime/index.mjs).
  // No runtime started by the managed bootstrap can answer sooner; warm, like AWS's client.
  variants.push(
    variant('floor-zip', 'floor: managed bootstrap + node + a minimal client (zip-like)', 'floor', 'zip', functionFiles(), () => ({
      command: MANAGED_BOOTSTRAP,
      args: [],
      env: managedEnv(PINNED_NODE, MANAGED_FLOOR_DIR),
    })),
  );
  // Node's own start in an image (issue 25: what part of the image-like gap to Bun is node's):
  // node, cold in the image, started directly on the same minimal client, no bootstrap script.
  variants.push(
    variant(
      'floor-image',
      'floor: node + a minimal client (image-like)',
      'floor',
      'image',
      [['var/lang/bin/node', PINNED_NODE], ['var/runtime/index.mjs', join(MANAGED_FLOOR_DIR, 'index.mjs')], ...functionFiles()],
      (root) => ({ command: join(root, 'var', 'lang', 'bin', 'node'), args: [join(root, 'var', 'runtime', 'index.mjs')] }),
    ),
  );
  if (sources.ricDir !== undefined) {
    const ric = sources.ricDir;
    variants.push(
      variant('ric-zip', 'aws-lambda-ric, managed nodejs24.x (zip-like)', 'ric', 'zip', functionFiles(), () => ({
        command: MANAGED_BOOTSTRAP,
        args: [],
        env: managedEnv(PINNED_NODE, ric),
      })),
      // A nodejs24.x container image: node and AWS's client come with the image, so they are cold too.
      variant(
        'ric-image',
        'aws-lambda-ric, nodejs24.x image (image-like)',
        'ric',
        'image',
        [
          ['var/lang/bin/node', PINNED_NODE],
          ['var/runtime/index.mjs', join(ric, 'index.mjs')],
          ['var/runtime/rapid-client.node', join(ric, 'rapid-client.node')],
          ...functionFiles(),
        ],
        (root) => ({ command: MANAGED_BOOTSTRAP, args: [], env: managedEnv(join(root, 'var', 'lang', 'bin', 'node'), join(root, 'var', 'runtime')) }),
        'nodejs-image',
      ),
    );
  }
  if (sources.bun !== undefined) {
    const bun = sources.bun;
    for (const packaging of ['zip', 'image'] as const) {
      variants.push(
        variant(
          `bun-${packaging}`,
          `bun --compile bootstrap.ts (${packaging}-like)`,
          'bun',
          packaging,
          [['opt/bootstrap', bun], ...functionFiles()],
          (root) => ({ command: join(root, 'opt', 'bootstrap'), args: [] }),
          'bun',
        ),
      );
    }
  }
  return variants;
}

interface Residency {
  chunks: number;
  residentBytes: number;
}

/** 512 KiB chunks with a resident page, summed over `files` (bench/mincore.c). */
export function residency(mincore: string, files: string[]): Residency {
  const out = execFileSync(mincore, files, { encoding: 'utf8' });
  let chunks = 0;
  let residentBytes = 0;
  for (const line of out.trim().split('\n')) {
    const [, pages, list] = line.split(' ');
    residentBytes += Number(pages) * PAGE_BYTES;
    if (list !== undefined && list !== '-') chunks += list.split(',').length;
  }
  return { chunks, residentBytes };
}

/** Indices of the 512 KiB chunks of `file` with a resident page (bench/mincore.c). */
export function residentChunks(mincore: string, file: string): number[] {
  const [, , list] = execFileSync(mincore, [file], { encoding: 'utf8' }).trim().split(' ');
  return list === undefined || list === '-' ? [] : list.split(',').map(Number);
}

/** One Lambda-like cold start of `v`: mount cold, start, first response, count, kill, unmount. */
export async function measureLambdaLike(
  v: LambdaLikeVariant,
  device: PackageDevice,
  api: LeanRuntimeApi,
  mincore: string,
  inspect?: (mountDir: string) => void,
): Promise<LambdaLikeSample> {
  const runtime: Runtime = {
    id: v.id,
    label: v.label,
    role: 'ours',
    files: {},
    launch: () => {
      throw new Error('Lambda-like variants launch from the package device');
    },
    env: {},
    artifact: { bytes: v.unpackedBytes, what: 'package', layerZipBytes: undefined },
  };
  return device.cold(READ_AHEAD_KIB[v.packaging], async (mountDir) => {
    const root = join(mountDir, v.tree);
    const before = device.stat();
    const files = v.files.map((f) => join(mountDir, f.target));
    const r = await measureStartFrom(runtime, v.launch(root), api, () => device.stat());
    const seen = residency(mincore, files);
    inspect?.(mountDir);
    return {
      firstNextMs: r.firstNextMs,
      firstResponseMs: r.firstResponseMs,
      firstResponseCpuMs: r.firstResponseCpuMs,
      readBytes: r.observed.bytes - before.bytes,
      readRequests: r.observed.reads - before.reads,
      chunks: seen.chunks,
      residentBytes: seen.residentBytes,
    };
  });
}

/** For the report: which files a variant's package holds, by name. */
export function packageListing(v: LambdaLikeVariant): string {
  const names = v.files.map((f) => f.target.slice(v.tree.length + 1) || basename(f.source));
  // A function's node_modules (or packaged cache) is thousands of files: one entry with its count.
  const folded = new Map<string, number>();
  const out: string[] = [];
  for (const name of names) {
    const folder = /^(.*?(?:node_modules|\.lambda-bootstrap))\//.exec(name)?.[1];
    if (folder === undefined) out.push(name);
    else {
      if (!folded.has(folder)) out.push(folder);
      folded.set(folder, (folded.get(folder) ?? 0) + 1);
    }
  }
  return out.map((name) => (folded.has(name) ? `${name}/ (${folded.get(name)} files)` : name)).join(', ');
}
