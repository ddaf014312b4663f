// Makes an official Node.js 25+ binary load without libatomic.so.1, which provided.al2 and
// provided.al2023 do not carry (docs/node-versions.md has the sources). Node's Linux binaries are
// built with clang since 25, and clang calls libatomic's generic
// `__atomic_compare_exchange(size, ptr, expected, desired, success, failure)` for a
// std::atomic<T> whose T is only 4-byte aligned (V8's WasmCodePointerTable freelist head, 8 bytes),
// although libstdc++ gives the object 8-byte alignment. libatomic then takes its lock-free path:
// one `lock cmpxchg` (x86_64) or an exclusive load/store pair (arm64).
//
// The binary is changed so that it never asks for libatomic:
//   1. the same lock-free compare-and-swap, 64 (x86_64) or 140 (arm64) bytes of machine code (build/atomic-shim/*.S),
//      is written into the zero padding after the end of the executable PT_LOAD, which grows to
//      cover it (the bytes were already mapped: same page);
//   2. the symbol's PLT entry jumps there directly instead of through its GOT slot;
//   3. the symbol becomes weak and unversioned (its GOT slot resolves to 0 and is never read),
//      and libatomic.so.1's DT_NEEDED entry and version requirement are removed.
// Other sizes or alignments (which would need libatomic's lock table) stop the process with an
// illegal instruction instead of running non-atomically; all of Node 26's callers pass size 8.
// A second run changes nothing. Hand-written because no ELF tool on npm edits a PLT entry; the
// shim's bytes are checked against its assembly source by test/build/libatomic-compat.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import {
  DT_NEEDED,
  EM_AARCH64,
  EM_X86_64,
  ElfError,
  STB_WEAK,
  VER_NDX_GLOBAL,
  readCString,
  readElf,
  readSymbols,
  readVersionedImports,
  readVersym,
  relinkVerneed,
  vaddrToOffset,
  writeSymbolBinding,
  writeVersym,
} from './elf.ts';
import type { ElfFile } from './elf.ts';

export const LIBATOMIC = 'libatomic.so.1';
export const CAS_SYMBOL = '__atomic_compare_exchange';

/** build/atomic-shim/x86_64.S and aarch64.S, assembled (build/atomic-shim/assemble.sh). */
export const SHIM_CODE: Record<number, Buffer> = {
  [EM_X86_64]: Buffer.from(
    '4883ff08741e4883ff04753240f6c603752c8b02448b11f0440fb116740289020f94c0c340f6c6077514488b024c8b11f04c0fb11674034889020f94c0c30f0b',
    'hex',
  ),
  [EM_AARCH64]: Buffer.from(
    '1f2000f1400200541f1000f1e10300543f0440f2a1030054440040b9650040b926fc5f88df00046ba100005425fc078887ffff3520008052c0035fd65f3f03d5460000b900008052c0035fd63f0840f2c1010054440040f9650040f926fc5fc8df0004eba100005425fc07c887ffff3520008052c0035fd65f3f03d5460000f900008052c0035fd600000000',
    'hex',
  ),
};

const PT_LOAD = 1;
const PF_X = 1;
const DT_NULL = 0;
const DT_JMPREL = 23;
const DT_PLTRELSZ = 2;
const R_X86_64_JUMP_SLOT = 7;
const R_AARCH64_JUMP_SLOT = 1026;
const SHIM_ALIGN = 16;
const PAGE = 0x1000;

export class AtomicCompatError extends Error {
  override readonly name = 'AtomicCompatError';
}

export type AtomicReport = {
  /** One line per change; empty when the binary did not need libatomic (or was already patched). */
  changes: string[];
  /** Where the shim lives, when the binary has one. */
  shimAddress: number | undefined;
};

type ProgramHeader = { at: number; type: number; flags: number; offset: number; vaddr: number; filesz: number; memsz: number };

function programHeaders(buf: Buffer): ProgramHeader[] {
  const phoff = Number(buf.readBigUInt64LE(32));
  const size = buf.readUInt16LE(54);
  const count = buf.readUInt16LE(56);
  return Array.from({ length: count }, (_, i) => {
    const at = phoff + i * size;
    return {
      at,
      type: buf.readUInt32LE(at),
      flags: buf.readUInt32LE(at + 4),
      offset: Number(buf.readBigUInt64LE(at + 8)),
      vaddr: Number(buf.readBigUInt64LE(at + 16)),
      filesz: Number(buf.readBigUInt64LE(at + 32)),
      memsz: Number(buf.readBigUInt64LE(at + 40)),
    };
  });
}

/** The GOT slot that the symbol's JUMP_SLOT relocation fills (DT_JMPREL, Elf64_Rela entries). */
function gotSlotOf(elf: ElfFile, symbolIndex: number): number | undefined {
  const jmprel = elf.dynamic.find((d) => d.tag === DT_JMPREL);
  const size = elf.dynamic.find((d) => d.tag === DT_PLTRELSZ);
  if (jmprel === undefined || size === undefined) return undefined;
  const start = vaddrToOffset(elf.loads, jmprel.value);
  const jumpSlot = elf.machine === EM_X86_64 ? R_X86_64_JUMP_SLOT : R_AARCH64_JUMP_SLOT;
  for (let at = start; at < start + size.value; at += 24) {
    const info = elf.buffer.readBigUInt64LE(at + 8);
    if (Number(info >> 32n) === symbolIndex && Number(info & 0xffffffffn) === jumpSlot) return Number(elf.buffer.readBigUInt64LE(at));
  }
  return undefined;
}

/** Where a PLT entry's first instruction sends control, if it is one this tool recognises. */
function pltTarget(machine: number, buf: Buffer, offset: number, vaddr: number): { got: number } | { direct: number } | undefined {
  if (machine === EM_X86_64) {
    // jmp *disp32(%rip) → the GOT slot; jmp rel32 (+ nop) → our patch.
    if (buf[offset] === 0xff && buf[offset + 1] === 0x25) return { got: vaddr + 6 + buf.readInt32LE(offset + 2) };
    if (buf[offset] === 0xe9 && buf[offset + 5] === 0x90) return { direct: vaddr + 5 + buf.readInt32LE(offset + 1) };
    return undefined;
  }
  const first = buf.readUInt32LE(offset);
  if ((first & 0xfc000000) >>> 0 === 0x14000000) return { direct: vaddr + signExtend(first & 0x3ffffff, 26) * 4 };
  // adrp x16, page; ldr x17, [x16, #off] (then add x16, x16, #off; br x17).
  const second = buf.readUInt32LE(offset + 4);
  if ((first & 0x9f00001f) >>> 0 !== 0x90000010 || (second & 0xffc003ff) >>> 0 !== 0xf9400211) return undefined;
  const page = signExtend((((first >>> 5) & 0x7ffff) << 2) | ((first >>> 29) & 3), 21) * PAGE;
  return { got: Math.floor(vaddr / PAGE) * PAGE + page + ((second >>> 10) & 0xfff) * 8 };
}

function signExtend(value: number, bits: number): number {
  return value >= 2 ** (bits - 1) ? value - 2 ** bits : value;
}

/** The executable PT_LOAD segment containing `vaddr`. */
function executableLoadAt(phdrs: ProgramHeader[], vaddr: number): ProgramHeader | undefined {
  return phdrs.find((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0 && vaddr >= p.vaddr && vaddr < p.vaddr + p.memsz);
}

/**
 * Finds the PLT entry of `__atomic_compare_exchange`: the 16-byte-aligned stub in an executable
 * segment whose first instructions load the symbol's GOT slot.
 */
function findPltEntry(elf: ElfFile, got: number, phdrs: ProgramHeader[]): { offset: number; vaddr: number } | undefined {
  // The PLT sits at the start of the first executable segment (.init, then .plt): scan its first 1 MiB.
  for (const load of phdrs.filter((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0)) {
    const end = Math.min(load.filesz, 1 << 20);
    for (let rel = (SHIM_ALIGN - (load.vaddr % SHIM_ALIGN)) % SHIM_ALIGN; rel + 16 <= end; rel += SHIM_ALIGN) {
      const target = pltTarget(elf.machine, elf.buffer, load.offset + rel, load.vaddr + rel);
      if (target === undefined) continue;
      if ('got' in target && target.got === got) return { offset: load.offset + rel, vaddr: load.vaddr + rel };
    }
  }
  return undefined;
}

function encodeJump(machine: number, from: number, to: number): Buffer | AtomicCompatError {
  const distance = to - from;
  if (machine === EM_X86_64) {
    const rel = distance - 5;
    if (rel < -(2 ** 31) || rel >= 2 ** 31) return new AtomicCompatError(`the shim is out of jmp rel32 range of the PLT entry (${distance} bytes)`);
    const b = Buffer.alloc(6);
    b[0] = 0xe9;
    b.writeInt32LE(rel, 1);
    b[5] = 0x90;
    return b;
  }
  if (distance % 4 !== 0 || distance < -(2 ** 27) || distance >= 2 ** 27) {
    return new AtomicCompatError(`the shim is out of the arm64 branch's ±128 MiB range of the PLT entry (${distance} bytes)`);
  }
  const b = Buffer.alloc(4);
  b.writeUInt32LE((0x14000000 | ((distance / 4) & 0x3ffffff)) >>> 0);
  return b;
}

/** Removes the DT_NEEDED entry for `library`: the entries after it move up one slot, DT_NULL last. */
function removeNeeded(elf: ElfFile, library: string): boolean {
  const index = elf.dynamic.findIndex((d) => d.tag === DT_NEEDED && readCString(elf, d.value) === library);
  if (index < 0) return false;
  const from = elf.dynamic[index]!.fileOffset;
  const nullEntry = elf.dynamic.find((d) => d.tag === DT_NULL);
  const end = (nullEntry ?? elf.dynamic[elf.dynamic.length - 1]!).fileOffset + 16;
  elf.buffer.copy(elf.buffer, from, from + 16, end);
  elf.buffer.fill(0, end - 16, end);
  return true;
}

/**
 * Patches `buffer` in place so it needs no libatomic (see the header). Returns the changes, none
 * when the binary does not link libatomic or is already patched. Errors: an ElfError for a
 * corrupt file; an AtomicCompatError, before anything is changed, when the binary imports more
 * of libatomic than `__atomic_compare_exchange`, its PLT entry is not recognised, or there is no
 * room for the shim.
 */
export function patchLibatomic(buffer: Buffer): AtomicReport | ElfError | AtomicCompatError {
  const elf = readElf(buffer);
  if (elf instanceof ElfError) return elf;
  const code = SHIM_CODE[elf.machine];
  if (code === undefined || code.length === 0) return new AtomicCompatError(`no compare-and-swap shim for e_machine ${elf.machine}`);
  const needed = elf.dynamic.some((d) => d.tag === DT_NEEDED && readCString(elf, d.value) === LIBATOMIC);
  const imports = readVersionedImports(elf).filter((i) => i.library === LIBATOMIC);
  const unsupported = imports.filter((i) => i.symbol.name !== CAS_SYMBOL);
  if (unsupported.length > 0) {
    return new AtomicCompatError(
      `the binary imports from ${LIBATOMIC} more than ${CAS_SYMBOL}, which is all this tool replaces:\n  ` +
        unsupported.map((i) => `${i.symbol.name}@${i.version.name}`).join('\n  '),
    );
  }
  if (!needed && imports.length === 0) {
    const verify = verifyLibatomicFree(buffer);
    if (verify instanceof Error) return verify;
    return { changes: [], shimAddress: verify.shimAddress };
  }
  const imp = imports[0];
  if (imp === undefined) return new AtomicCompatError(`${LIBATOMIC} is needed but nothing is imported from it with a version: unexpected, refusing`);

  const got = gotSlotOf(elf, imp.symbol.index);
  if (got === undefined) return new AtomicCompatError(`${CAS_SYMBOL} has no JUMP_SLOT relocation: it is not called through the PLT, refusing`);
  const phdrs = programHeaders(buffer);
  const plt = findPltEntry(elf, got, phdrs);
  if (plt === undefined) return new AtomicCompatError(`no recognised PLT entry loads the GOT slot 0x${got.toString(16)} of ${CAS_SYMBOL}`);

  // The shim goes right after the executable segment's last byte, inside the page already mapped.
  const text = executableLoadAt(phdrs, plt.vaddr);
  if (text === undefined || text.filesz !== text.memsz) return new AtomicCompatError('the PLT is not in an executable PT_LOAD whose file and memory sizes agree');
  const pad = (SHIM_ALIGN - ((text.vaddr + text.filesz) % SHIM_ALIGN)) % SHIM_ALIGN;
  const shimOffset = text.offset + text.filesz + pad;
  const shimAddress = text.vaddr + text.filesz + pad;
  const newSize = text.filesz + pad + code.length;
  const samePage = Math.floor((shimAddress + code.length - 1) / PAGE) === Math.floor((text.vaddr + text.filesz - 1) / PAGE);
  const clash = phdrs.some((p) => p.type === PT_LOAD && p !== text && p.offset < shimOffset + code.length && p.offset + p.filesz > text.offset + text.filesz);
  const padding = buffer.subarray(text.offset + text.filesz, shimOffset + code.length);
  if (!samePage || clash || padding.some((b) => b !== 0)) {
    return new AtomicCompatError(`no ${code.length} zero bytes after the executable segment (file offset 0x${shimOffset.toString(16)}) in its last page for the shim`);
  }
  const jump = encodeJump(elf.machine, plt.vaddr, shimAddress);
  if (jump instanceof AtomicCompatError) return jump;

  // Everything checked: apply.
  code.copy(buffer, shimOffset);
  buffer.writeBigUInt64LE(BigInt(newSize), text.at + 32);
  buffer.writeBigUInt64LE(BigInt(newSize), text.at + 40);
  jump.copy(buffer, plt.offset);
  writeSymbolBinding(elf, imp.symbol, STB_WEAK);
  writeVersym(elf, imp.symbol.index, VER_NDX_GLOBAL);
  relinkVerneed(elf, (need) => need.file !== LIBATOMIC);
  const changes = [
    `${CAS_SYMBOL}: ${code.length}-byte lock-free shim at 0x${shimAddress.toString(16)} (executable segment grown by ${pad + code.length} bytes)`,
    `${CAS_SYMBOL}@plt (0x${plt.vaddr.toString(16)}) -> jumps to the shim`,
    `${CAS_SYMBOL}@${imp.version.name} -> unversioned, made weak`,
    `unlinked version requirement ${LIBATOMIC} ${imp.version.name}`,
  ];
  const after = readElf(buffer);
  if (after instanceof ElfError) return after;
  if (removeNeeded(after, LIBATOMIC)) changes.push(`removed DT_NEEDED ${LIBATOMIC}`);
  return { changes, shimAddress };
}

/**
 * Checks that a binary needs no libatomic: no DT_NEEDED libatomic.so.1, nothing imported from it,
 * and, if `__atomic_compare_exchange` is still an imported name, its PLT entry jumps to this
 * tool's shim with the expected bytes. Errors: AtomicCompatError saying what is wrong.
 */
export function verifyLibatomicFree(buffer: Buffer): { shimAddress: number | undefined } | AtomicCompatError | ElfError {
  const elf = readElf(buffer);
  if (elf instanceof ElfError) return elf;
  if (elf.dynamic.some((d) => d.tag === DT_NEEDED && readCString(elf, d.value) === LIBATOMIC)) return new AtomicCompatError(`DT_NEEDED ${LIBATOMIC} is still present`);
  if (elf.verneed.some((n) => n.file === LIBATOMIC)) return new AtomicCompatError(`a version requirement on ${LIBATOMIC} is still present`);
  const symbol = readSymbols(elf).find((s) => s.name === CAS_SYMBOL && s.shndx === 0);
  if (symbol === undefined) return { shimAddress: undefined };
  if (symbol.binding !== STB_WEAK || readVersym(elf, symbol.index) !== VER_NDX_GLOBAL) return new AtomicCompatError(`${CAS_SYMBOL} is imported but not weak and unversioned`);
  const got = gotSlotOf(elf, symbol.index);
  const code = SHIM_CODE[elf.machine];
  if (got === undefined || code === undefined) return new AtomicCompatError(`${CAS_SYMBOL} is imported without a PLT entry this tool knows`);
  const phdrs = programHeaders(buffer);
  for (const load of phdrs.filter((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0)) {
    const end = Math.min(load.filesz, 1 << 20);
    for (let rel = (SHIM_ALIGN - (load.vaddr % SHIM_ALIGN)) % SHIM_ALIGN; rel + 16 <= end; rel += SHIM_ALIGN) {
      const target = pltTarget(elf.machine, buffer, load.offset + rel, load.vaddr + rel);
      if (target === undefined || !('direct' in target)) continue;
      const shim = executableLoadAt(phdrs, target.direct);
      if (shim === undefined) continue;
      const at = shim.offset + (target.direct - shim.vaddr);
      if (target.direct + code.length <= shim.vaddr + shim.filesz && buffer.subarray(at, at + code.length).equals(code)) return { shimAddress: target.direct };
    }
  }
  if (findPltEntry(elf, got, phdrs) !== undefined) return new AtomicCompatError(`${CAS_SYMBOL}@plt still jumps through its GOT slot, which nothing fills`);
  return new AtomicCompatError(`${CAS_SYMBOL}@plt does not jump to the compare-and-swap shim`);
}

/** Patches the file at `path` in place; returns the changes. Errors as patchLibatomic, prefixed with the path. */
export function patchLibatomicFile(path: string): AtomicReport | Error {
  const buffer = readFileSync(path);
  const report = patchLibatomic(buffer);
  if (report instanceof Error) return new Error(`${path}: ${report.message}`);
  if (report.changes.length > 0) writeFileSync(path, buffer);
  return report;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const files = argv.filter((a) => a !== '--check');
  if (files.length !== 1) {
    console.error('usage: node build/libatomic-compat.ts <elf-file> [--check]');
    return 2;
  }
  const path = files[0]!;
  if (check) {
    const result = verifyLibatomicFree(readFileSync(path));
    if (result instanceof Error) {
      console.error(`libatomic-compat: ${path}: ${result.message}`);
      return 1;
    }
    console.log(`libatomic-compat: ${path}: needs no ${LIBATOMIC}${result.shimAddress === undefined ? '' : ` (shim at 0x${result.shimAddress.toString(16)})`}`);
    return 0;
  }
  const report = patchLibatomicFile(path);
  if (report instanceof Error) {
    console.error(`libatomic-compat: ${report.message}`);
    return 1;
  }
  for (const change of report.changes) console.log(`libatomic-compat: ${change}`);
  if (report.changes.length === 0) console.log(`libatomic-compat: ${path}: needs no ${LIBATOMIC} (0 changes)`);
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
