// The layer zip of one architecture, read back with its own small parser of the central
// directory (independent of the zip library) and, when present, with `unzip -Z`. Used by
// test/build/layer-zip.test.ts (x86_64) and test/arm64/layer-zip.test.ts (arm64).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHITECTURES, DIST, TARGETS } from '../../build/arch.ts';
import type { ArchitectureTarget } from '../../build/arch.ts';
import { buildLayer } from '../../build/layer.ts';
import { NODE_LINES, targetFor } from '../../build/node-lines.ts';
import { requireBinary } from './dist-binary.ts';

export type CentralEntry = { name: string; madeBy: number; mode: number; method: number; compressedSize: number; size: number; localOffset: number };

export function readCentralDirectory(zip: Buffer): CentralEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('no end-of-central-directory record');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory signature at ${at}`);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      madeBy: zip.readUInt16LE(at + 4) >> 8,
      mode: zip.readUInt32LE(at + 38) >>> 16,
      method: zip.readUInt16LE(at + 10),
      compressedSize: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      localOffset: zip.readUInt32LE(at + 42),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** dist/SHA256SUMS as name → hash; empty when there is none. */
function checksums(): Map<string, string> {
  const file = resolve(DIST, 'SHA256SUMS');
  if (!existsSync(file)) return new Map();
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return new Map(lines.map((line) => [line.slice(line.indexOf('  ') + 2), line.slice(0, line.indexOf('  '))]));
}

/**
 * True when the zip holds the binary as it is now and SHA256SUMS lists both and verifies (a
 * binary rebuilt since `make layer`, of either architecture, makes the files stale).
 */
function upToDate(target: ArchitectureTarget): boolean {
  const zipPath = resolve(DIST, target.layerZip);
  if (!existsSync(zipPath)) return false;
  const binary = readFileSync(resolve(DIST, target.binary));
  const zip = readFileSync(zipPath);
  const [entry] = readCentralDirectory(zip);
  const centralAt = zip.readUInt32LE(zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06])) + 16);
  if (entry?.size !== binary.length || zip.readUInt32LE(centralAt + 16) !== crc32(binary)) return false;
  const sums = checksums();
  if (!sums.has(target.binary) || !sums.has(target.layerZip)) return false;
  return spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: DIST }).status === 0;
}

export function describeLayerZip(target: ArchitectureTarget): void {
  const zipPath = resolve(DIST, target.layerZip);
  const binaryPath = resolve(DIST, target.binary);

  describe(`dist/${target.layerZip}`, () => {
    beforeAll(async () => {
      requireBinary(binaryPath);
      // `make test` does not run `make layer`; build the zip here if it is missing or stale.
      if (!upToDate(target)) {
        const r = await buildLayer(target);
        if (r instanceof Error) throw r;
      }
    }, 120_000);

    it('is named after its architecture (and its Node line, past the default), and no unqualified bootstrap-layer.zip is left to mix up', () => {
      // dist/bootstrap → bootstrap-layer-<arch>.zip; dist/node26/… → bootstrap-node26-layer-<arch>.zip (issue 21).
      const line = /^node(\d+)\//.exec(target.binary)?.[1];
      expect(target.layerZip).toBe(line === undefined ? `bootstrap-layer-${target.name}.zip` : `bootstrap-node${line}-layer-${target.name}.zip`);
      expect(existsSync(resolve(DIST, 'bootstrap-layer.zip'))).toBe(false);
      const names = NODE_LINES.flatMap((l) => ARCHITECTURES.map((arch) => targetFor(arch, l).layerZip));
      expect(new Set(names).size).toBe(names.length);
      expect(names).toEqual(expect.arrayContaining(ARCHITECTURES.map((arch) => TARGETS[arch].layerZip)));
    });

    it('holds exactly bootstrap, at the root, Unix mode 0755, under 50 MB', () => {
      const zip = readFileSync(zipPath);
      expect(zip.length).toBeLessThan(50 * 1024 * 1024);
      const entries = readCentralDirectory(zip);
      expect(entries.map((e) => e.name)).toEqual(['bootstrap']);
      const [entry] = entries;
      expect(entry!.madeBy).toBe(3); // Unix
      expect(entry!.mode.toString(8)).toBe('100755');
      expect(entry!.method).toBe(8);
    });

    it(`unpacks to the very bytes of dist/${target.binary}, an ELF file for ${target.name}`, () => {
      const zip = readFileSync(zipPath);
      const [entry] = readCentralDirectory(zip);
      const local = entry!.localOffset;
      const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = inflateRawSync(zip.subarray(dataAt, dataAt + entry!.compressedSize));
      expect(data.length).toBe(entry!.size);
      expect(sha256(data)).toBe(sha256(readFileSync(binaryPath)));
      expect(data.readUInt32BE(0)).toBe(0x7f454c46);
      expect(data.readUInt16LE(18), 'e_machine').toBe(target.machine);
    }, 60_000);

    it('SHA256SUMS lists the binary and the zip, and verifies with sha256sum -c', () => {
      expect([...checksums().keys()]).toEqual(expect.arrayContaining([target.binary, target.layerZip]));
      const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: DIST, encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout.split('\n')).toEqual(expect.arrayContaining([`${target.binary}: OK`, `${target.layerZip}: OK`]));
    });

    it.skipIf(spawnSync('unzip', ['-v']).status !== 0)('unzip -Z agrees: -rwxr-xr-x, unx', () => {
      const r = spawnSync('unzip', ['-Z', zipPath], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^-rwxr-xr-x\s+\S+\s+unx\s+\d+\s+\S+\s+defN\s+.*\sbootstrap$/m);
    });
  });
}
