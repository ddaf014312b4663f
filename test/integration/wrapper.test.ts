// The wrapper flavour (issue 12): dist/lambda-bootstrap-wrapper-layer.zip unpacked where Lambda
// unpacks layers, enabled with AWS_LAMBDA_EXEC_WRAPPER on the managed nodejs24.x runtime (nodejs26.x with
// BOOTSTRAP_NODE=26), started by build/managed-runtime/bootstrap (the stand-in for /var/runtime/bootstrap). These tests run in
// every BOOTSTRAP_TARGET; `make test` also runs the behaviour suites with BOOTSTRAP_TARGET=wrapper.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Emulator } from '../../emulator/index.ts';
import {
  FIXTURES,
  MANAGED_BOOTSTRAP,
  MANAGED_RUNTIME_DIR,
  REPO_ROOT,
  SUITE_NODE,
  SUITE_NODE_LINE,
  WRAPPER_LAYER_DIR,
  describeOutcome,
  managedRuntimeCommand,
  tempDir,
} from './harness.ts';

const ZIP = join(REPO_ROOT, 'dist', 'lambda-bootstrap-wrapper-layer.zip');
const started: Emulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((e) => e.stop()));
});

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

/** The managed bootstrap run directly (no Runtime API needed for its own checks). */
function runManagedBootstrap(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(MANAGED_BOOTSTRAP, [], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAMBDA_RUNTIME_DIR: MANAGED_RUNTIME_DIR, LAMBDA_TEST_MANAGED_NODE: SUITE_NODE, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function startWithWrapper(wrapper: string, handler = 'index.handler'): Promise<Emulator> {
  const { command, args, env } = managedRuntimeCommand(wrapper);
  const emulator = await Emulator.start({ command, args, handler, taskRoot: join(FIXTURES, 'wrapper'), env });
  started.push(emulator);
  return emulator;
}

describe('the layer zip', () => {
  let opt: string;
  beforeAll(() => {
    expect(existsSync(ZIP), 'run `make layer-wrapper` first').toBe(true);
    opt = tempDir('wrapper-opt');
    const r = spawnSync('unzip', ['-q', ZIP, '-d', opt], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('holds exactly the wrapper, the bundle and its package.json; the wrapper is executable', () => {
    expect(files(opt)).toEqual(['lambda-bootstrap-wrapper', 'lambda-bootstrap/bootstrap.js', 'lambda-bootstrap/package.json']);
    expect(statSync(join(opt, 'lambda-bootstrap-wrapper')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(opt, 'lambda-bootstrap', 'bootstrap.js'))).toEqual(readFileSync(join(REPO_ROOT, 'dist', 'bootstrap.js')));
    expect(JSON.parse(readFileSync(join(opt, 'lambda-bootstrap', 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    expect(files(WRAPPER_LAYER_DIR)).toEqual(files(opt));
  });

  it('unzipped as /opt and enabled with AWS_LAMBDA_EXEC_WRAPPER, runs the bundle on the managed node with its flags', async () => {
    const wrapper = join(opt, 'lambda-bootstrap-wrapper');
    const emulator = await startWithWrapper(wrapper);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const seen = outcome.json() as Record<string, unknown>;
    // One process from the managed bootstrap to node: exec all the way, so signals and exit status are node's.
    expect(seen.pid).toBe(emulator.pid);
    expect(seen.execPath).toBe(SUITE_NODE);
    // The managed bootstrap's flags for 128 MB, untouched; AWS's client replaced by the bundle.
    expect(seen.execArgv).toEqual(['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=2', '--max-old-space-size=123']);
    expect(seen.script).toBe(join(opt, 'lambda-bootstrap', 'bootstrap.js'));
    expect(seen.nodePath).toBe(`/opt/nodejs/node${SUITE_NODE_LINE}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task`);
    expect(seen.executionEnv).toBe(`AWS_Lambda_nodejs${SUITE_NODE_LINE}.x`);
    expect(seen.extraCaCerts).toBe(join(MANAGED_RUNTIME_DIR, 'ca-cert.pem'));
    expect(seen.awslambda).toBe('object');
    expect(emulator.output).not.toContain('managed-runtime stand-in');
  });
});

describe('the managed bootstrap stand-in, as /var/runtime/bootstrap does it', () => {
  it('a wrapper that does not exist: "<path>: does not exist" on stdout, exit 127', () => {
    const missing = join(tempDir('wrapper-missing'), 'no-such-wrapper');
    const r = runManagedBootstrap({ AWS_LAMBDA_EXEC_WRAPPER: missing });
    expect(r).toEqual({ status: 127, stdout: `${missing}: does not exist\n`, stderr: '' });
  });

  it('a wrapper without the executable bit: "<path>: is not an executable" on stdout, exit 126', () => {
    const wrapper = join(tempDir('wrapper-mode'), 'lambda-bootstrap-wrapper');
    copyFileSync(join(WRAPPER_LAYER_DIR, 'lambda-bootstrap-wrapper'), wrapper);
    chmodSync(wrapper, 0o644);
    const r = runManagedBootstrap({ AWS_LAMBDA_EXEC_WRAPPER: wrapper });
    expect(r).toEqual({ status: 126, stdout: `${wrapper}: is not an executable\n`, stderr: '' });
  });

  it('without AWS_LAMBDA_EXEC_WRAPPER it runs AWS\'s client (here: the stand-in that says so)', () => {
    const r = runManagedBootstrap({});
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("AWS's runtime client ran instead of lambda-bootstrap");
  });
});

describe('the wrapper, misused', () => {
  const wrapper = join(WRAPPER_LAYER_DIR, 'lambda-bootstrap-wrapper');

  it('run without the managed command line: says what it expects, exit 2', () => {
    const r = spawnSync(wrapper, [], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      `lambda-bootstrap wrapper: got 0 argument(s), expected the managed Node.js runtime's command line (/var/lang/bin/node <flags> /var/runtime/index.mjs). ` +
        `Set AWS_LAMBDA_EXEC_WRAPPER=${wrapper} only on a nodejs22.x, nodejs24.x or nodejs26.x function; on provided.al2023 use the bootstrap binary instead.\n`,
    );
  });

  it('on another runtime (python): refuses instead of handing python a JavaScript file', () => {
    const r = spawnSync(wrapper, ['/var/lang/bin/python3.13', '-u', '/var/runtime/bootstrap.py'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^lambda-bootstrap wrapper: '\/var\/lang\/bin\/python3\.13' is not node: /);
  });

  it('a layer without its bundle: names the missing file, exit 127', () => {
    const dir = tempDir('wrapper-incomplete');
    copyFileSync(wrapper, join(dir, 'lambda-bootstrap-wrapper'));
    chmodSync(join(dir, 'lambda-bootstrap-wrapper'), 0o755);
    const r = spawnSync(join(dir, 'lambda-bootstrap-wrapper'), [SUITE_NODE, '--expose-gc', '/var/runtime/index.mjs'], { encoding: 'utf8' });
    expect(r.status).toBe(127);
    expect(r.stderr).toContain(`${join(dir, 'lambda-bootstrap', 'bootstrap.js')} does not exist`);
  });

  it('writes nothing of its own on the happy path (the function\'s first log line is its own)', async () => {
    const emulator = await startWithWrapper(wrapper);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(emulator.output).not.toMatch(/lambda-bootstrap wrapper|does not exist|is not an executable/);
  });
});
