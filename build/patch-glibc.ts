// CLI: node build/patch-glibc.ts <elf-file> [--check]
// Rewrites the file in place so it loads on glibc 2.26 (see glibc-compat.ts). With --check it
// writes nothing and exits 1 if the file still needs changes.
import { readFileSync, writeFileSync } from 'node:fs';
import { patchGlibc } from './glibc-compat.ts';
import type { PatchReport } from './glibc-compat.ts';

export type PatchFileResult = { report: PatchReport; written: boolean } | Error;

export function patchFile(path: string, options: { check: boolean }): PatchFileResult {
  const buffer = readFileSync(path);
  const report = patchGlibc(buffer);
  if (report instanceof Error) return new Error(`${path}: ${report.message}`);
  if (report.changes.length === 0 || options.check) return { report, written: false };
  writeFileSync(path, buffer);
  return { report, written: true };
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const files = argv.filter((a) => a !== '--check');
  if (files.length !== 1) {
    console.error('usage: node build/patch-glibc.ts <elf-file> [--check]');
    return 2;
  }
  const path = files[0]!;
  const result = patchFile(path, { check });
  if (result instanceof Error) {
    console.error(`patch-glibc: ${result.message}`);
    return 1;
  }
  const { report } = result;
  if (report.changes.length === 0) {
    console.log(`patch-glibc: ${path}: already compatible (0 changes; highest GLIBC import ${report.highestGlibcAfter ?? 'none'})`);
    return 0;
  }
  for (const change of report.changes) console.log(`patch-glibc: ${change}`);
  if (check) {
    console.error(`patch-glibc: ${path} needs ${report.changes.length} changes (run without --check to apply)`);
    return 1;
  }
  console.log(
    `patch-glibc: ${path}: ${report.changes.length} changes; highest GLIBC import ${report.highestGlibcBefore} -> ${report.highestGlibcAfter}`,
  );
  return 0;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
