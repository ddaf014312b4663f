// The npm package as a user gets it, for the test files that run the installed tool
// (installed-tool, installed-wrapper-flavour, tool-lifecycle): `npm pack` of cli/, `npm install
// <tarball> --offline` into an empty project (dependencies, and the pinned node, from npm's cache,
// which the repository's own `npm ci` filled), run by this machine's own node, not the
// repository's Node 24; and `serve`/`watch` started until their runtime is ready.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { expect } from 'vitest';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** PATH without the repository's node_modules/.bin (where the pinned Node 24 is). */
export const USER_PATH = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.startsWith(join(REPO_ROOT, 'node_modules'))).join(delimiter);
/** This machine's own node ('' when there is none outside the repository). */
export const userNode = spawnSync('sh', ['-c', 'command -v node'], { encoding: 'utf8', env: { PATH: USER_PATH } }).stdout.trim();
/** The user's environment; npm must not reach the registry: everything comes from its cache. */
export const USER_ENV: NodeJS.ProcessEnv = { ...process.env, PATH: USER_PATH, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };

export interface PackedTool {
  /** The temporary folder holding the tarball and the project (remove it after the tests). */
  work: string;
  /** The user's project, with the tool installed. */
  project: string;
  /** The installed tool's script (node_modules/lambda-bootstrap/dist/lambda-bootstrap.js). */
  tool: string;
}

/** Packs cli/ and installs it offline into `<tmp>/<prefix>…/my-project`; expects both to succeed. */
export function packAndInstall(prefix: string): PackedTool {
  expect(userNode, 'a node on PATH outside the repository').not.toBe('');
  const work = mkdtempSync(join(tmpdir(), prefix));
  const pack = spawnSync('npm', ['pack', '--pack-destination', work, '--loglevel=error'], { cwd: join(REPO_ROOT, 'cli'), encoding: 'utf8', env: USER_ENV });
  expect(pack.status, pack.stdout + pack.stderr).toBe(0);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  const project = join(work, 'my-project');
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-project', version: '1.0.0', private: true }));
  const install = spawnSync('npm', ['install', join(work, tarball!), '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, encoding: 'utf8', env: USER_ENV });
  expect(install.status, install.stdout + install.stderr).toBe(0);
  return { work, project, tool: join(project, 'node_modules', 'lambda-bootstrap', 'dist', 'lambda-bootstrap.js') };
}

export interface Serving {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  /** Everything the tool wrote to stderr so far. */
  stderr: () => string;
  /** The tool's exit code once it exits. */
  exit: Promise<number | null>;
}

/**
 * Starts the installed tool (`serve`/`watch` and `args`) with this machine's node in `cwd`, pushes
 * it onto `children` (for the caller's clean-up), and resolves once its runtime is ready or failed
 * its init (its lines on stderr); rejects if it exits first.
 */
export function startServing(tool: string, args: string[], cwd: string, children: ChildProcess[]): Promise<Serving> {
  const child = spawn(userNode, [tool, ...args], { cwd, env: USER_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  const exit = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  return new Promise((resolveStart, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const url = /on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(err)?.[1];
      if (url !== undefined && /lambda-bootstrap: runtime (ready|failed)/.test(err)) resolveStart({ child, url, stderr: () => err, exit });
    });
    void exit.then((code) => reject(new Error(`${args[0]} exited ${code} before it was ready:\n${err}`)));
  });
}

/** Ctrl-C to a started tool; resolves with its exit code. */
export async function interrupt(serving: Serving): Promise<number | null> {
  serving.child.kill('SIGINT');
  return serving.exit;
}
