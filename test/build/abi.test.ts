import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkAbi, exportListsDir, loaderErrorOnThisMachine } from '../../build/check-abi.ts';
import { ElfError } from '../../build/elf.ts';
import { compareVersions, glibcVersionNumbers, patchGlibc } from '../../build/glibc-compat.ts';
import { requireBinary } from './dist-binary.ts';

describe('dist/bootstrap ABI', () => {
  it('every versioned import is exported by Amazon Linux 2 and the highest GLIBC is at most 2.26', () => {
    const lists = exportListsDir();
    if (!existsSync(lists)) throw new Error(`Amazon Linux 2 export lists not found at ${lists} (vendored in build/abi/amazonlinux2)`);
    const report = checkAbi(readFileSync(requireBinary()), lists);
    if (report instanceof ElfError) throw report;
    expect(report.offenders).toEqual([]);
    expect(report.importCount).toBeGreaterThan(100);
    const highest = glibcVersionNumbers(report.highestGlibc ?? '');
    expect(highest, `highest GLIBC import ${report.highestGlibc}`).toBeDefined();
    expect(compareVersions(highest!, [2, 26])).toBeLessThanOrEqual(0);
  });

  it('is already patched: the glibc pass would change nothing', () => {
    const report = patchGlibc(readFileSync(requireBinary()));
    if (report instanceof Error) throw report;
    expect(report.changes).toEqual([]);
  });

  it('loads on this machine', () => {
    expect(loaderErrorOnThisMachine(requireBinary())).toBeUndefined();
  });
});
