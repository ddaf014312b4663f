// Start-up of the arm64 binary under qemu-user next to the x86_64 binary run natively: a smoke
// figure printed for the record (emulation is many times slower; this is no benchmark), and a
// check that the emulated binary does reach its first GET /next.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST, TARGETS } from '../../build/arch.ts';
import { median, timeToFirstNext } from '../../build/startup-time.ts';
import { ARM64, QEMU_TEST_TIMEOUT_MS, RUN_ARM64, SKIPPED_BECAUSE, requireArm64Binary } from './arm64.ts';

const HELLO = resolve(import.meta.dirname, '../../examples/hello');
const RUNS = 5;

describe.runIf(RUN_ARM64)('start-up, spawn → first GET /next', () => {
  it(`arm64 under qemu next to x86_64 native (median of ${RUNS})`, { timeout: QEMU_TEST_TIMEOUT_MS }, async () => {
    const arm64Ms = median(await timeToFirstNext(requireArm64Binary(), HELLO, 'index.handler', RUNS, ARM64));
    const x86 = resolve(DIST, TARGETS.x86_64.binary);
    const x86Ms = existsSync(x86) ? median(await timeToFirstNext(x86, HELLO, 'index.handler', RUNS)) : undefined;
    console.log(
      `startup: arm64 under qemu-user ${arm64Ms.toFixed(0)} ms; x86_64 native ${x86Ms === undefined ? 'not built' : `${x86Ms.toFixed(0)} ms`}`,
    );
    // Generous: qemu translates all of V8's start-up; only a hang or a crash should fail this.
    expect(arm64Ms).toBeLessThan(20_000);
  });
});

describe.skipIf(RUN_ARM64)('start-up under qemu (skipped)', () => {
  it.skip(SKIPPED_BECAUSE, () => {});
});
