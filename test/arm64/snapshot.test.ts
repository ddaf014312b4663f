// The snapshot executable for Graviton (issue 25 part 5; docs/pre-initialised.md): built for arm64
// on this x86_64 machine (the snapshot recorded by the pinned arm64 node under qemu-user, the
// recorder run by the host's node of the same version), then started under qemu-user against the
// emulator on 127.0.0.1, like the rest of `make test-arm64`. One small function
// (test/fixtures/init-at-build: a package from node_modules, init at build with its hooks) keeps
// the qemu time small; the x86_64 suite (test/integration/snapshot*.test.ts) covers the rest.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, commandFor } from '../../build/arch.ts';
import { EM_AARCH64 } from '../../build/elf.ts';
import { SnapshotError, buildSnapshotExecutable } from '../../build/snapshot/snapshot.ts';
import type { SnapshotReport } from '../../build/snapshot/snapshot.ts';
import { Emulator } from '../../emulator/index.ts';
import { FIXTURES, describeOutcome } from '../integration/harness.ts';
import { ARM64_NODE_LINE, QEMU_TEST_TIMEOUT_MS, RUN_ARM64, SKIPPED_BECAUSE } from './arm64.ts';

const temporary: string[] = [];
let functionDir: string;
let report: SnapshotReport;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

// The snapshot executable embeds the default Node line (24) only.
describe.runIf(RUN_ARM64 && ARM64_NODE_LINE === '24')('arm64 snapshot executable under qemu-user', { timeout: QEMU_TEST_TIMEOUT_MS }, () => {
  beforeAll(async () => {
    functionDir = tempDir('lambda-bootstrap-arm64-snapshot-fn-');
    cpSync(join(FIXTURES, 'init-at-build'), functionDir, { recursive: true });
    mkdirSync(join(functionDir, 'node_modules', 'shouter'), { recursive: true });
    writeFileSync(join(functionDir, 'node_modules', 'shouter', 'package.json'), '{"name":"shouter","version":"1.0.0","main":"index.js"}\n');
    writeFileSync(join(functionDir, 'node_modules', 'shouter', 'index.js'), 'exports.shout = (text) => `${text.toUpperCase()}!`;\n');
    const built = await buildSnapshotExecutable({ functionDir, handler: 'index.handler', env: { STAGE_NAME: 'prod' }, initAtBuild: true, arch: 'arm64', outDir: tempDir('lambda-bootstrap-arm64-snapshot-out-') });
    if (built instanceof SnapshotError) throw built;
    report = built;
  }, 600_000);

  afterAll(() => {
    for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is an arm64 executable', () => {
    // e_machine, a little-endian u16 at offset 18 of the ELF header.
    expect(readFileSync(report.executable).readUInt16LE(18)).toBe(EM_AARCH64);
    expect(report.modules.map((m) => m.specifier)).toEqual(['shouter']);
    expect(report.init).toMatchObject({ beforeSnapshotHooks: 1, afterRestoreHooks: 1 });
  });

  it('answers from its snapshot under qemu: init ran at build, the after-restore hook at each start, UUIDs differ per start', async () => {
    const command = commandFor(TARGETS.arm64, report.executable);
    if (command instanceof Error) throw command;
    const answers: Record<string, unknown>[] = [];
    for (let i = 0; i < 2; i++) {
      const emulator = await Emulator.start({ command: command.command, args: command.args, handler: 'index.handler', taskRoot: functionDir, env: { STAGE_NAME: 'prod' } });
      try {
        const outcome = await emulator.invoke('{}');
        expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
        expect(emulator.output).not.toContain('init ran');
        answers.push(outcome.json() as Record<string, unknown>);
      } finally {
        await emulator.stop();
      }
    }
    for (const answer of answers) expect(answer).toMatchObject({ greeting: 'HELLO FROM PROD!', initRanHere: false, beforeSnapshotRan: true, afterRestoreRuns: 1, pollerOpen: false });
    expect(answers[0]!.initId).toBe(answers[1]!.initId);
    expect(answers[0]!.restoreId).not.toBe(answers[1]!.restoreId);
    expect(answers[0]!.invokeId).not.toBe(answers[1]!.invokeId);
  });
});

describe.skipIf(RUN_ARM64)('arm64 snapshot executable under qemu-user (skipped)', () => {
  it.skip(SKIPPED_BECAUSE, () => {});
});
