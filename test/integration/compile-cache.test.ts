// The packaged code cache (build/compile-cache.ts writes it, src/pre-init/compile-cache.ts switches it on):
// dist/bootstrap uses it with no flag, for CommonJS and ES modules loaded from disk, and a cache
// that is corrupt, made for other files, stale, or on a read-only task root changes nothing but
// speed. Which entries V8 accepted is read from Node's own trace (NODE_DEBUG_NATIVE=COMPILE_CACHE).
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { CompileCacheError, generateCompileCache } from '../../build/compile-cache.ts';
import type { CompileCacheReport } from '../../build/compile-cache.ts';
import { Emulator } from '../../emulator/index.ts';
import { ON_MANAGED_NODE, SUITE_BINARY, SUITE_NODE_LINE, describeOutcome, fixturePath, startFunction, stopAll } from './harness.ts';

// The binary under test writes the cache (dist/bootstrap, or dist/node26/bootstrap with BOOTSTRAP_NODE=26):
// V8 accepts only a cache its own version wrote.
const DEFAULT_BOOTSTRAP = SUITE_BINARY;

afterAll(stopAll);
const temporary: string[] = [];
const ownEmulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(ownEmulators.splice(0).map((e) => e.stop()));
  for (const dir of temporary.splice(0)) {
    spawnSync('chmod', ['-R', 'u+w', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

const TRACE = { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };

function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-cc-'));
  temporary.push(dir);
  chmodSync(dir, 0o755);
  cpSync(fixturePath('compile-cache'), dir, { recursive: true });
  return dir;
}

async function packageFunction(dir: string, handler: string, uids?: number[]): Promise<CompileCacheReport> {
  const report = await generateCompileCache({ functionDir: dir, handler, bootstrap: DEFAULT_BOOTSTRAP, event: '{"name":"packaging"}', uids });
  if (report instanceof CompileCacheError) throw report;
  return report;
}

/** Files (relative to `dir`) whose cache entry V8 accepted, from Node's trace. */
function accepted(output: string, dir: string): string[] {
  const files = [...output.matchAll(/V8 code cache for (?:CommonJS|ESM) (\S+) was accepted/g)].map((m) => m[1]!.replace(/^file:\/\//, ''));
  return files.map((f) => relative(dir, f)).sort();
}

/** Every file under `dir` with its size and mtime: proof that nothing was written. */
function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const s = lstatSync(path);
      if (s.isDirectory()) walk(path);
      else out.push(`${relative(dir, path)} ${s.size} ${s.mtimeMs}`);
    }
  };
  walk(dir);
  return out.sort();
}

async function invoke(dir: string, handler: string, env: Record<string, string> = {}): Promise<{ body: unknown; output: string }> {
  const emulator = await startFunction(dir, handler, { ...TRACE, ...env });
  const outcome = await emulator.invoke('{"name":"ada"}');
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  await emulator.stop();
  return { body: outcome.json(), output: emulator.output };
}

// V8 accepts a cache only from the same node build with the same flags: a cache packaged for
// dist/bootstrap is (rightly) rejected by the managed node of the wrapper flavour, which runs with
// the managed bootstrap's flags. The tests that expect acceptance are the binary's.
const acceptedByThisNode = test.skipIf(ON_MANAGED_NODE);

describe('packaged compile cache', () => {
  acceptedByThisNode('make package writes the cache for this Node/V8, linked for Lambda\'s uid; CommonJS modules load from it', async () => {
    const dir = copyFixture();
    const report = await packageFunction(dir, 'cjs.handler');
    expect(report.entries).toBeGreaterThanOrEqual(2);
    if (SUITE_NODE_LINE === '24') {
      expect(report.tag).toMatch(/^v24\.\d+\.\d+-x64-[0-9a-f]{8}-\d+$/);
      const link = join(dir, '.lambda-bootstrap', 'compile-cache', `${report.tag.slice(0, report.tag.lastIndexOf('-'))}-993`);
      if (!report.tag.endsWith('-993')) expect(readlinkSync(link)).toBe(report.tag);
    } else {
      // Node 26 leaves the uid out of the folder's name: one folder serves every user, nothing to link.
      expect(report.tag).toMatch(/^v26\.\d+\.\d+-x64-[0-9a-f]{8}$/);
      expect(report.links).toEqual([]);
    }
    // Lambda runs functions as a non-root user: Node's 0600 entries would be unreadable there.
    for (const name of readdirSync(join(report.directory, report.tag))) {
      expect((statSync(join(report.directory, report.tag, name)).mode & 0o777).toString(8)).toBe('644');
    }

    const { body, output } = await invoke(dir, 'cjs.handler');
    expect(body).toEqual({ from: 'cjs', greeting: 'hello, ada', marker: null });
    expect(accepted(output, dir)).toEqual(['cjs.cjs', 'lib/greet.cjs']);
  });

  acceptedByThisNode('ES modules imported by the runtime load from it too', async () => {
    const dir = copyFixture();
    await packageFunction(dir, 'esm.handler');
    const { body, output } = await invoke(dir, 'esm.handler');
    expect(body).toEqual({ from: 'esm', greeting: 'HELLO, ADA' });
    expect(accepted(output, dir)).toEqual(['esm.mjs', 'lib/shout.mjs']);
  });

  test('no cache: nothing is switched on and nothing is written into the task root', async () => {
    const dir = copyFixture();
    const before = listing(dir);
    const { body, output } = await invoke(dir, 'cjs.handler');
    expect(body).toEqual({ from: 'cjs', greeting: 'hello, ada', marker: null });
    expect(output).not.toContain('[compile cache]');
    expect(existsSync(join(dir, '.lambda-bootstrap'))).toBe(false);
    expect(listing(dir)).toEqual(before);
  });

  // The runtime's own tag is the packaging run's: the same binary, the same user.
  acceptedByThisNode('a cache made for another Node/V8 is skipped with one log line naming both, and nothing is written', async () => {
    const dir = copyFixture();
    const report = await packageFunction(dir, 'cjs.handler');
    // What a cache packaged by another Node (or with other V8 flags) looks like to this one: only
    // subdirectories under other tags.
    const cache = join(dir, '.lambda-bootstrap', 'compile-cache');
    const foreign = 'v24.0.0-x64-0badc0de-993';
    renameSync(join(cache, report.tag), join(cache, foreign));
    for (const name of readdirSync(cache)) if (name !== foreign) rmSync(join(cache, name), { recursive: true, force: true });
    const before = listing(dir);
    const { body, output } = await invoke(dir, 'cjs.handler');
    expect(body).toEqual({ from: 'cjs', greeting: 'hello, ada', marker: null });
    const lines = output.split('\n').filter((line) => line.includes('packaged compile cache'));
    expect(lines).toEqual([
      `lambda-bootstrap: the packaged compile cache in ${cache} was made for ${foreign}, not for this runtime's ${report.tag} ` +
        '(Node.js, V8 flags, CPU features or user id differ); not used, modules compile as usual. Package the function again with the runtime, architecture and NODE_OPTIONS it runs with.',
    ]);
    expect(accepted(output, dir)).toEqual([]);
    expect(listing(dir)).toEqual(before);
  });

  test('packaging a function whose init fails is refused with the init error', async () => {
    const dir = copyFixture();
    const report = await generateCompileCache({ functionDir: dir, handler: 'broken.handler', bootstrap: DEFAULT_BOOTSTRAP });
    expect(report).toBeInstanceOf(CompileCacheError);
    expect((report as CompileCacheError).message).toContain("the function's init failed, so no cache was written");
    expect((report as CompileCacheError).message).toContain('TABLE_NAME is not set');
    expect(existsSync(join(dir, '.lambda-bootstrap', 'compile-cache'))).toBe(false);
  });

  test('NODE_DISABLE_COMPILE_CACHE keeps a packaged cache off', async () => {
    const dir = copyFixture();
    await packageFunction(dir, 'cjs.handler');
    const { body, output } = await invoke(dir, 'cjs.handler', { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(body).toEqual({ from: 'cjs', greeting: 'hello, ada', marker: null });
    expect(accepted(output, dir)).toEqual([]);
  });

  test.each([
    ['garbage', (data: Buffer): Buffer => Buffer.from(data.map(() => 0xa5))],
    ['truncated', (data: Buffer): Buffer => data.subarray(0, Math.floor(data.length / 2))],
    ['empty', (): Buffer => Buffer.alloc(0)],
    ['payload bit flip (valid header)', (data: Buffer): Buffer => {
      const copy = Buffer.from(data);
      for (let i = 24; i < copy.length; i += 7) copy[i] = copy[i]! ^ 0xff;
      return copy;
    }],
  ])('corrupt entries (%s) are ignored: same answers, nothing accepted', async (_name, corrupt) => {
    const dir = copyFixture();
    const report = await packageFunction(dir, 'cjs.handler');
    const entries = join(report.directory, report.tag);
    for (const name of readdirSync(entries)) writeFileSync(join(entries, name), corrupt(readFileSync(join(entries, name))));
    const { body, output } = await invoke(dir, 'cjs.handler');
    expect(body).toEqual({ from: 'cjs', greeting: 'hello, ada', marker: null });
    expect(accepted(output, dir)).toEqual([]);
  });

  acceptedByThisNode('a cache from a different function (same file names, other code) is ignored', async () => {
    const other = copyFixture();
    writeFileSync(join(other, 'lib', 'greet.cjs'), 'exports.greet = (name) => `bonjour, ${name}`;\n');
    await packageFunction(other, 'cjs.handler');
    const dir = copyFixture();
    cpSync(join(other, '.lambda-bootstrap'), join(dir, '.lambda-bootstrap'), { recursive: true, verbatimSymlinks: true });
    const { body, output } = await invoke(dir, 'cjs.handler');
    expect(body).toEqual({ from: 'cjs', greeting: 'hello, ada', marker: null });
    // cjs.cjs is the same file in both functions, so its entry is rightly used; greet.cjs is not.
    expect(accepted(output, dir)).toEqual(['cjs.cjs']);
  });

  test('read-only task root, running as another user (Lambda\'s situation): the cache is used, a stale entry is skipped, nothing is written', async () => {
    const dir = copyFixture();
    const asRoot = process.getuid?.() === 0;
    const uid = asRoot ? 65534 : (process.getuid?.() ?? 0);
    await packageFunction(dir, 'cjs.handler', [uid]);
    // Edited after packaging: its entry is stale.
    writeFileSync(join(dir, 'lib', 'greet.cjs'), 'exports.greet = (name) => `hi, ${name}`;\n');
    spawnSync('chmod', ['-R', 'a-w', dir]);
    const before = listing(dir);
    // root ignores file modes; the runtime runs as `nobody`, as Lambda runs functions as a non-root user.
    const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).stdout.trim();
    if (asRoot && setpriv === '') throw new Error('setpriv (util-linux) is needed to run the runtime as a non-root user');
    const command = asRoot ? { command: setpriv, args: ['--reuid=65534', '--regid=65534', '--clear-groups', DEFAULT_BOOTSTRAP] } : { command: DEFAULT_BOOTSTRAP, args: [] };
    const emulator = await Emulator.start({ ...command, runtimeUid: uid, handler: 'cjs.handler', taskRoot: dir, env: TRACE });
    ownEmulators.push(emulator);
    const outcome = await emulator.invoke('{"name":"ada"}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ from: 'cjs', greeting: 'hi, ada', marker: null });
    expect(accepted(emulator.output, dir)).toEqual(['cjs.cjs']);
    // A clean exit is when Node writes new entries: let it happen, then check nothing changed.
    await emulator.shutdown();
    await emulator.stop();
    expect(listing(dir)).toEqual(before);
    expect(statSync(dir).mode & 0o222).toBe(0);
  });
});
