// The recorded-working-set prefetch experiment of the Lambda-like section (issue 25 part 4).
// For a chosen variant, one cold start on the package device is recorded (bench/prefetch.c
// `record`: which runs of pages of its package files were resident right after the first
// response), and a twin variant `<id>-prefetch` starts through `prefetch run`, which forks a
// prefetcher that posix_fadvise(WILLNEED)s those runs from 16 threads while the runtime starts.
// The twin shares its base's files on the device, so both read the same cold bytes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LeanRuntimeApi } from './driver.ts';
import { measureLambdaLike } from './lambda-like.ts';
import type { LambdaLikeVariant } from './lambda-like.ts';
import type { PackageDevice } from './package-device.ts';
import { BENCH_DIR, WORK_DIR } from './runtimes.ts';
import type { Ready } from './setup.ts';

/** The variants given a prefetch twin: the binary's hello world and the realistic function's own-binary and wrapper rows. */
export const PREFETCH_BASES = ['binary-image', 'binary-realistic-zip', 'binary-realistic-image', 'snapshot-realistic-image', 'wrapper-realistic-zip'];
const LISTS = join(WORK_DIR, 'prefetch-lists');

/** Compiles bench/prefetch.c into bench/.work/prefetch (cc, as bench/mincore.c). */
export function buildPrefetch(): Ready<string> {
  const source = join(BENCH_DIR, 'prefetch.c');
  const output = join(WORK_DIR, 'prefetch');
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) return { ok: true, value: output };
  mkdirSync(WORK_DIR, { recursive: true });
  const r = spawnSync('cc', ['-O2', '-pthread', '-o', output, source], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, reason: `cc bench/prefetch.c failed: ${`${r.stdout ?? ''}${r.stderr ?? ''}${r.error ?? ''}`.trim().split('\n').slice(-3).join(' ')}` };
  return { ok: true, value: output };
}

/** The list file a variant's recorded working set goes to. */
function listFile(base: LambdaLikeVariant): string {
  return join(LISTS, `${base.id}.tsv`);
}

/** `base` started through the prefetcher, replaying the working set recorded by recordWorkingSet(). */
export function prefetchTwin(base: LambdaLikeVariant, tool: string): LambdaLikeVariant {
  const list = listFile(base);
  return {
    ...base,
    id: `${base.id}-prefetch`,
    label: `${base.label}, + recorded working-set prefetch`,
    launch: (root) => {
      const l = base.launch(root);
      return { ...l, command: tool, args: ['run', root, list, l.command, ...l.args] };
    },
  };
}

/** One cold start of `base` whose resident page runs become its twin's list; returns the list's MiB and runs. */
export async function recordWorkingSet(base: LambdaLikeVariant, device: PackageDevice, api: LeanRuntimeApi, mincore: string, tool: string): Promise<{ mib: number; runs: number }> {
  mkdirSync(LISTS, { recursive: true });
  const list = listFile(base);
  await measureLambdaLike(base, device, api, mincore, (mountDir) => {
    const root = join(mountDir, base.tree);
    execFileSync(tool, ['record', root, list, ...base.files.map((f) => join(mountDir, f.target))]);
  });
  const lines = readFileSync(list, 'utf8').trim().split('\n').filter(Boolean);
  const bytes = lines.reduce((sum, line) => sum + Number(line.split('\t')[2]), 0);
  return { mib: bytes / 1024 / 1024, runs: lines.length };
}
