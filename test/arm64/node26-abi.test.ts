// dist/node26/arm64/bootstrap (issue 21, `make bootstrap ARCH=arm64 NODE=26`): what `make check-abi
// ARCH=arm64 NODE=26` states, as a test: every versioned import resolves against the aarch64
// libraries with nothing above glibc 2.26 (Amazon Linux 2), no libatomic.so.1 (neither base image
// has it; the shim stands in), already patched, and it loads under qemu-user. Runs with
// `make test-arm64` (BOOTSTRAP_ARCH=arm64).
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIST } from '../../build/arch.ts';
import { arm64ExportLists, checkAbi, loaderErrorOnThisMachine } from '../../build/check-abi.ts';
import { EM_AARCH64, ElfError } from '../../build/elf.ts';
import { compareVersions, glibcVersionNumbers, patchGlibc } from '../../build/glibc-compat.ts';
import { verifyLibatomicFree } from '../../build/libatomic-compat.ts';
import { targetFor } from '../../build/node-lines.ts';
import { QEMU_TEST_TIMEOUT_MS, RUN_ARM64, SKIPPED_BECAUSE } from './arm64.ts';

const NODE26_ARM64 = targetFor('arm64', '26');
const binaryPath = resolve(DIST, NODE26_ARM64.binary);

describe.runIf(RUN_ARM64)(`dist/${NODE26_ARM64.binary}`, { timeout: QEMU_TEST_TIMEOUT_MS }, () => {
  let binary = Buffer.alloc(0);
  beforeAll(() => {
    if (!existsSync(binaryPath)) throw new Error(`${binaryPath} is missing: run make bootstrap ARCH=arm64 NODE=26 first`);
    binary = readFileSync(binaryPath);
  });

  it('every versioned import resolves against the aarch64 libraries, the highest GLIBC at most 2.26', () => {
    const lists = arm64ExportLists();
    if (lists instanceof ElfError) throw lists;
    const report = checkAbi(binary, lists, EM_AARCH64);
    if (report instanceof ElfError) throw report;
    expect(report.offenders).toEqual([]);
    expect(report.importCount).toBeGreaterThan(100);
    const highest = glibcVersionNumbers(report.highestGlibc ?? '');
    expect(highest, `highest GLIBC import ${report.highestGlibc}`).toBeDefined();
    expect(compareVersions(highest!, [2, 26])).toBeLessThanOrEqual(0);
  });

  it('needs no libatomic.so.1, and its shim survived injection', () => {
    const verified = verifyLibatomicFree(binary);
    if (verified instanceof Error) throw verified;
    expect(verified.shimAddress).toBeGreaterThan(0);
  });

  it('is already patched: the glibc pass would change nothing', () => {
    const report = patchGlibc(Buffer.from(binary));
    if (report instanceof Error) throw report;
    expect(report.machine).toBe('aarch64');
    expect(report.changes).toEqual([]);
  });

  it('loads on this machine (under qemu-user with the aarch64 libraries)', () => {
    expect(loaderErrorOnThisMachine(binaryPath, NODE26_ARM64)).toBeUndefined();
  });
});

describe.skipIf(RUN_ARM64)(`dist/${NODE26_ARM64.binary} ABI (skipped)`, () => {
  it.skip(SKIPPED_BECAUSE, () => {});
});
