// The ABI check: will this binary load on Amazon Linux 2 (provided.al2)? Every versioned import,
// and every version requirement in .gnu.version_r (the loader checks each one, even those only
// weak symbols use), must be defined by the AL2 library it names, per the export lists in
// shared/abi/amazonlinux2/. Then it must also load on this machine.
// Usage: node build/check-abi.ts [binary=dist/bootstrap]   (env LAMBDA_BOOTSTRAP_SHARED=<shared dir>)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DT_NEEDED,
  ElfError,
  SHN_UNDEF,
  STB_WEAK,
  VER_NDX_GLOBAL,
  readCString,
  readElf,
  readSymbols,
  readVersionedImports,
  readVersym,
} from './elf.ts';
import { compareVersions, highestGlibc } from './glibc-compat.ts';

const repoRoot = resolve(import.meta.dirname, '..');

export const CEILINGS: Record<string, string> = { GLIBC: '2.26', GLIBCXX: '3.4.24', CXXABI: '1.3.11' };

export function exportListsDir(env: NodeJS.ProcessEnv = process.env): string {
  const shared = env.LAMBDA_BOOTSTRAP_SHARED ?? resolve(repoRoot, '../shared');
  return resolve(shared, 'abi/amazonlinux2');
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

export function checkAbi(binary: Buffer, listsDir: string): AbiReport | ElfError {
  const elf = readElf(binary);
  if (elf instanceof ElfError) return elf;
  const lists = new Map<string, Set<string> | undefined>();
  const exportsOf = (library: string): Set<string> | undefined => {
    if (!lists.has(library)) {
      const file = resolve(listsDir, `${library}.exports`);
      lists.set(library, existsSync(file) ? new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean)) : undefined);
    }
    return lists.get(library);
  };

  const offenders: string[] = [];
  for (const need of elf.verneed) {
    const exported = exportsOf(need.file);
    for (const aux of need.aux) {
      if (!exported) offenders.push(`${aux.name} (${need.file}): no Amazon Linux 2 export list for ${need.file} in ${listsDir}`);
      else if (!exported.has(`${aux.name}@${aux.name}`)) offenders.push(`${aux.name} (${need.file}): version not defined on Amazon Linux 2`);
      if (overCeiling(aux.name)) offenders.push(`${aux.name} (${need.file}): above the Amazon Linux 2 ceiling`);
    }
  }
  const imports = readVersionedImports(elf);
  for (const imp of imports) {
    const exported = exportsOf(imp.library);
    const key = `${imp.symbol.name}@${imp.version.name}`;
    if (exported && !exported.has(key)) offenders.push(`${key} (${imp.library}): not exported on Amazon Linux 2`);
  }
  // An unversioned strong import must still be defined by some needed library, or BIND_NOW fails.
  const needed = elf.dynamic.filter((d) => d.tag === DT_NEEDED).map((d) => readCString(elf, d.value));
  const anyVersion = new Set<string>();
  for (const library of needed) for (const line of exportsOf(library) ?? []) anyVersion.add(line.slice(0, line.indexOf('@')));
  for (const symbol of readSymbols(elf)) {
    if (symbol.index === 0 || symbol.shndx !== SHN_UNDEF || symbol.binding === STB_WEAK || !symbol.name) continue;
    if (readVersym(elf, symbol.index) === VER_NDX_GLOBAL && !anyVersion.has(symbol.name)) {
      offenders.push(`${symbol.name} (unversioned, strong): no needed library exports it on Amazon Linux 2`);
    }
  }
  return { offenders, highestGlibc: highestGlibc(imports.map((i) => i.version.name)), importCount: imports.length };
}

/** Runs the binary with an empty environment; undefined if the dynamic loader accepted it. */
export function loaderErrorOnThisMachine(binaryPath: string): string | undefined {
  const r = spawnSync(binaryPath, [], { encoding: 'utf8', env: {}, timeout: 10_000 });
  if (r.error) return `could not start ${binaryPath}: ${r.error.message}`;
  const text = `${r.stdout}${r.stderr}`;
  const loader = /error while loading shared libraries.*|version `[^']+' not found.*|symbol lookup error.*/.exec(text);
  return loader ? loader[0] : undefined;
}

function main(argv: string[]): number {
  const binaryPath = resolve(argv[0] ?? resolve(repoRoot, 'dist/bootstrap'));
  if (!existsSync(binaryPath)) {
    console.error(`check-abi: ${binaryPath} does not exist: run make bootstrap first`);
    return 1;
  }
  const listsDir = exportListsDir();
  if (!existsSync(listsDir)) {
    console.error(`check-abi: export lists not found at ${listsDir}; set LAMBDA_BOOTSTRAP_SHARED to the shared/ directory`);
    return 1;
  }
  const report = checkAbi(readFileSync(binaryPath), listsDir);
  if (report instanceof ElfError) {
    console.error(`check-abi: ${binaryPath}: ${report.message}`);
    return 1;
  }
  console.log(`check-abi: ${binaryPath}: ${report.importCount} versioned imports; highest GLIBC import: ${report.highestGlibc ?? 'none'}`);
  const local = loaderErrorOnThisMachine(binaryPath);
  if (local) report.offenders.push(`does not load on this machine: ${local}`);
  if (report.offenders.length > 0) {
    console.error(`check-abi: ${report.offenders.length} problems (binary would not load on provided.al2):\n  ${report.offenders.join('\n  ')}`);
    return 1;
  }
  const ceilings = Object.entries(CEILINGS).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`check-abi: OK: loads on Amazon Linux 2 (ceilings ${ceilings}) and on this machine`);
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
