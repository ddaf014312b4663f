// build/trim-phdr-padding.ts: postject leaves ~1.8 MiB of zeros mapped behind the program header
// table it relocates; the build unmaps them (one 512 KiB chunk fewer at a cold image start).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { trimPhdrPadding } from '../../build/trim-phdr-padding.ts';
import { requireBinary } from './dist-binary.ts';

interface Header {
  type: number;
  offset: number;
  filesz: number;
  memsz: number;
}

function programHeaders(elf: Buffer): { phoff: number; size: number; headers: Header[] } {
  const phoff = Number(elf.readBigUInt64LE(32));
  const phentsize = elf.readUInt16LE(54);
  const phnum = elf.readUInt16LE(56);
  const headers = Array.from({ length: phnum }, (_, i) => {
    const at = phoff + i * phentsize;
    return { type: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 8)), filesz: Number(elf.readBigUInt64LE(at + 32)), memsz: Number(elf.readBigUInt64LE(at + 40)) };
  });
  return { phoff, size: phentsize * phnum, headers };
}

describe('dist/bootstrap program headers', () => {
  it('the segment holding the relocated program header table ends at the table: no padding mapped', () => {
    const elf = readFileSync(requireBinary());
    const { phoff, size, headers } = programHeaders(elf);
    const phdr = headers.find((h) => h.type === 6);
    expect(phdr).toMatchObject({ offset: phoff, filesz: size, memsz: size });
    const load = headers.find((h) => h.type === 1 && h.offset <= phoff && phoff < h.offset + h.filesz);
    expect(load, 'a PT_LOAD must still map the program headers').toBeDefined();
    expect(load!.offset + load!.filesz).toBe(phoff + size);
    // Running it again changes nothing.
    expect(trimPhdrPadding(Buffer.from(elf))).toEqual({ trimmedBytes: 0 });
  });

  it('leaves a file alone when the bytes behind the table are not zeros', () => {
    const elf = Buffer.from(readFileSync(requireBinary()));
    const { phoff, size, headers } = programHeaders(elf);
    const load = headers.find((h) => h.type === 1 && h.offset <= phoff && phoff < h.offset + h.filesz)!;
    const at = phoff + headers.findIndex((h) => h === load) * (size / headers.length);
    elf.writeBigUInt64LE(BigInt(load.filesz + 4096), at + 32);
    elf.writeBigUInt64LE(BigInt(load.filesz + 4096), at + 40);
    elf[phoff + size + 100] = 1;
    expect(trimPhdrPadding(elf)).toEqual({ skipped: 'the bytes after the program header table are not all zero' });
  });
});
