// Which file watcher sees every save `lambda-bootstrap watch` must react to (issue 23, part 4):
// each save style x N edits, interleaved (a rename-style save followed by in-place writes is what
// Node's recursive fs.watch loses), against node's fs.watch recursive, chokidar 4 and 5 and
// @parcel/watcher. An edit counts as picked up when the watcher reports its path within 2 s.
//   npm ci --prefix bench/watchers
//   node bench/watchers/save-styles.ts [edits per style, default 20] [watcher names...]
// (Node 20: bundle it beside itself first: npx esbuild bench/watchers/save-styles.ts --platform=node
// --format=esm --packages=external --outfile=bench/watchers/save-styles.mjs; node bench/watchers/save-styles.mjs)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

type OnPath = (absolutePath: string) => void;
interface Candidate {
  name: string;
  start(root: string, onPath: OnPath): Promise<() => Promise<void>>;
}

const GIT_IGNORED = (path: string): boolean => path.split('/').includes('.git');

interface ChokidarLike {
  watch(root: string, options: object): {
    on(event: string, listener: (...args: unknown[]) => void): unknown;
    close(): Promise<void>;
  };
}
interface ParcelLike {
  subscribe(root: string, listener: (error: Error | null, events: { path: string }[]) => void, options: object): Promise<{ unsubscribe(): Promise<void> }>;
}

const chokidar = (name: string, module: string): Candidate => ({
  name,
  async start(root, onPath) {
    const lib = (await import(module)) as ChokidarLike;
    const watcher = lib.watch(root, { ignoreInitial: true, ignored: GIT_IGNORED });
    watcher.on('all', (_event, path) => onPath(String(path)));
    await new Promise((ready) => watcher.on('ready', ready));
    return () => watcher.close();
  },
});

const CANDIDATES: Candidate[] = [
  {
    name: 'fs.watch recursive',
    async start(root, onPath) {
      const watcher = watch(root, { recursive: true }, (_event, filename) => {
        if (filename !== null) onPath(resolve(root, filename.toString()));
      });
      await sleep(500); // Node builds its per-folder watches asynchronously on Linux
      return async () => watcher.close();
    },
  },
  chokidar('chokidar 4.0.3', 'chokidar'),
  chokidar('chokidar 5.0.0', 'chokidar5'),
  {
    name: '@parcel/watcher 2.6.0',
    async start(root, onPath) {
      const parcel = (await import('@parcel/watcher')) as unknown as ParcelLike;
      const subscription = await parcel.subscribe(
        root,
        (error, events) => {
          if (error === null) for (const event of events) onPath(event.path);
        },
        { ignore: ['.git'] },
      );
      return () => subscription.unsubscribe();
    },
  },
];

/** One save: does it, and says which paths (relative) count as seeing it. */
interface Style {
  name: string;
  save(root: string, i: number): (rel: string) => boolean;
}

const sh = (cwd: string, command: string, ...args: string[]): void => void execFileSync(command, args, { cwd, stdio: 'ignore' });
const source = (i: number, how: string): string => `export const handler = async () => ({ version: '${how}-${i}' });\n`;

const STYLES: Style[] = [
  {
    name: 'in-place write',
    save(root, i) {
      writeFileSync(join(root, 'index.mjs'), source(i, 'write'));
      return (rel) => rel === 'index.mjs';
    },
  },
  {
    name: 'atomic rename (write tmp + rename)',
    save(root, i) {
      writeFileSync(join(root, '.index.mjs.tmp'), source(i, 'rename'));
      renameSync(join(root, '.index.mjs.tmp'), join(root, 'index.mjs'));
      return (rel) => rel === 'index.mjs';
    },
  },
  {
    name: 'sed -i',
    save(root, i) {
      sh(root, 'sed', '-i', `s/version: '[^']*'/version: 'sed-${i}'/`, 'index.mjs');
      return (rel) => rel === 'index.mjs';
    },
  },
  {
    name: 'cp over',
    save(root, i) {
      const from = join(root, '..', 'copy-source.mjs');
      writeFileSync(from, source(i, 'cp'));
      sh(root, 'cp', from, 'index.mjs');
      return (rel) => rel === 'index.mjs';
    },
  },
  {
    name: 'new file in a new folder',
    save(root, i) {
      mkdirSync(join(root, 'lib', `new-${i}`));
      writeFileSync(join(root, 'lib', `new-${i}`, 'route.mjs'), source(i, 'new'));
      return (rel) => rel.startsWith(`lib/new-${i}`);
    },
  },
  {
    name: 'delete a file',
    save(root, i) {
      rmSync(join(root, 'lib', `new-${i}`, 'route.mjs'));
      return (rel) => rel === `lib/new-${i}/route.mjs`;
    },
  },
  {
    name: 'git checkout (40 files)',
    save(root, i) {
      sh(root, 'git', 'checkout', '-q', i % 2 === 1 ? 'other' : 'main');
      return (rel) => rel.startsWith('lib/page-');
    },
  },
  {
    name: 'new dependency in node_modules',
    save(root, i) {
      const dir = join(root, 'node_modules', `dep-${i}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), `{"name":"dep-${i}","version":"1.0.0","main":"index.js"}\n`);
      writeFileSync(join(dir, 'index.js'), `module.exports = ${i};\n`);
      return (rel) => rel.startsWith(`node_modules/dep-${i}`);
    },
  },
];

/** A function folder as `watch` meets it: handler, a lib/ of 40 modules in git, node_modules. */
function project(): string {
  const base = mkdtempSync(join(tmpdir(), 'watch-bench-'));
  const root = join(base, 'fn');
  mkdirSync(join(root, 'lib'), { recursive: true });
  writeFileSync(join(root, 'index.mjs'), source(0, 'init'));
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(root, '.gitignore'), 'node_modules/\nlib/new-*/\n');
  for (let p = 0; p < 40; p++) writeFileSync(join(root, 'lib', `page-${p}.mjs`), `export const page = ${p};\n`);
  for (let d = 0; d < 30; d++) {
    mkdirSync(join(root, 'node_modules', `lib-${d}`, 'src'), { recursive: true });
    for (let f = 0; f < 10; f++) writeFileSync(join(root, 'node_modules', `lib-${d}`, 'src', `m${f}.js`), `module.exports = ${f};\n`);
  }
  const git = (...args: string[]): void => sh(root, 'git', '-c', 'user.email=b@example.com', '-c', 'user.name=bench', ...args);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'main');
  git('checkout', '-q', '-b', 'other');
  for (let p = 0; p < 40; p++) writeFileSync(join(root, 'lib', `page-${p}.mjs`), `export const page = ${p * 100};\n`);
  git('commit', '-q', '-a', '-m', 'other');
  git('checkout', '-q', 'main');
  return root;
}

interface Tally {
  seen: number;
  missed: number;
  latencies: number[];
}

async function measure(candidate: Candidate, edits: number): Promise<Map<string, Tally>> {
  const root = project();
  const tallies = new Map(STYLES.map((style) => [style.name, { seen: 0, missed: 0, latencies: [] } as Tally]));
  let waiting: ((rel: string) => boolean) | undefined;
  let seenAt: number | undefined;
  const stop = await candidate.start(root, (path) => {
    const rel = relative(root, path).split('\\').join('/');
    if (waiting?.(rel) === true && seenAt === undefined) seenAt = performance.now();
  });
  try {
    // Interleaved, as a developer saves: the styles one after the other, `edits` rounds.
    for (let i = 1; i <= edits; i++) {
      for (const style of STYLES) {
        seenAt = undefined;
        const savedAt = performance.now();
        waiting = style.save(root, i);
        while (seenAt === undefined && performance.now() - savedAt < 2_000) await sleep(10);
        const tally = tallies.get(style.name)!;
        if (seenAt === undefined) tally.missed++;
        else {
          tally.seen++;
          tally.latencies.push(seenAt - savedAt);
        }
        waiting = undefined;
        await sleep(150); // the rest of the save's events pass before the next one
      }
    }
  } finally {
    await stop();
    rmSync(join(root, '..'), { recursive: true, force: true });
  }
  return tallies;
}

/** A node_modules as big projects have it: 400 packages x 8 folders x 6 files (19,200 files, 3,601
 * folders). How long until the watcher is ready (every later save seen), and its process's RSS. */
async function readyTime(candidate: Candidate): Promise<{ ms: number; rssMb: number }> {
  const base = mkdtempSync(join(tmpdir(), 'watch-bench-big-'));
  for (let p = 0; p < 400; p++) {
    for (let d = 0; d < 8; d++) {
      mkdirSync(join(base, 'node_modules', `p${p}`, `d${d}`), { recursive: true });
      for (let f = 0; f < 6; f++) writeFileSync(join(base, 'node_modules', `p${p}`, `d${d}`, `f${f}.js`), 'module.exports = 1;\n');
    }
  }
  try {
    const started = performance.now();
    const stop = await candidate.start(base, () => {});
    const ms = performance.now() - started;
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    await stop();
    return { ms, rssMb };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const edits = Number(process.argv[2] ?? 20);
const wanted = process.argv.slice(3);
const median = (xs: number[]): string => (xs.length === 0 ? '-' : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(0));
console.log(`node ${process.version}, ${edits} edits per style, interleaved; picked up / missed (median ms to the event)\n`);
const results: [string, Map<string, Tally>][] = [];
for (const candidate of CANDIDATES.filter((c) => wanted.length === 0 || wanted.some((w) => c.name.startsWith(w)))) {
  results.push([candidate.name, await measure(candidate, edits)]);
  process.stderr.write(`measured ${candidate.name}\n`);
}
console.log(`| save style | ${results.map(([name]) => name).join(' | ')} |`);
console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
for (const style of STYLES) {
  const cells = results.map(([, tallies]) => {
    const t = tallies.get(style.name)!;
    return `${t.seen} / ${t.missed} (${median(t.latencies)})`;
  });
  console.log(`| ${style.name} | ${cells.join(' | ')} |`);
}

// Ready time: each candidate in a fresh process would be cleaner; run one name at a time for RSS
// figures that are the candidate's own (node bench/watchers/save-styles.ts 0 chokidar).
console.log(`\n| 19,200 files in 3,601 folders | ${results.map(([name]) => name).join(' | ')} |`);
console.log(`| --- | ${results.map(() => '---').join(' | ')} |`);
const ready: string[] = [];
for (const [name] of results) {
  const candidate = CANDIDATES.find((c) => c.name === name)!;
  const { ms, rssMb } = await readyTime(candidate);
  ready.push(name.startsWith('fs.watch') ? `n/a (no ready event), rss ${rssMb.toFixed(0)} MB` : `${ms.toFixed(0)} ms, rss ${rssMb.toFixed(0)} MB`);
}
console.log(`| ready after, process RSS | ${ready.join(' | ')} |`);
