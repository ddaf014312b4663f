// A small ELF64 little-endian reader/writer over a Buffer, limited to what the glibc
// compatibility patch and the ABI check need: the dynamic segment and what it points at
// (.dynstr, .dynsym, .gnu.version, .gnu.version_r). Everything is found through PT_DYNAMIC
// rather than section headers, so it works on stripped binaries too.

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;

const DT_NULL = 0;
export const DT_NEEDED = 1;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_SYMENT = 11;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_GNU_HASH = 0x6ffffef5;
const DT_VERSYM = 0x6ffffff0;
const DT_VERDEF = 0x6ffffffc;
const DT_VERDEFNUM = 0x6ffffffd;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;

export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
// GNU extension: one definition process-wide (libstdc++ uses it for some template statics).
export const STB_GNU_UNIQUE = 10;
export const SHN_UNDEF = 0;
// .gnu.version values 0 and 1 mean "local" and "global, unversioned"; bit 15 marks hidden.
export const VER_NDX_GLOBAL = 1;
const VERSYM_HIDDEN = 0x8000;

const SYM_SIZE = 24;
const VERNEED_SIZE = 16;
const VERNAUX_SIZE = 16;

export class ElfError extends Error {
  override readonly name = 'ElfError';
}

export type LoadSegment = { offset: number; vaddr: number; filesz: number };

export type DynamicEntry = { tag: number; value: number; fileOffset: number };

export type DynSymbol = {
  index: number;
  name: string;
  nameOffset: number;
  binding: number;
  type: number;
  shndx: number;
  fileOffset: number;
};

export type VersionAux = {
  name: string;
  nameOffset: number;
  hash: number;
  // vna_other: the number .gnu.version entries use to point at this requirement.
  index: number;
  fileOffset: number;
};

export type VersionNeed = {
  file: string;
  fileNameOffset: number;
  fileOffset: number;
  aux: VersionAux[];
};

export type ElfFile = {
  buffer: Buffer;
  machine: number;
  loads: LoadSegment[];
  dynamic: DynamicEntry[];
  strtab: { fileOffset: number; size: number };
  symtabOffset: number;
  symbolCount: number;
  versymOffset: number | undefined;
  verneed: VersionNeed[];
  verneedOffset: number | undefined;
  sectionHeaders: { offset: number; count: number; entsize: number };
};

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ElfError(`64-bit value at file offset ${at} is too large to handle`);
  }
  return Number(v);
}

function checkRange(buf: Buffer, at: number, size: number, what: string): void {
  if (at < 0 || at + size > buf.length) {
    throw new ElfError(`${what} at file offset ${at} (+${size}) lies outside the file (${buf.length} bytes)`);
  }
}

export function vaddrToOffset(loads: LoadSegment[], vaddr: number): number {
  for (const seg of loads) {
    if (vaddr >= seg.vaddr && vaddr < seg.vaddr + seg.filesz) return seg.offset + (vaddr - seg.vaddr);
  }
  throw new ElfError(`virtual address 0x${vaddr.toString(16)} is not inside any PT_LOAD segment`);
}

export function readCString(elf: Pick<ElfFile, 'buffer' | 'strtab'>, nameOffset: number): string {
  const { fileOffset, size } = elf.strtab;
  if (nameOffset >= size) throw new ElfError(`string offset ${nameOffset} is outside .dynstr (${size} bytes)`);
  const start = fileOffset + nameOffset;
  const end = elf.buffer.indexOf(0, start);
  if (end < 0 || end >= fileOffset + size) throw new ElfError(`string at .dynstr+${nameOffset} is not terminated`);
  return elf.buffer.toString('latin1', start, end);
}

/** Parses the parts of an ELF64 file the patch and the ABI check use. */
export function readElf(buffer: Buffer): ElfFile | ElfError {
  try {
    return parse(buffer);
  } catch (error) {
    if (error instanceof ElfError) return error;
    if (error instanceof RangeError) return new ElfError(`truncated or corrupt ELF file: ${error.message}`);
    throw error;
  }
}

function parse(buffer: Buffer): ElfFile {
  if (buffer.length < 64 || buffer.readUInt32BE(0) !== 0x7f454c46) throw new ElfError('not an ELF file (bad magic)');
  if (buffer[4] !== 2) throw new ElfError('not an ELF64 file (EI_CLASS is not ELFCLASS64); only 64-bit binaries are supported');
  if (buffer[5] !== 1) throw new ElfError('not a little-endian ELF file; only little-endian binaries are supported');
  const machine = buffer.readUInt16LE(18);
  const phoff = u64(buffer, 32);
  const phentsize = buffer.readUInt16LE(54);
  const phnum = buffer.readUInt16LE(56);
  const sectionHeaders = { offset: u64(buffer, 40), entsize: buffer.readUInt16LE(58), count: buffer.readUInt16LE(60) };

  const loads: LoadSegment[] = [];
  let dynamicOffset: number | undefined;
  let dynamicSize = 0;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    checkRange(buffer, at, 56, 'program header');
    const type = buffer.readUInt32LE(at);
    if (type === PT_LOAD) loads.push({ offset: u64(buffer, at + 8), vaddr: u64(buffer, at + 16), filesz: u64(buffer, at + 32) });
    if (type === PT_DYNAMIC) {
      dynamicOffset = u64(buffer, at + 8);
      dynamicSize = u64(buffer, at + 32);
    }
  }
  if (dynamicOffset === undefined) throw new ElfError('no PT_DYNAMIC segment: the binary is statically linked');

  const dynamic: DynamicEntry[] = [];
  for (let at = dynamicOffset; at + 16 <= dynamicOffset + dynamicSize; at += 16) {
    checkRange(buffer, at, 16, 'dynamic entry');
    const tag = u64(buffer, at);
    if (tag === DT_NULL) break;
    dynamic.push({ tag, value: u64(buffer, at + 8), fileOffset: at });
  }
  const find = (tag: number): number | undefined => dynamic.find((d) => d.tag === tag)?.value;
  const need = (tag: number, name: string): number => {
    const v = find(tag);
    if (v === undefined) throw new ElfError(`the dynamic segment has no ${name}`);
    return v;
  };

  const strtab = { fileOffset: vaddrToOffset(loads, need(DT_STRTAB, 'DT_STRTAB')), size: need(DT_STRSZ, 'DT_STRSZ') };
  checkRange(buffer, strtab.fileOffset, strtab.size, '.dynstr');
  const syment = find(DT_SYMENT) ?? SYM_SIZE;
  if (syment !== SYM_SIZE) throw new ElfError(`unexpected DT_SYMENT ${syment} (ELF64 symbols are ${SYM_SIZE} bytes)`);
  const symtabVaddr = need(DT_SYMTAB, 'DT_SYMTAB');
  const symtabOffset = vaddrToOffset(loads, symtabVaddr);
  const symbolCount =
    dynsymSectionCount(buffer, sectionHeaders, symtabVaddr) ?? countSymbols(buffer, loads, find(DT_HASH), find(DT_GNU_HASH));
  checkRange(buffer, symtabOffset, symbolCount * SYM_SIZE, '.dynsym');

  const versymVaddr = find(DT_VERSYM);
  const versymOffset = versymVaddr === undefined ? undefined : vaddrToOffset(loads, versymVaddr);
  if (versymOffset !== undefined) checkRange(buffer, versymOffset, symbolCount * 2, '.gnu.version');

  const verneedVaddr = find(DT_VERNEED);
  const verneedOffset = verneedVaddr === undefined ? undefined : vaddrToOffset(loads, verneedVaddr);
  const partial = { buffer, strtab };
  const verneed = verneedOffset === undefined ? [] : readVerneed(partial, verneedOffset, find(DT_VERNEEDNUM) ?? 0);

  return { buffer, machine, loads, dynamic, strtab, symtabOffset, symbolCount, versymOffset, verneed, verneedOffset, sectionHeaders };
}

// The dynamic segment does not record how many symbols .dynsym holds. The section header says
// it exactly when present (strip keeps section headers); otherwise the hash tables tell.
function dynsymSectionCount(buf: Buffer, sh: ElfFile['sectionHeaders'], symtabVaddr: number): number | undefined {
  for (let i = 0; sh.offset > 0 && i < sh.count; i++) {
    const at = sh.offset + i * sh.entsize;
    if (at + 64 > buf.length) return undefined;
    if (buf.readUInt32LE(at + 4) === SHT_DYNSYM && u64(buf, at + 16) === symtabVaddr) return u64(buf, at + 32) / SYM_SIZE;
  }
  return undefined;
}

function countSymbols(buf: Buffer, loads: LoadSegment[], hash: number | undefined, gnuHash: number | undefined): number {
  if (hash !== undefined) {
    const at = vaddrToOffset(loads, hash);
    return buf.readUInt32LE(at + 4); // nchain
  }
  if (gnuHash === undefined) throw new ElfError('the dynamic segment has neither DT_HASH nor DT_GNU_HASH; cannot size .dynsym');
  const at = vaddrToOffset(loads, gnuHash);
  const nbuckets = buf.readUInt32LE(at);
  const symoffset = buf.readUInt32LE(at + 4);
  const bloomSize = buf.readUInt32LE(at + 8);
  const bucketsAt = at + 16 + bloomSize * 8;
  const chainAt = bucketsAt + nbuckets * 4;
  let last = 0;
  for (let i = 0; i < nbuckets; i++) last = Math.max(last, buf.readUInt32LE(bucketsAt + i * 4));
  // With no hashed symbols at all, GNU ld writes a placeholder symoffset that says nothing.
  if (last === 0) throw new ElfError('cannot size .dynsym: no section headers and an empty DT_GNU_HASH table');
  // The chain of the highest bucket ends (low bit set) at the last hashed symbol.
  while ((buf.readUInt32LE(chainAt + (last - symoffset) * 4) & 1) === 0) last++;
  return last + 1;
}

function readVerneed(elf: Pick<ElfFile, 'buffer' | 'strtab'>, start: number, count: number): VersionNeed[] {
  const buf = elf.buffer;
  const needs: VersionNeed[] = [];
  let at = start;
  for (let i = 0; i < count; i++) {
    checkRange(buf, at, VERNEED_SIZE, 'Elf64_Verneed');
    const cnt = buf.readUInt16LE(at + 2);
    const fileNameOffset = buf.readUInt32LE(at + 4);
    const aux: VersionAux[] = [];
    let auxAt = at + buf.readUInt32LE(at + 8);
    for (let j = 0; j < cnt; j++) {
      checkRange(buf, auxAt, VERNAUX_SIZE, 'Elf64_Vernaux');
      const nameOffset = buf.readUInt32LE(auxAt + 8);
      aux.push({
        name: readCString(elf, nameOffset),
        nameOffset,
        hash: buf.readUInt32LE(auxAt),
        index: buf.readUInt16LE(auxAt + 6),
        fileOffset: auxAt,
      });
      const next = buf.readUInt32LE(auxAt + 12);
      if (next === 0) break;
      auxAt += next;
    }
    needs.push({ file: readCString(elf, fileNameOffset), fileNameOffset, fileOffset: at, aux });
    const next = buf.readUInt32LE(at + 12);
    if (next === 0) break;
    at += next;
  }
  return needs;
}

export function readSymbols(elf: ElfFile): DynSymbol[] {
  const symbols: DynSymbol[] = [];
  for (let index = 0; index < elf.symbolCount; index++) {
    const at = elf.symtabOffset + index * SYM_SIZE;
    const nameOffset = elf.buffer.readUInt32LE(at);
    const info = elf.buffer[at + 4] ?? 0;
    symbols.push({
      index,
      name: readCString(elf, nameOffset),
      nameOffset,
      binding: info >> 4,
      type: info & 0xf,
      shndx: elf.buffer.readUInt16LE(at + 6),
      fileOffset: at,
    });
  }
  return symbols;
}

/** The .gnu.version entry of a symbol without the hidden bit (0 local, 1 global, ≥2 a version). */
export function readVersym(elf: ElfFile, symbolIndex: number): number {
  if (elf.versymOffset === undefined) return VER_NDX_GLOBAL;
  return elf.buffer.readUInt16LE(elf.versymOffset + symbolIndex * 2) & ~VERSYM_HIDDEN;
}

/** An imported symbol together with the version requirement it names. */
export type VersionedImport = { symbol: DynSymbol; library: string; version: VersionAux };

export function readVersionedImports(elf: ElfFile): VersionedImport[] {
  const byIndex = new Map<number, { library: string; version: VersionAux }>();
  for (const need of elf.verneed) for (const aux of need.aux) byIndex.set(aux.index, { library: need.file, version: aux });
  const imports: VersionedImport[] = [];
  for (const symbol of readSymbols(elf)) {
    if (symbol.shndx !== SHN_UNDEF || symbol.index === 0) continue;
    const req = byIndex.get(readVersym(elf, symbol.index));
    if (req) imports.push({ symbol, ...req });
  }
  return imports;
}

/** Every .dynstr offset something in the dynamic structures points at (for tail-sharing checks). */
export function referencedStringOffsets(elf: ElfFile): number[] {
  const refs: number[] = [];
  for (const d of elf.dynamic) if ([DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(d.tag)) refs.push(d.value);
  for (const s of readSymbols(elf)) refs.push(s.nameOffset);
  for (const need of elf.verneed) {
    refs.push(need.fileNameOffset);
    for (const aux of need.aux) refs.push(aux.nameOffset);
  }
  for (const def of readVersionDefinitions(elf)) refs.push(...def.nameOffsets);
  return refs;
}

/** One .gnu.version_d entry: a version this file defines (or, with `isBase`, the file's own name). */
export type VersionDefinition = {
  name: string;
  // vd_ndx: the number .gnu.version entries of symbols defined at this version hold.
  index: number;
  isBase: boolean;
  /** The name and then each parent's name, as .dynstr offsets. */
  nameOffsets: number[];
};

const VER_FLG_BASE = 1;

export function readVersionDefinitions(elf: ElfFile): VersionDefinition[] {
  const verdef = elf.dynamic.find((d) => d.tag === DT_VERDEF)?.value;
  const verdefnum = elf.dynamic.find((d) => d.tag === DT_VERDEFNUM)?.value ?? 0;
  if (verdef === undefined) return [];
  const buf = elf.buffer;
  const defs: VersionDefinition[] = [];
  let at = vaddrToOffset(elf.loads, verdef);
  for (let i = 0; i < verdefnum; i++) {
    checkRange(buf, at, 20, 'Elf64_Verdef');
    const cnt = buf.readUInt16LE(at + 6);
    const nameOffsets: number[] = [];
    let auxAt = at + buf.readUInt32LE(at + 12);
    for (let j = 0; j < cnt; j++) {
      checkRange(buf, auxAt, 8, 'Elf64_Verdaux');
      nameOffsets.push(buf.readUInt32LE(auxAt));
      const next = buf.readUInt32LE(auxAt + 4);
      if (next === 0) break;
      auxAt += next;
    }
    defs.push({
      name: nameOffsets[0] === undefined ? '' : readCString(elf, nameOffsets[0]),
      index: buf.readUInt16LE(at + 4),
      isBase: (buf.readUInt16LE(at + 2) & VER_FLG_BASE) !== 0,
      nameOffsets,
    });
    const next = buf.readUInt32LE(at + 16);
    if (next === 0) break;
    at += next;
  }
  return defs;
}

/**
 * What a shared library offers to the dynamic loader, in the form of the export lists:
 * `symbol@VERSION` for each defined global or weak symbol (default and non-default versions
 * alike: a versioned reference binds to either) and `VERSION@VERSION` for each version defined.
 */
export function readExports(elf: ElfFile): Set<string> {
  const defs = readVersionDefinitions(elf).filter((d) => !d.isBase);
  const names = new Map(defs.map((d) => [d.index, d.name]));
  const exports = new Set(defs.map((d) => `${d.name}@${d.name}`));
  for (const symbol of readSymbols(elf)) {
    if (symbol.shndx === SHN_UNDEF || symbol.name === '' || ![STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE].includes(symbol.binding)) continue;
    const version = names.get(readVersym(elf, symbol.index));
    if (version !== undefined) exports.add(`${symbol.name}@${version}`);
  }
  return exports;
}

// ---- writers: each changes exactly one field in place ----

export function writeSymbolName(elf: ElfFile, symbol: DynSymbol, nameOffset: number): void {
  elf.buffer.writeUInt32LE(nameOffset, symbol.fileOffset);
}

export function writeSymbolBinding(elf: ElfFile, symbol: DynSymbol, binding: number): void {
  elf.buffer[symbol.fileOffset + 4] = (binding << 4) | symbol.type;
}

export function writeVersym(elf: ElfFile, symbolIndex: number, value: number): void {
  if (elf.versymOffset === undefined) throw new ElfError('the binary has no DT_VERSYM to write to');
  elf.buffer.writeUInt16LE(value, elf.versymOffset + symbolIndex * 2);
}

/**
 * Rewrites the .gnu.version_r chains so that only `keep` entries remain linked. Entries are
 * unlinked, never moved or edited (their bytes and names stay where they are, unreferenced).
 */
export function relinkVerneed(elf: ElfFile, keep: (need: VersionNeed, aux: VersionAux) => boolean): void {
  const buf = elf.buffer;
  const kept: { need: VersionNeed; aux: VersionAux[] }[] = [];
  for (const need of elf.verneed) {
    const aux = need.aux.filter((a) => keep(need, a));
    if (aux.length > 0) kept.push({ need, aux });
  }
  kept.forEach(({ need, aux }, i) => {
    buf.writeUInt16LE(aux.length, need.fileOffset + 2);
    buf.writeUInt32LE(aux[0]!.fileOffset - need.fileOffset, need.fileOffset + 8);
    aux.forEach((a, j) => {
      const next = aux[j + 1];
      buf.writeUInt32LE(next ? next.fileOffset - a.fileOffset : 0, a.fileOffset + 12);
    });
    const nextNeed = kept[i + 1];
    buf.writeUInt32LE(nextNeed ? nextNeed.need.fileOffset - need.fileOffset : 0, need.fileOffset + 12);
  });
  if (kept.length === elf.verneed.length) return;
  // A whole library requirement disappeared: DT_VERNEED/DT_VERNEEDNUM (and the section header
  // readelf uses, if present) must follow.
  const first = kept[0];
  for (const d of elf.dynamic) {
    if (d.tag === DT_VERNEEDNUM) buf.writeBigUInt64LE(BigInt(kept.length), d.fileOffset + 8);
    if (d.tag === DT_VERNEED && first && first.need.fileOffset !== elf.verneedOffset) {
      buf.writeBigUInt64LE(BigInt(d.value + (first.need.fileOffset - (elf.verneedOffset ?? 0))), d.fileOffset + 8);
    }
  }
  const { offset, count, entsize } = elf.sectionHeaders;
  for (let i = 0; offset > 0 && i < count; i++) {
    const at = offset + i * entsize;
    if (at + 64 > buf.length || buf.readUInt32LE(at + 4) !== SHT_GNU_VERNEED) continue;
    buf.writeUInt32LE(kept.length, at + 44);
    if (first) {
      const delta = first.need.fileOffset - (elf.verneedOffset ?? 0);
      buf.writeBigUInt64LE(buf.readBigUInt64LE(at + 16) + BigInt(delta), at + 16);
      buf.writeBigUInt64LE(buf.readBigUInt64LE(at + 24) + BigInt(delta), at + 24);
      buf.writeBigUInt64LE(buf.readBigUInt64LE(at + 32) - BigInt(delta), at + 32);
    }
  }
}
