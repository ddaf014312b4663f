// Which parts of an executable a cold start touches, in Lambda's 512 KiB chunks: starts
// dist/bootstrap and the wrapper flavour in a container image (image-like, bench/lambda-like.ts)
// and maps every touched chunk of `bootstrap` and of `node` to the ELF sections it overlaps.
// Answers "does anything of ours add chunks?" (issue 12): sections both binaries share are node's;
// what only dist/bootstrap touches (the SEA blob, moved headers) is ours.
// Usage (root): node bench/chunk-map.ts [--starts N] [--binary path/to/bootstrap]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LeanRuntimeApi } from './driver.ts';
import { lambdaLikeVariants, measureLambdaLike, residentChunks } from './lambda-like.ts';
import { PackageDevice } from './package-device.ts';
import { PINNED_NODE, REPO_ROOT, WORK_DIR } from './runtimes.ts';
import { buildMincore } from './setup.ts';

const CHUNK = 512 * 1024;

interface Region {
  name: string;
  offset: number;
  size: number;
}

/** Sections with file contents, the program header table, and the file's tail, by file offset. */
function regions(file: string): Region[] {
  const out = execFileSync('readelf', ['-SW', '-h', file], { encoding: 'utf8' });
  const list: Region[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*\[\s*\d+\]\s+(\S*)\s+(\S+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(line);
    if (m === null || m[2] === 'NOBITS' || m[2] === 'NULL') continue;
    list.push({ name: m[1] === '' ? `(unnamed ${m[2]})` : m[1]!, offset: parseInt(m[3]!, 16), size: parseInt(m[4]!, 16) });
  }
  const phoff = /Start of program headers:\s+(\d+)/.exec(out);
  const phnum = /Number of program headers:\s+(\d+)/.exec(out);
  if (phoff !== null && phnum !== null) list.push({ name: '(program headers)', offset: Number(phoff[1]), size: Number(phnum[1]) * 56 });
  return list;
}

function owners(chunk: number, list: Region[]): string[] {
  const start = chunk * CHUNK;
  const end = start + CHUNK;
  const names = list.filter((r) => r.size > 0 && r.offset < end && r.offset + r.size > start).map((r) => r.name);
  return names.length > 0 ? names : ['(no section)'];
}

function bySection(chunks: number[], list: Region[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of chunks) {
    // A chunk shared by several sections counts once, for the first (lowest offset) of them.
    const name = owners(c, list)[0]!;
    if (name === '(no section)') process.stderr.write(`chunk ${c} (file offset 0x${(c * CHUNK).toString(16)}) overlaps no section\n`);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { starts: { type: 'string', default: '3' }, binary: { type: 'string', default: join(REPO_ROOT, 'dist', 'bootstrap') } } });
  const binary = values.binary;
  const starts = Number(values.starts);
  const mincore = buildMincore();
  if (!mincore.ok) throw new Error(mincore.reason);
  const all = lambdaLikeVariants({
    binary,
    wrapperLayer: join(REPO_ROOT, 'dist', 'wrapper-layer'),
    ricDir: undefined,
    bun: undefined,
  });
  const variants = all.filter((v) => v.id === 'binary-image' || v.id === 'wrapper-image');
  const device = PackageDevice.create(join(WORK_DIR, 'chunk-map'), variants.flatMap((v) => v.files));
  if (device instanceof Error) throw device;
  const api = await LeanRuntimeApi.start();
  const seen = new Map<string, number[][]>();
  try {
    for (let i = 0; i < starts; i++) {
      for (const v of variants) {
        const executable = v.id === 'binary-image' ? 'opt/bootstrap' : 'var/lang/bin/node';
        await measureLambdaLike(v, device, api, mincore.value, (mountDir) => {
          seen.set(v.id, [...(seen.get(v.id) ?? []), residentChunks(mincore.value, join(mountDir, v.tree, executable))]);
        });
      }
    }
  } finally {
    await api.close();
    device.close();
  }
  // The chunks touched in every start (the stable set).
  const stable = (runs: number[][]): number[] => runs[0]!.filter((c) => runs.every((r) => r.includes(c)));
  const binaryChunks = stable(seen.get('binary-image')!);
  const nodeChunks = stable(seen.get('wrapper-image')!);
  const binarySections = bySection(binaryChunks, regions(binary));
  const nodeSections = bySection(nodeChunks, regions(PINNED_NODE));
  const names = [...new Set([...binarySections.keys(), ...nodeSections.keys()])];
  console.log(`512 KiB chunks touched by the first response, in all of ${starts} image-like starts`);
  console.log(`dist/bootstrap: ${binaryChunks.length} chunks; node (wrapper flavour, same node build unstripped): ${nodeChunks.length} chunks\n`);
  console.log('| section | dist/bootstrap | node running the bundle |');
  console.log('|---|---|---|');
  for (const name of names.sort((a, b) => (binarySections.get(b) ?? 0) - (binarySections.get(a) ?? 0))) {
    console.log(`| ${name} | ${binarySections.get(name) ?? 0} | ${nodeSections.get(name) ?? 0} |`);
  }
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main();
  } catch (error) {
    console.error(`chunk-map: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
