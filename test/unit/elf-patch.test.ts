import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, readElf, readSymbols, readVersionedImports, readVersym } from '../../build/elf.ts';
import { CompatError, patchGlibc } from '../../build/glibc-compat.ts';
import type { PatchReport } from '../../build/glibc-compat.ts';
import { compileFixture, hasCompiler, readelfImports, runProgram } from './elf-fixtures.ts';
import type { Variant } from './elf-fixtures.ts';

let dir = '';
const built = new Map<Variant, string>();
const fixture = (variant: Variant): string => {
  if (!built.has(variant)) built.set(variant, compileFixture(dir, variant));
  return built.get(variant)!;
};

/** Patches a copy of a fixture on disk and returns its path and the report. */
function patchedCopy(variant: Variant, name = `${variant}.patched`): { path: string; report: PatchReport } {
  const path = join(dir, name);
  copyFileSync(fixture(variant), path);
  const buffer = readFileSync(path);
  const report = patchGlibc(buffer);
  if (report instanceof Error) throw report;
  writeFileSync(path, buffer);
  return { path, report };
}

function expectRefusal(variant: Variant): CompatError | ElfError {
  const original = readFileSync(fixture(variant));
  const buffer = Buffer.from(original);
  const result = patchGlibc(buffer);
  if (!(result instanceof Error)) throw new Error(`expected ${variant} to be refused, got ${JSON.stringify(result)}`);
  // All or nothing: a refused binary is left byte-for-byte as it was.
  expect(buffer.equals(original)).toBe(true);
  return result;
}

describe.skipIf(!hasCompiler)('glibc compatibility patch on compiled fixtures (needs cc)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elf-patch-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the same versioned imports as readelf', () => {
    const path = fixture('node-like');
    const elf = readElf(readFileSync(path));
    if (elf instanceof ElfError) throw elf;
    const ours = new Map(readVersionedImports(elf).map((i) => [`${i.symbol.name}@${i.version.name}`, i.library]));
    const theirs = [...readelfImports(path).keys()].filter((k) => k.includes('@'));
    expect([...ours.keys()].sort()).toEqual(theirs.sort());
    expect(ours.get('fcntl64@GLIBC_2.28')).toBe('libc.so.6');
    expect(ours.get('powf@GLIBC_2.27')).toBe('libm.so.6');
  });

  it('rewrites every import above 2.26 and the result checks out with readelf', () => {
    const { path, report } = patchedCopy('node-like');
    expect(report.highestGlibcBefore).toBe('GLIBC_2.28');
    expect(report.highestGlibcAfter).toBe('GLIBC_2.2.5');
    expect(report.changes).toContain('fcntl64@GLIBC_2.28 -> fcntl@GLIBC_2.2.5 (libc.so.6)');
    expect(report.changes).toContain('powf@GLIBC_2.27 -> powf@GLIBC_2.2.5 (libm.so.6)');
    expect(report.changes).toContain('memfd_create@GLIBC_2.27 -> unversioned, made weak');
    expect(report.changes).toContain('unlinked version requirement libc.so.6 GLIBC_2.28');

    const imports = readelfImports(path);
    expect(imports.get('fcntl@GLIBC_2.2.5')).toBe('GLOBAL');
    expect(imports.get('powf@GLIBC_2.2.5')).toBe('GLOBAL');
    expect(imports.get('expf@GLIBC_2.2.5')).toBe('GLOBAL');
    expect(imports.get('memfd_create')).toBe('WEAK');
    for (const pkey of ['pkey_alloc', 'pkey_free', 'pkey_get', 'pkey_set', 'pkey_mprotect']) expect(imports.get(pkey)).toBe('WEAK');

    const versionR = spawnSync('readelf', ['-V', '-W', path], { encoding: 'utf8' });
    expect(versionR.status).toBe(0);
    expect(versionR.stdout).not.toMatch(/GLIBC_2\.2[78]|corrupt/);
    expect(versionR.stdout).toMatch(/File: libc\.so\.6\s+Cnt: 1/);
    expect(versionR.stdout).toMatch(/File: libm\.so\.6\s+Cnt: 1/);
  });

  it('the dynamic loader on this machine still runs the patched program, with the same output', () => {
    const { path } = patchedCopy('node-like', 'run-check');
    expect(runProgram(path, ['memfd'])).toBe(runProgram(fixture('node-like'), ['memfd']));
    expect(runProgram(path)).toBe('fcntl=1 powf=8 expf=1 cbrt=3 pkeys=1\n');
  });

  it('is idempotent: a second run changes nothing', () => {
    const { path } = patchedCopy('node-like', 'twice');
    const once = readFileSync(path);
    const again = Buffer.from(once);
    const report = patchGlibc(again);
    if (report instanceof Error) throw report;
    expect(report.changes).toEqual([]);
    expect(again.equals(once)).toBe(true);
  });

  it('uses an existing "fcntl" string in .dynstr without touching the string table', () => {
    const original = readFileSync(fixture('existing-fcntl'));
    const { path } = patchedCopy('existing-fcntl');
    const elf = readElf(readFileSync(path));
    if (elf instanceof ElfError) throw elf;
    const { fileOffset, size } = elf.strtab;
    expect(readFileSync(path).subarray(fileOffset, fileOffset + size).equals(original.subarray(fileOffset, fileOffset + size))).toBe(true);
    const fcntls = readSymbols(elf).filter((s) => s.name === 'fcntl');
    expect(fcntls).toHaveLength(2);
    expect(new Set(fcntls.map((s) => s.nameOffset)).size).toBe(1);
    expect(runProgram(path)).toBe('both=1\n');
  });

  it('refuses imports above the target that have no rule, listing each one', () => {
    const error = expectRefusal('unknown-imports');
    expect(error).toBeInstanceOf(CompatError);
    expect(error.message).toContain('renameat2@GLIBC_2.28 (libc.so.6)');
    expect(error.message).toContain('mlock2@GLIBC_2.27 (libc.so.6)');
    expect(error.message).toContain('no compatibility rule');
  });

  it('refuses statx/copy_file_range imported strongly: their rule (Node 26 imports both weak) only unversions weak imports', () => {
    const error = expectRefusal('strong-weak-rule');
    expect(error).toBeInstanceOf(CompatError);
    expect(error.message).toMatch(/^(statx@GLIBC_2\.28|copy_file_range@GLIBC_2\.27) is expected to be a weak import, but it is not: refusing to make a strong import unversioned$/);
  });

  it('refuses to re-point powf/expf when libm has no GLIBC_2.2.5 entry (it adds none)', () => {
    const error = expectRefusal('no-libm-base');
    expect(error.message).toMatch(/libm\.so\.6 has no GLIBC_2\.2\.5 entry in \.gnu\.version_r/);
  });

  it('refuses to cut "fcntl64" short when another name shares its bytes', () => {
    const error = expectRefusal('shared-tail');
    expect(error.message).toMatch(/cannot rename fcntl64 to fcntl: .*shared with other names/);
  });

  it('counts .dynsym from DT_HASH or DT_GNU_HASH when section headers are gone', () => {
    for (const variant of ['sysv-hash', 'shared-tail'] as const) {
      const buffer = readFileSync(fixture(variant));
      const withHeaders = readElf(buffer);
      if (withHeaders instanceof ElfError) throw withHeaders;
      const stripped = Buffer.from(buffer);
      stripped.writeBigUInt64LE(0n, 40); // e_shoff
      stripped.writeUInt16LE(0, 60); // e_shnum
      const without = readElf(stripped);
      if (without instanceof ElfError) throw without;
      expect(without.symbolCount).toBe(withHeaders.symbolCount);
    }
  });

  it('patches a DT_HASH (sysv) binary the same way', () => {
    const { path, report } = patchedCopy('sysv-hash');
    expect(report.highestGlibcAfter).toBe('GLIBC_2.2.5');
    expect(runProgram(path)).toBe('fcntl=1 powf=8 expf=1 cbrt=3 pkeys=1\n');
  });

  it('refuses non-ELF64 input and machines without a rule table', () => {
    expect(patchGlibc(Buffer.from('#!/bin/sh\necho not elf\n'.padEnd(80)))).toBeInstanceOf(ElfError);
    const elf32 = Buffer.from(readFileSync(fixture('node-like')));
    elf32[4] = 1; // EI_CLASS = ELFCLASS32
    const r32 = patchGlibc(elf32);
    expect(r32).toBeInstanceOf(ElfError);
    expect((r32 as Error).message).toMatch(/not an ELF64 file/);
    const riscv = Buffer.from(readFileSync(fixture('node-like')));
    riscv.writeUInt16LE(243, 18); // e_machine = EM_RISCV
    const rRiscv = patchGlibc(riscv);
    expect(rRiscv).toBeInstanceOf(CompatError);
    expect((rRiscv as Error).message).toBe(
      'unsupported machine: e_machine 243; the glibc rules exist for x86_64 (e_machine 62), aarch64 (e_machine 183)',
    );
    // The aarch64 table needs GLIBC_2.17 entries, which an x86_64 program does not have.
    const arm = Buffer.from(readFileSync(fixture('node-like')));
    arm.writeUInt16LE(183, 18); // e_machine = EM_AARCH64
    const rArm = patchGlibc(arm);
    expect(rArm).toBeInstanceOf(CompatError);
    expect((rArm as Error).message).toMatch(/has no GLIBC_2\.17 entry in \.gnu\.version_r/);
  });

  it('keeps the hidden bit out of version lookups', () => {
    const elf = readElf(readFileSync(fixture('node-like')));
    if (elf instanceof ElfError) throw elf;
    for (const s of readSymbols(elf)) expect(readVersym(elf, s.index)).toBeLessThan(0x8000);
  });
});
