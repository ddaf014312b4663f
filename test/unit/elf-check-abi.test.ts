import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAbi, exportListsDir } from '../../build/check-abi.ts';
import { ElfError, STB_GLOBAL, readElf, readSymbols, writeSymbolBinding } from '../../build/elf.ts';
import { patchGlibc } from '../../build/glibc-compat.ts';
import { compileFixture, hasCompiler } from './elf-fixtures.ts';

const lists = exportListsDir();

describe.skipIf(!hasCompiler)('ABI check against the Amazon Linux 2 export lists (needs cc)', () => {
  let dir = '';
  let original = Buffer.alloc(0);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elf-abi-'));
    original = readFileSync(compileFixture(dir, 'node-like'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists every import and version requirement Amazon Linux 2 lacks', () => {
    const report = checkAbi(original, lists);
    if (report instanceof ElfError) throw report;
    expect(report.highestGlibc).toBe('GLIBC_2.28');
    expect(report.offenders).toContain('fcntl64@GLIBC_2.28 (libc.so.6): not exported on Amazon Linux 2');
    expect(report.offenders).toContain('powf@GLIBC_2.27 (libm.so.6): not exported on Amazon Linux 2');
    expect(report.offenders).toContain('GLIBC_2.28 (libc.so.6): version not defined on Amazon Linux 2');
    expect(report.offenders).toContain('GLIBC_2.27 (libc.so.6): above the Amazon Linux 2 ceiling');
  });

  it('passes once patched', () => {
    const patched = Buffer.from(original);
    const r = patchGlibc(patched);
    if (r instanceof Error) throw r;
    const report = checkAbi(patched, lists);
    if (report instanceof ElfError) throw report;
    expect(report.offenders).toEqual([]);
    expect(report.highestGlibc).toBe('GLIBC_2.2.5');
  });

  it('catches a strong unversioned import that no Amazon Linux 2 library defines', () => {
    const patched = Buffer.from(original);
    if (patchGlibc(patched) instanceof Error) throw new Error('patch failed');
    const elf = readElf(patched);
    if (elf instanceof ElfError) throw elf;
    const memfd = readSymbols(elf).find((s) => s.name === 'memfd_create')!;
    writeSymbolBinding(elf, memfd, STB_GLOBAL);
    const report = checkAbi(patched, lists);
    if (report instanceof ElfError) throw report;
    expect(report.offenders).toEqual(['memfd_create (unversioned, strong): no needed library exports it on Amazon Linux 2']);
  });
});
