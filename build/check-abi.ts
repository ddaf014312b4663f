// The ABI check: will this binary load on Amazon Linux 2 (provided.al2)? Every versioned import,
// and every version requirement in .gnu.version_r (the loader checks each one, even those only
// weak symbols use), must be defined by the library it names and stay under AL2's ceilings.
// x86_64 is checked against AL2's own export lists, vendored in build/abi/amazonlinux2/ (data,
// with their README and sources; the check reads nothing outside the checkout). No such lists
// exist for arm64: its imports are checked against the exports of the aarch64 libraries
// installed here (Debian's libc6-arm64-cross, libstdc++6-arm64-cross), read from the ELF files,
// with the same ceilings. Then the binary must also load on this machine (under qemu for arm64).
// Every DT_NEEDED library must be one both base images carry (BASE_IMAGE_LIBRARIES).
// Usage: node build/check-abi.ts [--arch=x86_64|arm64] [--node=24|26] [binary]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DIST, TARGETS, commandFor, isNative, parseArchitecture } from './arch.ts';
import type { ArchitectureTarget } from './arch.ts';
import {
  DT_NEEDED,
  ElfError,
  SHN_UNDEF,
  STB_WEAK,
  VER_NDX_GLOBAL,
  readCString,
  readElf,
  readExports,
  readSymbols,
  readVersionedImports,
  readVersym,
} from './elf.ts';
import { compareVersions, highestGlibc } from './glibc-compat.ts';
import { DEFAULT_NODE_LINE, parseNodeLine, targetFor } from './node-lines.ts';

const repoRoot = resolve(import.meta.dirname, '..');

export const CEILINGS: Record<string, string> = { GLIBC: '2.26', GLIBCXX: '3.4.24', CXXABI: '1.3.11' };

/**
 * The shared libraries the binary may name in DT_NEEDED: glibc's, libstdc++ and libgcc_s, which
 * provided.al2 and provided.al2023 (built from the AL2023 minimal image) both carry. Not
 * libatomic.so.1, which Node 25+ links and neither image has (docs/node-versions.md gives the
 * sources): build/libatomic-compat.ts removes that need. AL2023's glibc 2.34 still defines every
 * symbol version AL2's 2.26 does, so passing against AL2's lists covers AL2023 too.
 */
export const BASE_IMAGE_LIBRARIES: ReadonlySet<string> = new Set([
  'libc.so.6',
  'libm.so.6',
  'libdl.so.2',
  'libpthread.so.0',
  'librt.so.1',
  'libstdc++.so.6',
  'libgcc_s.so.1',
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
]);

/** Amazon Linux 2's export lists, part of the repository (build/abi/amazonlinux2/README.md). */
export function exportListsDir(): string {
  return resolve(repoRoot, 'build/abi/amazonlinux2');
}

/** What the target's libraries export, as `symbol@VERSION` and `VERSION@VERSION` lines. */
export type ExportLists = {
  /** Names the target in messages: "Amazon Linux 2". */
  platform: string;
  exportsOf: (library: string) => Set<string> | undefined;
  /**
   * glibc 2.34 moved libdl's and libpthread's functions into libc.so.6, leaving stubs that define
   * only the version names. The loader checks a version requirement against the named library,
   * but binds the symbol wherever the lookup scope has it; so against a newer glibc a symbol may
   * come from any needed library. Amazon Linux 2's glibc 2.26 still has them in place.
   */
  symbolsFromAnyNeededLibrary: boolean;
};

/** Amazon Linux 2's export lists: one `<library>.exports` file per library in `dir`. */
export function exportListsFromFiles(dir: string): ExportLists {
  const lists = new Map<string, Set<string> | undefined>();
  return {
    platform: 'Amazon Linux 2',
    symbolsFromAnyNeededLibrary: false,
    exportsOf: (library) => {
      if (!lists.has(library)) {
        const file = resolve(dir, `${library}.exports`);
        lists.set(library, existsSync(file) ? new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean)) : undefined);
      }
      return lists.get(library);
    },
  };
}

/** The exports of the shared libraries in `dir` (e.g. /usr/aarch64-linux-gnu/lib), read from the ELF files. */
export function exportListsFromLibraries(dir: string, platform: string): ExportLists | ElfError {
  const lists = new Map<string, Set<string> | undefined>();
  const exportsOf = (library: string): Set<string> | undefined => {
    if (!lists.has(library)) {
      const file = resolve(dir, library);
      const elf = existsSync(file) ? readElf(readFileSync(file)) : undefined;
      if (elf instanceof ElfError) throw new ElfError(`${file}: ${elf.message}`);
      lists.set(library, elf === undefined ? undefined : readExports(elf));
    }
    return lists.get(library);
  };
  if (!existsSync(dir)) return new ElfError(`no libraries at ${dir}`);
  return { platform, symbolsFromAnyNeededLibrary: true, exportsOf };
}

export type AbiReport = {
  /** One line per problem: symbol@version (library) and why. Empty when the binary passes. */
  offenders: string[];
  highestGlibc: string | undefined;
  importCount: number;
};

function overCeiling(version: string): boolean {
  const m = /^(GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)$/.exec(version);
  if (!m) return false;
  const ceiling = CEILINGS[m[1]!]!;
  return compareVersions(m[2]!.split('.').map(Number), ceiling.split('.').map(Number)) > 0;
}

/**
 * `lists` is either a directory of Amazon Linux 2 `.exports` files or an ExportLists. With
 * `machine`, a binary of another architecture is an offender too.
 */
export function checkAbi(binary: Buffer, lists: string | ExportLists, machine?: number): AbiReport | ElfError {
  try {
    return check(binary, lists, machine);
  } catch (error) {
    // exportListsFromLibraries reads each library when first asked, and throws if it is corrupt.
    if (error instanceof ElfError) return error;
    throw error;
  }
}

function check(binary: Buffer, lists: string | ExportLists, machine: number | undefined): AbiReport | ElfError {
  const elf = readElf(binary);
  if (elf instanceof ElfError) return elf;
  const { platform, exportsOf, symbolsFromAnyNeededLibrary } = typeof lists === 'string' ? exportListsFromFiles(lists) : lists;
  const where = typeof lists === 'string' ? ` in ${lists}` : '';

  const offenders: string[] = [];
  if (machine !== undefined && elf.machine !== machine) offenders.push(`e_machine ${elf.machine}: not the expected machine ${machine}`);
  for (const need of elf.verneed) {
    const exported = exportsOf(need.file);
    for (const aux of need.aux) {
      if (!exported) offenders.push(`${aux.name} (${need.file}): no ${platform} export list for ${need.file}${where}`);
      else if (!exported.has(`${aux.name}@${aux.name}`)) offenders.push(`${aux.name} (${need.file}): version not defined on ${platform}`);
      if (overCeiling(aux.name)) offenders.push(`${aux.name} (${need.file}): above the Amazon Linux 2 ceiling`);
    }
  }
  const needed = elf.dynamic.filter((d) => d.tag === DT_NEEDED).map((d) => readCString(elf, d.value));
  for (const library of needed.filter((l) => !BASE_IMAGE_LIBRARIES.has(l))) {
    offenders.push(`${library} (DT_NEEDED): not in the provided.al2/provided.al2023 base images`);
  }
  const inAnyNeeded = (key: string): boolean => needed.some((library) => exportsOf(library)?.has(key) === true);
  const imports = readVersionedImports(elf);
  for (const imp of imports) {
    const exported = exportsOf(imp.library);
    const key = `${imp.symbol.name}@${imp.version.name}`;
    const found = symbolsFromAnyNeededLibrary ? inAnyNeeded(key) : exported?.has(key) !== false;
    if (!found) offenders.push(`${key} (${imp.library}): not exported on ${platform}`);
  }
  // An unversioned strong import must still be defined by some needed library, or BIND_NOW fails.
  const anyVersion = new Set<string>();
  for (const library of needed) for (const line of exportsOf(library) ?? []) anyVersion.add(line.slice(0, line.indexOf('@')));
  for (const symbol of readSymbols(elf)) {
    if (symbol.index === 0 || symbol.shndx !== SHN_UNDEF || symbol.binding === STB_WEAK || !symbol.name) continue;
    if (readVersym(elf, symbol.index) === VER_NDX_GLOBAL && !anyVersion.has(symbol.name)) {
      offenders.push(`${symbol.name} (unversioned, strong): no needed library exports it on ${platform}`);
    }
  }
  return { offenders, highestGlibc: highestGlibc(imports.map((i) => i.version.name)), importCount: imports.length };
}

/** The libraries an arm64 binary is checked against: Debian's aarch64 cross libraries. */
export function arm64ExportLists(target: ArchitectureTarget = TARGETS.arm64): ExportLists | ElfError {
  const dir = resolve(target.emulator?.libraryRoot ?? '/usr/aarch64-linux-gnu', 'lib');
  return exportListsFromLibraries(dir, `aarch64 glibc (${dir})`);
}

/** Runs the binary with an empty environment; undefined if the dynamic loader accepted it. */
export function loaderErrorOnThisMachine(binaryPath: string, target: ArchitectureTarget = TARGETS.x86_64): string | undefined {
  const command = commandFor(target, binaryPath);
  if (command instanceof Error) return command.message;
  // qemu needs about a second to start node; the limit leaves room for a busy machine.
  const r = spawnSync(command.command, command.args, { encoding: 'utf8', env: {}, timeout: 60_000 });
  if (r.error) return `could not start ${binaryPath}: ${r.error.message}`;
  const text = `${r.stdout}${r.stderr}`;
  const loader = /error while loading shared libraries.*|version `[^']+' not found.*|symbol lookup error.*/.exec(text);
  return loader ? loader[0] : undefined;
}

function main(argv: string[]): number {
  const arch = parseArchitecture(argv.find((a) => a.startsWith('--arch='))?.slice('--arch='.length) ?? 'x86_64');
  if (arch instanceof Error) {
    console.error(`check-abi: ${arch.message}`);
    return 2;
  }
  const line = parseNodeLine(argv.find((a) => a.startsWith('--node='))?.slice('--node='.length) ?? DEFAULT_NODE_LINE);
  if (line instanceof Error) {
    console.error(`check-abi: ${line.message}`);
    return 2;
  }
  const target = targetFor(arch, line);
  const binaryPath = resolve(argv.find((a) => !a.startsWith('--')) ?? resolve(DIST, target.binary));
  if (!existsSync(binaryPath)) {
    console.error(`check-abi: ${binaryPath} does not exist: run make bootstrap${arch === 'x86_64' ? '' : ` ARCH=${arch}`}${line === DEFAULT_NODE_LINE ? '' : ` NODE=${line}`} first`);
    return 1;
  }
  let lists: string | ExportLists | ElfError;
  if (arch === 'x86_64') {
    lists = exportListsDir();
    if (!existsSync(lists)) {
      console.error(`check-abi: export lists not found at ${lists}: they are part of the repository; restore them with git checkout -- build/abi`);
      return 1;
    }
  } else {
    lists = arm64ExportLists(target);
    if (lists instanceof ElfError) {
      console.error(`check-abi: ${lists.message}: ${target.emulator?.installHint ?? ''}`);
      return 1;
    }
  }
  const report = checkAbi(readFileSync(binaryPath), lists, target.machine);
  if (report instanceof ElfError) {
    console.error(`check-abi: ${binaryPath}: ${report.message}`);
    return 1;
  }
  console.log(`check-abi: ${binaryPath}: ${report.importCount} versioned imports; highest GLIBC import: ${report.highestGlibc ?? 'none'}`);
  const local = loaderErrorOnThisMachine(binaryPath, target);
  if (local) report.offenders.push(`does not load on this machine: ${local}`);
  if (report.offenders.length > 0) {
    console.error(`check-abi: ${report.offenders.length} problems (binary would not load on provided.al2):\n  ${report.offenders.join('\n  ')}`);
    return 1;
  }
  const ceilings = Object.entries(CEILINGS).map(([k, v]) => `${k} ${v}`).join(', ');
  const against = typeof lists === 'string' ? 'Amazon Linux 2' : lists.platform;
  const here = isNative(target) ? 'on this machine' : 'on this machine under qemu';
  console.log(`check-abi: OK: ${target.name}: resolves against ${against} within the Amazon Linux 2 ceilings (${ceilings}), needs only libraries provided.al2 and provided.al2023 carry, and loads ${here}`);
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
