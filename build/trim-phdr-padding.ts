// After postject: give back the zero padding postject's ELF writer (LIEF) maps behind the
// program header table it relocates. To make room for one more program header it moves the table
// to the end of the text segment and grows that PT_LOAD (and PT_PHDR) by ~1.8 MiB of zeros up to
// the next segment. Mapped, those zeros are paged in at start by read-around near the end of
// .text: one 512 KiB chunk a container image's lazy loader fetches for nothing (bench/chunk-map.ts:
// 111 → 110 chunks touched by dist/bootstrap's first response). Shrinking both headers to end at
// the table keeps every byte the process uses mapped and the file unchanged otherwise.
// Only ELF64 little-endian; anything unexpected (non-zero padding, memsz ≠ filesz) leaves the file
// alone and says why.
// Usage: node build/trim-phdr-padding.ts <elf-file>
import { readFileSync, writeFileSync } from 'node:fs';

const PT_LOAD = 1;
const PT_PHDR = 6;

export type TrimResult = { trimmedBytes: number } | { skipped: string };

/** Shrinks, in `elf`, the PT_LOAD holding the program headers and PT_PHDR to end at the table. */
export function trimPhdrPadding(elf: Buffer): TrimResult {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return { skipped: 'not an ELF64 little-endian file' };
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  const tableEnd = phoff + phentsize * phnum;
  let load: number | undefined;
  let phdr: number | undefined;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const type = elf.readUInt32LE(at);
    const offset = Number(elf.readBigUInt64LE(at + 8));
    const filesz = Number(elf.readBigUInt64LE(at + 32));
    if (type === PT_PHDR) phdr = at;
    if (type === PT_LOAD && offset <= phoff && tableEnd <= offset + filesz) load = at;
  }
  if (load === undefined || phdr === undefined) return { skipped: 'no PT_PHDR inside a PT_LOAD' };
  const offset = Number(elf.readBigUInt64LE(load + 8));
  const filesz = Number(elf.readBigUInt64LE(load + 32));
  const memsz = Number(elf.readBigUInt64LE(load + 40));
  const end = offset + filesz;
  if (end === tableEnd) return { trimmedBytes: 0 };
  if (memsz !== filesz) return { skipped: `the segment holding the program headers has memsz ${memsz} ≠ filesz ${filesz}` };
  if (elf.subarray(tableEnd, end).some((byte) => byte !== 0)) return { skipped: 'the bytes after the program header table are not all zero' };
  const size = BigInt(tableEnd - offset);
  elf.writeBigUInt64LE(size, load + 32);
  elf.writeBigUInt64LE(size, load + 40);
  elf.writeBigUInt64LE(BigInt(phentsize * phnum), phdr + 32);
  elf.writeBigUInt64LE(BigInt(phentsize * phnum), phdr + 40);
  return { trimmedBytes: end - tableEnd };
}

/** Trims `path` in place; returns what happened, for the build log. */
export function trimPhdrPaddingFile(path: string): string {
  const elf = readFileSync(path);
  const result = trimPhdrPadding(elf);
  if ('skipped' in result) return `left as is: ${result.skipped}`;
  if (result.trimmedBytes === 0) return 'no padding behind the program headers';
  writeFileSync(path, elf);
  return `${(result.trimmedBytes / 1024).toFixed(0)} KiB of zero padding behind the program headers no longer mapped`;
}

if (import.meta.main) {
  const path = process.argv[2];
  if (path === undefined) {
    console.error('usage: node build/trim-phdr-padding.ts <elf-file>');
    process.exitCode = 2;
  } else {
    console.log(`trim-phdr-padding: ${path}: ${trimPhdrPaddingFile(path)}`);
  }
}
