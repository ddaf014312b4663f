// The binary sizes V8's heap from the memory it runs in (old space 96%, M - M/25 as the managed
// nodejs24.x bootstrap computes from AWS_LAMBDA_FUNCTION_MEMORY_SIZE, runtime contract §1): proven on this machine and inside a 128 MB memory cgroup,
// which is what a 128 MB Lambda sandbox looks like to the process.
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../emulator/index.ts';
import { repoRoot, requireBinary } from './dist-binary.ts';

const fixture = resolve(repoRoot, 'test/fixtures/heap');
const MB = 2 ** 20;
const emulators: Emulator[] = [];
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.stop()));
});

interface HeapReport {
  heapLimitMb: number;
  machineMb: number;
  constrainedMb: number;
}

async function heapReport(command: string, args: string[]): Promise<HeapReport> {
  const emu = await Emulator.start({ command, args, handler: 'index.handler', taskRoot: fixture });
  emulators.push(emu);
  const out = await emu.invoke('{}');
  expect(out.kind, out.body.toString()).toBe('response');
  return out.json() as HeapReport;
}

// cgroup v1 (this machine) or v2: a group limited to 128 MB that a shell joins before exec'ing.
function memoryCgroup(): { dir: string; limitFile: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const [root, limitFile] of [
    ['/sys/fs/cgroup/memory', 'memory.limit_in_bytes'],
    ['/sys/fs/cgroup/unified', 'memory.max'],
  ] as const) {
    if (!existsSync(resolve(root, 'cgroup.procs'))) continue;
    const dir = resolve(root, `lambda-bootstrap-test-${process.pid}`);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(resolve(dir, limitFile), String(128 * MB));
      return { dir, limitFile };
    } catch {
      continue;
    }
  }
  return undefined;
}

describe('V8 heap sizing of dist/bootstrap', () => {
  it('takes 96% of the machine memory as the old-space limit (flag baked into the binary)', async () => {
    const report = await heapReport(requireBinary(), []);
    const memoryMb = Math.min(report.machineMb, report.constrainedMb);
    // Old space is 96% of memory; the total limit adds the young generation (a few MB) on top.
    expect(report.heapLimitMb).toBeGreaterThan(memoryMb * 0.955);
    expect(report.heapLimitMb).toBeLessThan(memoryMb);
  });

  const cgroup = memoryCgroup();
  it.skipIf(!cgroup)('stays inside a 128 MB sandbox (memory cgroup; needs root)', async () => {
    const group = cgroup!;
    try {
      const join = `echo $$ > ${resolve(group.dir, 'cgroup.procs')} && exec "$@"`;
      const report = await heapReport('/bin/sh', ['-c', join, 'sh', requireBinary()]);
      expect(report.constrainedMb).toBe(128);
      // The managed runtime's old space at 128 MB: 128 - 128/25 = 123 MB.
      expect(report.heapLimitMb).toBeLessThan(128);
      expect(report.heapLimitMb).toBeGreaterThan(122);
    } finally {
      await Promise.all(emulators.map((e) => e.stop()));
      try {
        rmdirSync(group.dir);
      } catch {
        // Removed once its last process is gone; a leftover empty group is harmless.
      }
    }
  });
});
