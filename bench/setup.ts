// Gets the peers ready: installs bench/peers from its lock file, builds aws-lambda-ric's native
// client, compiles bootstrap.ts with Bun, and finds vmtouch. Anything that cannot be had comes
// back as a reason, so that the bench still measures the rest.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeZip } from '../build/zip.ts';
import { BENCH_DIR, PINNED_NODE, REPO_ROOT, WORK_DIR } from './runtimes.ts';
import type { Runtime } from './runtimes.ts';

const PEERS_DIR = join(BENCH_DIR, 'peers');
const PEERS_MODULES = join(PEERS_DIR, 'node_modules');
export const RIC_DIR = join(PEERS_MODULES, 'aws-lambda-ric');
const BUN_BINARY_CANDIDATES = [
  join(PEERS_MODULES, '@oven', 'bun-linux-x64', 'bin', 'bun'),
  // Where bun's own postinstall moves it, if an npm that runs install scripts installed it.
  join(PEERS_MODULES, 'bun', 'bin', 'bun.exe'),
];
export const BUN_OUTPUT = join(WORK_DIR, 'bootstrap-bun');

export type Ready<T> = { ok: true; value: T } | { ok: false; reason: string };

function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function run(command: string, args: string[], cwd: string, logFile?: string, env?: NodeJS.ProcessEnv): { ok: boolean; output: string } {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  if (logFile !== undefined) writeFileSync(logFile, output);
  return { ok: r.status === 0, output };
}

/** `npm ci --ignore-scripts` of bench/peers, when its node_modules is missing and `install` allows it. */
export function installPeers(install: boolean, log: (line: string) => void): Ready<string> {
  if (existsSync(join(PEERS_MODULES, '.package-lock.json'))) return { ok: true, value: PEERS_MODULES };
  if (!install) return { ok: false, reason: 'bench/peers is not installed (smoke mode installs nothing; `make bench` does)' };
  log('setup: npm ci --prefix bench/peers (aws-lambda-ric, bun) ...');
  // Install scripts stay off whatever npm's default: the native build below is explicit and logged.
  const r = run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', PEERS_DIR], REPO_ROOT);
  if (!r.ok) return { ok: false, reason: `npm ci --prefix bench/peers failed (it needs the npm registry):\n${tail(r.output)}` };
  return { ok: true, value: PEERS_MODULES };
}

/**
 * aws-lambda-ric's native client (curl + aws-lambda-cpp + a node-addon-api module) is built by its
 * install scripts, which npm may not run. Runs them explicitly: the sources ship in the package,
 * cmake and g++ come from Debian, node-gyp from npm, Node's headers from the pinned Node 24 package
 * (npm_config_nodedir: nothing is downloaded from nodejs.org). `packageDir` is the installed
 * aws-lambda-ric (bench/peers' by default; the parity suite has its own), `workDir` gets the log.
 */
export function buildRic(install: boolean, log: (line: string) => void, packageDir = RIC_DIR, workDir = WORK_DIR): Ready<string> {
  if (!existsSync(join(packageDir, 'index.mjs'))) return { ok: false, reason: `aws-lambda-ric is not installed in ${packageDir}` };
  const addon = join(packageDir, 'rapid-client.node');
  if (!existsSync(addon)) {
    if (!install) return { ok: false, reason: 'aws-lambda-ric native client is not built (smoke mode builds nothing)' };
    mkdirSync(workDir, { recursive: true });
    const logFile = join(workDir, 'aws-lambda-ric-build.log');
    log(`setup: building aws-lambda-ric's native client (curl, aws-lambda-cpp, node-gyp; log: ${logFile}) ...`);
    const env = { ...process.env, npm_config_nodedir: dirname(dirname(PINNED_NODE)) };
    const r = run('sh', ['-c', 'sh scripts/preinstall.sh && sh scripts/postinstall.sh'], packageDir, logFile, env);
    if (!r.ok || !existsSync(addon)) {
      return { ok: false, reason: `building aws-lambda-ric's native client failed (needs cmake, g++, make; see ${logFile}):\n${tail(r.output, 6)}` };
    }
  }
  // Prove the addon loads in the Node it will run on before measuring anything with it.
  // The addon reads AWS_LAMBDA_RUNTIME_API when it loads (and aborts without it); nothing connects.
  const probe = spawnSync(PINNED_NODE, ['-e', `require(${JSON.stringify(addon)})`], {
    cwd: packageDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' },
  });
  if (probe.status !== 0) {
    return { ok: false, reason: `aws-lambda-ric's rapid-client.node does not load in node 24: ${tail(`${probe.stdout}${probe.stderr}`, 4)}` };
  }
  return { ok: true, value: packageDir };
}

export function findBun(): Ready<string> {
  const found = BUN_BINARY_CANDIDATES.find((p) => existsSync(p));
  if (found === undefined) return { ok: false, reason: 'bun is not installed in bench/peers (no @oven/bun-linux-x64 binary)' };
  const version = run(found, ['--version'], REPO_ROOT);
  if (!version.ok) return { ok: false, reason: `${found} does not run: ${tail(version.output, 4)}` };
  return { ok: true, value: found };
}

/**
 * `bun build --compile bootstrap.ts` into bench/.work/bootstrap-bun, through Bun's build API
 * (bench/bun-build.mjs) so that `node:sea`, which Bun lacks, is stubbed.
 */
export function compileWithBun(bun: string): Ready<string> {
  mkdirSync(WORK_DIR, { recursive: true });
  rmSync(BUN_OUTPUT, { force: true });
  const r = run(bun, [join(BENCH_DIR, 'bun-build.mjs'), join(REPO_ROOT, 'bootstrap.ts'), BUN_OUTPUT], REPO_ROOT);
  if (!r.ok || !existsSync(BUN_OUTPUT)) return { ok: false, reason: `bun build --compile bootstrap.ts (bench/bun-build.mjs) failed:\n${tail(r.output, 6)}` };
  return { ok: true, value: BUN_OUTPUT };
}

/** The size of the layer zip build/layer.ts would make of `binary` (bootstrap at the root, deflated). */
export async function layerZipBytes(binary: string): Promise<number> {
  return (await writeZip([{ name: 'bootstrap', data: readFileSync(binary), mode: 0o100755 }])).length;
}

/** vmtouch evicts a file's pages (posix_fadvise DONTNEED) and counts the resident ones (mincore). */
export function findVmtouch(install: boolean, log: (line: string) => void): Ready<string> {
  const which = (): string | undefined => {
    const r = spawnSync('sh', ['-c', 'command -v vmtouch'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const found = which();
  if (found !== undefined) return { ok: true, value: found };
  if (!install) return { ok: false, reason: 'vmtouch is not installed (smoke mode installs nothing; `apt-get install vmtouch`)' };
  log('setup: apt-get install vmtouch ...');
  const r = run('sh', ['-c', 'apt-get install -y -qq vmtouch || (apt-get update -qq && apt-get install -y -qq vmtouch)'], REPO_ROOT);
  const after = which();
  if (after === undefined) return { ok: false, reason: `vmtouch is missing and apt-get install vmtouch failed: ${tail(r.output, 4)}` };
  return { ok: true, value: after };
}

/**
 * Copies dist/bootstrap, dist/bootstrap.js, dist/package.json and dist/wrapper-layer/ into bench/.work/dist, so that a
 * `make bootstrap` by someone else during the run cannot swap the build halfway through.
 */
export function snapshotDist(): string {
  const target = join(WORK_DIR, 'dist');
  mkdirSync(target, { recursive: true });
  mkdirSync(join(target, 'node26'), { recursive: true });
  for (const name of ['bootstrap', 'bootstrap.js', 'package.json', join('node26', 'bootstrap')]) {
    const source = join(REPO_ROOT, 'dist', name);
    if (existsSync(source)) copyFileSync(source, join(target, name));
    else rmSync(join(target, name), { force: true });
  }
  // The wrapper layer's tree as Lambda unpacks it (make layer-wrapper), modes kept.
  rmSync(join(target, 'wrapper-layer'), { recursive: true, force: true });
  const layer = join(REPO_ROOT, 'dist', 'wrapper-layer');
  if (existsSync(layer)) cpSync(layer, join(target, 'wrapper-layer'), { recursive: true });
  return target;
}

/**
 * Private copies of a runtime's files for the cold-disk start: the originals may be mapped by
 * other processes (the bench itself runs on the pinned node; tests run dist/bootstrap), and
 * pages mapped by a live process cannot be evicted.
 */
export function coldCopies(runtime: Runtime): Record<string, string> {
  const dir = join(WORK_DIR, 'cold', runtime.id);
  mkdirSync(dir, { recursive: true });
  const copies: Record<string, string> = {};
  for (const [name, source] of Object.entries(runtime.files)) {
    const target = join(dir, basename(source));
    if (!existsSync(target) || statSync(target).size !== statSync(source).size || statSync(target).mtimeMs < statSync(source).mtimeMs) {
      copyFileSync(source, target);
    }
    copies[name] = target;
  }
  return copies;
}

export function removeColdCopies(): void {
  const dir = join(WORK_DIR, 'cold');
  if (existsSync(dir)) for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
}

/** bench/mincore.c compiled into bench/.work/mincore (which 512 KiB chunks of a file are resident). */
export function buildMincore(): Ready<string> {
  const source = join(BENCH_DIR, 'mincore.c');
  const output = join(WORK_DIR, 'mincore');
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) return { ok: true, value: output };
  mkdirSync(WORK_DIR, { recursive: true });
  const r = run('cc', ['-O2', '-o', output, source], REPO_ROOT);
  if (!r.ok) return { ok: false, reason: `cc bench/mincore.c failed (needs a C compiler: apt-get install gcc): ${tail(r.output, 4)}` };
  return { ok: true, value: output };
}
