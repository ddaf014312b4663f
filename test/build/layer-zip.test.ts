// Reads dist/bootstrap-layer.zip back with its own small parser of the central directory
// (independent of build/zip.ts) and, when present, with `unzip -Z`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildLayer } from '../../build/layer.ts';
import { repoRoot, requireBinary } from './dist-binary.ts';

type CentralEntry = { name: string; madeBy: number; mode: number; method: number; compressedSize: number; size: number; localOffset: number };

function readCentralDirectory(zip: Buffer): CentralEntry[] {
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

const dist = resolve(repoRoot, 'dist');
const zipPath = resolve(dist, 'bootstrap-layer.zip');

describe('dist/bootstrap-layer.zip', () => {
  beforeAll(() => {
    requireBinary();
    // `make test` does not run `make layer`; build it here if it is missing or older than the binary.
    const stale = !existsSync(zipPath) || readFileSync(resolve(dist, 'SHA256SUMS'), 'utf8').split('  ')[0] !== sha256(readFileSync(resolve(dist, 'bootstrap')));
    if (stale) {
      const r = buildLayer(dist);
      if (r instanceof Error) throw r;
    }
  }, 120_000);

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

  it('unpacks to the very bytes of dist/bootstrap', () => {
    const zip = readFileSync(zipPath);
    const [entry] = readCentralDirectory(zip);
    const local = entry!.localOffset;
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = inflateRawSync(zip.subarray(dataAt, dataAt + entry!.compressedSize));
    expect(data.length).toBe(entry!.size);
    expect(sha256(data)).toBe(sha256(readFileSync(resolve(dist, 'bootstrap'))));
  }, 60_000);

  it('SHA256SUMS verifies with sha256sum -c', () => {
    const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dist, encoding: 'utf8' });
    expect(r.stdout).toBe('bootstrap: OK\nbootstrap-layer.zip: OK\n');
  });

  it.skipIf(spawnSync('unzip', ['-v']).status !== 0)('unzip -Z agrees: -rwxr-xr-x, unx', () => {
    const r = spawnSync('unzip', ['-Z', zipPath], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^-rwxr-xr-x\s+\S+\s+unx\s+\d+\s+\S+\s+defN\s+.*\sbootstrap$/m);
  });
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
