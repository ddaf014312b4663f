// `lambda-bootstrap package` ships what the function loads, proven by running the zip: the packed
// tool (npm pack, installed offline into an empty project, run by this machine's own Node) packages
// each fixture, the zip is unpacked into an empty temporary folder of its own, and its `bootstrap`
// serves an invoke there against the emulator. Fixtures: the two layouts of
// ../shared/repros/package-not-self-contained (dependencies at the project root above ./src; a
// `file:` dependency; their files written here as the repro has them), npm workspaces, a pnpm-style symlinked store with two versions of one
// package, a TypeScript project with extensionless imports and an enum (refused with the reason;
// --bundle), and better-sqlite3 12 built by this machine's Node (refused for its ABI, `rebuild`,
// then it runs). The tool's own init check runs on every package here too.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../emulator/index.ts';
import { readCentralDirectory } from '../build/layer-zip-suite.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI_DIR = join(REPO_ROOT, 'cli');
const BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');
const USER_PATH = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(join(REPO_ROOT, 'node_modules'))).join(delimiter);
const userNode = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8', env: { PATH: USER_PATH } }).stdout.trim();
const USER_ENV = { ...process.env, PATH: USER_PATH, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_loglevel: 'error' };
// npm from its cache only (the repository's `npm ci` filled it); the repro's packages and
// better-sqlite3 are taken from the cache when there, from the registry otherwise.
const OFFLINE = { ...USER_ENV, npm_config_offline: 'true' };
const PREFER_OFFLINE = { ...USER_ENV, npm_config_prefer_offline: 'true' };

let work = '';
let project = '';
let tool = '';

function run(args: string[], cwd = project): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(userNode, [tool, ...args], { cwd, encoding: 'utf8', env: USER_ENV, timeout: 900_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = OFFLINE): void {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env, timeout: 900_000 });
  expect(r.status, `npm ${args.join(' ')} in ${cwd}:\n${r.stdout}${r.stderr}`).toBe(0);
}

/** Unpacks `zip` into a fresh folder under the system's temporary folder (no view of the fixtures). */
function unpackAlone(zipPath: string): string {
  const zip = readFileSync(zipPath);
  const task = join(mkdtempSync(join(tmpdir(), 'lambda-bootstrap-alone-')), 'task');
  for (const entry of readCentralDirectory(zip)) {
    expect((entry.mode & 0o170000).toString(8), `${entry.name} is a regular file, not a link`).toBe('100000');
    const dataAt = entry.localOffset + 30 + zip.readUInt16LE(entry.localOffset + 26) + zip.readUInt16LE(entry.localOffset + 28);
    const raw = zip.subarray(dataAt, dataAt + entry.compressedSize);
    const path = join(task, entry.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, entry.method === 8 ? inflateRawSync(raw) : raw);
    chmodSync(path, entry.mode & 0o777);
  }
  return task;
}

/** Packages `dir` with `flags`, unpacks the zip alone and invokes it once; the zip's names and the answer. */
async function packageAndRun(dir: string, event: string, flags: string[] = []): Promise<{ names: string[]; answer: unknown; stderr: string }> {
  const zipPath = join(work, `${dir.replaceAll('/', '-')}.zip`);
  const r = run(['package', dir, '--output', zipPath, ...flags]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain("package: checked: the function's init (index.handler) succeeds from the zip unpacked alone");
  const names = readCentralDirectory(readFileSync(zipPath)).map((e) => e.name);
  const task = unpackAlone(zipPath);
  const emulator = await Emulator.start({ command: join(task, 'bootstrap'), handler: 'index.handler', taskRoot: task });
  try {
    const outcome = await emulator.invoke(event);
    expect(outcome.kind, outcome.body.toString()).toBe('response');
    return { names, answer: outcome.json(), stderr: r.stderr };
  } finally {
    await emulator.stop();
    rmSync(dirname(task), { recursive: true, force: true });
  }
}

const packagesIn = (names: string[]): string[] => [...new Set(names.filter((n) => n.startsWith('node_modules/')).map((n) => n.split('/').slice(0, n.startsWith('node_modules/@') ? 3 : 2).join('/')))].sort();

beforeAll(() => {
  expect(existsSync(BOOTSTRAP), 'dist/bootstrap (make dist/bootstrap)').toBe(true);
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-closure-'));
  const pack = spawnSync('npm', ['pack', '--pack-destination', work], { cwd: CLI_DIR, encoding: 'utf8', env: OFFLINE });
  expect(pack.status, pack.stdout + pack.stderr).toBe(0);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  project = join(work, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'project', version: '1.0.0', private: true }));
  npm(['install', '--save-dev', join(work, tarball)], project);
  tool = join(project, 'node_modules', 'lambda-bootstrap', 'dist', 'lambda-bootstrap.js');
  // What `lambda-bootstrap build` writes, taken from the checkout (installed-tool.test.ts builds it).
  mkdirSync(join(project, '.lambda-bootstrap'));
  copyFileSync(BOOTSTRAP, join(project, '.lambda-bootstrap', 'bootstrap'));
}, 300_000);

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('package ships the dependency closure, proven by the unpacked zip', () => {
  it('repro package-not-self-contained A: code in ./src, is-odd installed at the project root above it', async () => {
    // ../shared/repros/package-not-self-contained/subdir-project, as its files are.
    const dir = join(project, 'subdir-project');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "name": "subdir-project", "private": true, "type": "module", "dependencies": { "is-odd": "3.0.1" } }\n');
    writeFileSync(join(dir, 'src', 'index.mjs'), "import isOdd from 'is-odd'\nexport const handler = async (e) => ({ odd: isOdd(e.n ?? 3) })\n");
    npm(['install'], dir, PREFER_OFFLINE);
    const { names, answer, stderr } = await packageAndRun('subdir-project/src', '{"n":5}');
    expect(answer).toEqual({ odd: true });
    expect(packagesIn(names)).toEqual(['node_modules/is-number', 'node_modules/is-odd']);
    // The project's "type": "module" travels with the code (Node reads it for .js files).
    expect(names).toContain('package.json');
    expect(stderr).toMatch(/package: is-odd: resolved from .*subdir-project\/node_modules\/is-odd \(outside .*\): copied into the zip as node_modules\/is-odd/);
  }, 300_000);

  it('repro package-not-self-contained B: a file: dependency is copied as real files, not a link out of the zip', async () => {
    // ../shared/repros/package-not-self-contained/file-dep, as its files are.
    const dir = join(project, 'file-dep');
    mkdirSync(join(dir, 'app'), { recursive: true });
    mkdirSync(join(dir, 'sharedlib'));
    writeFileSync(join(dir, 'sharedlib', 'index.js'), 'exports.hello = () => "from sharedlib"\n');
    writeFileSync(join(dir, 'sharedlib', 'package.json'), '{ "name": "sharedlib", "version": "1.0.0", "main": "index.js" }\n');
    writeFileSync(join(dir, 'app', 'index.js'), 'exports.handler = async () => require("sharedlib").hello()\n');
    writeFileSync(join(dir, 'app', 'package.json'), '{ "name": "app", "private": true, "dependencies": { "sharedlib": "file:../sharedlib" } }\n');
    // The linked folder is a working tree: its local secrets stay out by the function's rules.
    writeFileSync(join(dir, 'sharedlib', '.env'), 'TOKEN=not-for-the-zip\n');
    npm(['install'], join(dir, 'app'));
    const { names, answer, stderr } = await packageAndRun('file-dep/app', '{}');
    expect(answer).toBe('from sharedlib');
    expect(names.filter((n) => n.startsWith('node_modules/'))).toEqual(['node_modules/sharedlib/index.js', 'node_modules/sharedlib/package.json']);
    expect(stderr).toContain('package: left out 1 file(s) of the dependencies by the same rules');
    expect(stderr).toContain('  local secrets and credentials: node_modules/sharedlib/.env\n');
  }, 300_000);

  it('npm workspaces: the workspace package (a link to ../packages/shared) and its hoisted registry dependencies; devDependencies stay out', async () => {
    const root = join(project, 'mono');
    const yazl = (JSON.parse(readFileSync(join(CLI_DIR, 'npm-shrinkwrap.json'), 'utf8')) as { packages: Record<string, { version: string }> }).packages['node_modules/yazl']!.version;
    mkdirSync(join(root, 'packages', 'shared'), { recursive: true });
    mkdirSync(join(root, 'packages', 'fn'), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }));
    writeFileSync(join(root, 'packages', 'shared', 'package.json'), JSON.stringify({ name: '@demo/shared', version: '1.0.0', main: 'index.js', dependencies: { yazl } }));
    writeFileSync(join(root, 'packages', 'shared', 'index.js'), "const yazl = require('yazl');\nexports.zipper = () => typeof new yazl.ZipFile().addBuffer;\n");
    writeFileSync(join(root, 'packages', 'fn', 'package.json'), JSON.stringify({ name: 'fn', version: '1.0.0', type: 'module', dependencies: { '@demo/shared': '1.0.0' }, devDependencies: { commander: '14.0.3' } }));
    writeFileSync(join(root, 'packages', 'fn', 'index.js'), "import { zipper } from '@demo/shared';\nexport const handler = async () => ({ zipper: zipper() });\n");
    npm(['install'], root);
    const { names, answer } = await packageAndRun('mono/packages/fn', '{}');
    expect(answer).toEqual({ zipper: 'function' });
    expect(packagesIn(names)).toEqual(['node_modules/@demo/shared', 'node_modules/buffer-crc32', 'node_modules/yazl']);
  }, 300_000);

  it('a pnpm-style store: links into node_modules/.pnpm, two versions of one package, each found where Node finds it', async () => {
    const fn = join(project, 'pnpm-fn');
    const store = join(fn, 'node_modules', '.pnpm');
    const pkg = (at: string, name: string, version: string, code: string, dependencies: Record<string, string> = {}): void => {
      mkdirSync(at, { recursive: true });
      writeFileSync(join(at, 'package.json'), JSON.stringify({ name, version, main: 'index.js', dependencies }));
      writeFileSync(join(at, 'index.js'), code);
    };
    pkg(join(store, 'a@1.0.0', 'node_modules', 'a'), 'a', '1.0.0', "exports.a = () => 'a sees b ' + require('b').version;\n", { b: '2.0.0' });
    pkg(join(store, 'b@2.0.0', 'node_modules', 'b'), 'b', '2.0.0', 'exports.version = 2;\n');
    pkg(join(store, 'b@1.0.0', 'node_modules', 'b'), 'b', '1.0.0', 'exports.version = 1;\n');
    symlinkSync('../../b@2.0.0/node_modules/b', join(store, 'a@1.0.0', 'node_modules', 'b'));
    symlinkSync('.pnpm/a@1.0.0/node_modules/a', join(fn, 'node_modules', 'a'));
    symlinkSync('.pnpm/b@1.0.0/node_modules/b', join(fn, 'node_modules', 'b'));
    writeFileSync(join(fn, 'package.json'), JSON.stringify({ name: 'pnpm-fn', version: '1.0.0', dependencies: { a: '1.0.0', b: '1.0.0' } }));
    writeFileSync(join(fn, 'index.js'), "exports.handler = async () => ({ a: require('a').a(), b: require('b').version });\n");
    const { names, answer } = await packageAndRun('pnpm-fn', '{}');
    expect(answer).toEqual({ a: 'a sees b 2', b: 1 });
    expect(names.filter((n) => n.startsWith('node_modules/'))).toEqual([
      'node_modules/a/index.js',
      'node_modules/a/node_modules/b/index.js',
      'node_modules/a/node_modules/b/package.json',
      'node_modules/a/package.json',
      'node_modules/b/index.js',
      'node_modules/b/package.json',
    ]);
  }, 300_000);

  it("TypeScript beyond type stripping: refused with the reason and --bundle; --bundle builds it with a source map and it runs", async () => {
    const fn = join(project, 'ts-fn');
    mkdirSync(join(fn, 'lib'), { recursive: true });
    writeFileSync(join(fn, 'package.json'), JSON.stringify({ name: 'ts-fn', version: '1.0.0', type: 'module' }));
    writeFileSync(join(fn, 'index.ts'), "import { Colour, paint } from './lib/paint';\nexport const handler = async (event: { n: number }): Promise<string> => paint(Colour.Red, event.n);\n");
    writeFileSync(join(fn, 'lib', 'paint.ts'), "export enum Colour { Red = 'red' }\nexport function paint(c: Colour, n: number): string { return `${c} x${n}`; }\n");
    const refused = run(['package', 'ts-fn', '--output', join(work, 'ts-refused.zip')]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("package: the function's init fails from the zip unpacked alone (as on Lambda): index.ts imports 'lib/paint' without its extension: Node's type stripping does not add one");
    expect(refused.stderr).toContain('lambda-bootstrap package --bundle');
    expect(existsSync(join(work, 'ts-refused.zip'))).toBe(false);
    // With the extension written, the enum is the next limit, named as such.
    writeFileSync(join(fn, 'index.ts'), readFileSync(join(fn, 'index.ts'), 'utf8').replace("'./lib/paint'", "'./lib/paint.ts'"));
    const enumRefused = run(['package', 'ts-fn', '--output', join(work, 'ts-refused.zip')]);
    expect(enumRefused.status).toBe(1);
    expect(enumRefused.stderr).toContain("Node's type stripping cannot run `enum` declarations (SyntaxError [ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX]: TypeScript enum is not supported in strip-only mode)");
    writeFileSync(join(fn, 'index.ts'), readFileSync(join(fn, 'index.ts'), 'utf8').replace("'./lib/paint.ts'", "'./lib/paint'"));

    const { names, answer } = await packageAndRun('ts-fn', '{"n":3}', ['--bundle']);
    expect(answer).toBe('red x3');
    expect(names).toEqual(['bootstrap', 'index.mjs', 'index.mjs.map', 'package.json']);

    // An ES module handler under npm's default "type": "commonjs".
    const cjs = join(project, 'esm-in-cjs');
    mkdirSync(cjs);
    writeFileSync(join(cjs, 'package.json'), JSON.stringify({ name: 'esm-in-cjs', version: '1.0.0', type: 'commonjs' }));
    writeFileSync(join(cjs, 'index.js'), 'export const handler = async () => 1;\n');
    const esm = run(['package', 'esm-in-cjs', '--output', join(work, 'esm.zip')]);
    expect(esm.status).toBe(1);
    expect(esm.stderr).toContain('the handler is an ES module (import/export) but Node loads it as CommonJS');
    expect(esm.stderr).toContain('--bundle');
  }, 300_000);

  it('a module missing from the zip fails package, naming the module and the file that wanted it', () => {
    const fn = join(project, 'missing-fn');
    mkdirSync(fn);
    writeFileSync(join(fn, 'index.js'), "const gone = require('left-pad-nowhere');\nexports.handler = async () => gone;\n");
    const r = run(['package', 'missing-fn', '--output', join(work, 'missing.zip')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the module 'left-pad-nowhere' wanted by index.js is not in the zip");
    expect(existsSync(join(work, 'missing.zip'))).toBe(false);
    const skipped = run(['package', 'missing-fn', '--output', join(work, 'missing.zip'), '--no-verify']);
    expect(skipped.status, skipped.stderr).toBe(0);
  }, 120_000);
});

describe('native addons', () => {
  it('better-sqlite3 12 built by this Node: refused for its ABI (and for Amazon Linux 2 by its glibc needs), rebuilt for Node 24, then runs from the unpacked zip', async () => {
    const fn = join(project, 'sqlite-fn');
    mkdirSync(fn);
    writeFileSync(join(fn, 'package.json'), JSON.stringify({ name: 'sqlite-fn', version: '1.0.0', private: true, type: 'module', dependencies: { 'better-sqlite3': '12.11.1' } }));
    writeFileSync(
      join(fn, 'index.js'),
      "import Database from 'better-sqlite3';\nconst db = new Database(':memory:');\ndb.exec('create table t (id integer primary key, name text)');\nexport const handler = async (event) => {\n  db.prepare('insert into t (name) values (?)').run(event.name ?? 'x');\n  return { rows: db.prepare('select count(*) as n from t').get() };\n};\n",
    );
    // This machine's Node compiles it (no prebuilt download is reachable, or one for this Node).
    npm(['install'], fn, PREFER_OFFLINE);
    const abi = Number(spawnSync(userNode, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).stdout.trim());
    expect(abi).not.toBe(137);

    // invoke runs it in place: Node's own error, and the tool's note before it with the fix.
    const invoked = run(['invoke', 'sqlite-fn', '--event', '{"name":"a"}']);
    expect(invoked.status).toBe(1);
    expect(invoked.stderr).toContain(`lambda-bootstrap: warning: better-sqlite3's better_sqlite3.node is built for NODE_MODULE_VERSION ${abi} (Node `);
    expect(invoked.stderr).toContain('run `lambda-bootstrap rebuild sqlite-fn` to compile it for Node 24 (docs/native-addons.md)');
    expect(invoked.stdout).toContain('NODE_MODULE_VERSION 137');

    const refused = run(['package', 'sqlite-fn', '--output', join(work, 'sqlite.zip')]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('1 native addon(s) cannot load on Lambda');
    expect(refused.stderr).toContain(`node_modules/better-sqlite3/build/Release/better_sqlite3.node: built for NODE_MODULE_VERSION ${abi}`);
    expect(refused.stderr).toContain('the runtime is Node 24 (NODE_MODULE_VERSION 137)');
    expect(refused.stderr).toContain('lambda-bootstrap rebuild <function-dir>');
    expect(existsSync(join(work, 'sqlite.zip'))).toBe(false);

    const rebuilt = run(['rebuild', 'sqlite-fn']);
    expect(rebuilt.status, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toContain('better-sqlite3\t');

    const { names, answer, stderr } = await packageAndRun('sqlite-fn', '{"name":"a"}');
    expect(answer).toEqual({ rows: { n: 1 } });
    expect(stderr).toMatch(/native addon node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node: NODE_MODULE_VERSION 137, x86_64/);
    // node-gyp's intermediate files (obj.target/ with a second copy of each .node, .deps/, the
    // Makefiles) stay out; the addon and the package's SQLite test extension ship.
    expect(names.filter((n) => n.startsWith('node_modules/better-sqlite3/build/'))).toEqual([
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/better-sqlite3/build/Release/test_extension.node',
    ]);

    // Amazon Linux 2's glibc is 2.26: an addon built on a newer glibc is refused for provided.al2.
    const glibc = /better_sqlite3\.node: [^\n]*needs [^\n]*?(GLIBC_2\.\d+)/.exec(stderr)?.[1];
    if (glibc !== undefined && Number(glibc.split('.')[1]) > 26) {
      const al2 = run(['package', 'sqlite-fn', '--os', 'al2', '--output', join(work, 'sqlite-al2.zip')]);
      expect(al2.status).toBe(1);
      expect(al2.stderr).toContain(`needs ${glibc}, Amazon Linux 2 (provided.al2) has GLIBC_2.26`);
    }
  }, 900_000);
});
