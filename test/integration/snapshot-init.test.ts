// Init at build for a snapshot executable (issue 25 part 2; docs/pre-initialised.md, "Init at
// build"): test/fixtures/init-at-build (a handler importing a package from its node_modules,
// reading STAGE_NAME and the clock at init, opening a timer it closes in a before-snapshot hook,
// registering an after-restore hook) is built once with init at build and started twice under the
// emulator on 127.0.0.1: init ran at build (its process id is not the start's, its log line is not
// in the start's output), the after-restore hook ran once per start, per-start values differ, a
// failing hook fails the start's init as Runtime.AfterRestoreError, and a sandbox whose STAGE_NAME
// differs from the build's is refused. Then the refusals: init that leaves a timer, a server, a
// socket, a child process, an open file or a signal listener, init that throws, a failing
// before-snapshot hook, top-level await and import.meta. And a real SDK function (the benchmark's
// bench/realistic: S3 and DynamoDB clients, middy, Powertools built at init) built with init at
// build while this machine has AWS credentials in its environment: they are not passed (the build
// says so) and not in the executable, and the clients made at build sign with the start's.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SnapshotError, buildSnapshotExecutable } from '../../build/snapshot/snapshot.ts';
import type { SnapshotReport } from '../../build/snapshot/snapshot.ts';
import { FakeAws } from '../../bench/fake-aws.ts';
import { Emulator } from '../../emulator/index.ts';
import type { InvocationOutcome } from '../../emulator/index.ts';
import { FIXTURES, REPO_ROOT, describeOutcome, errorBody } from './harness.ts';

const DIST_BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');
// The snapshot is its own binary: the wrapper and bundle flavours of the suite have nothing to run.
const binaryOnly = describe.skipIf((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64');

const temporary: string[] = [];
const emulators: Emulator[] = [];
let functionDir: string;
let report: SnapshotReport;
const buildLog: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** A function folder with `index.mjs` (or `file`) and the small `shouter` package in its node_modules. */
function functionFolder(index: string | undefined, file = 'index.mjs'): string {
  const dir = tempDir('lambda-bootstrap-init-fn-');
  if (index === undefined) cpSync(join(FIXTURES, 'init-at-build'), dir, { recursive: true });
  else writeFileSync(join(dir, file), index);
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  mkdirSync(join(dir, 'node_modules', 'shouter'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'shouter', 'package.json'), '{"name":"shouter","version":"1.0.0","main":"index.js"}\n');
  writeFileSync(join(dir, 'node_modules', 'shouter', 'index.js'), 'exports.shout = (text) => `${text.toUpperCase()}!`;\n');
  return dir;
}

interface Answer {
  greeting: string;
  builtAt: number;
  initRanHere: boolean;
  initId: string;
  invokeId: string;
  beforeSnapshotRan: boolean;
  afterRestoreRuns: number;
  restoreId: string | undefined;
  pollerOpen: boolean;
}

async function invokeOnce(command: string, env: Record<string, string> = {}): Promise<{ outcome: InvocationOutcome; output: string }> {
  const emulator = await Emulator.start({ command, handler: 'index.handler', taskRoot: functionDir, env: { STAGE_NAME: 'prod', ...env } });
  emulators.push(emulator);
  const outcome = await emulator.invoke('{}');
  await emulator.stop();
  return { outcome, output: emulator.output };
}

beforeAll(async () => {
  if ((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64') return;
  functionDir = functionFolder(undefined);
  const built = await buildSnapshotExecutable({ functionDir, handler: 'index.handler', env: { STAGE_NAME: 'prod' }, initAtBuild: true, outDir: tempDir('lambda-bootstrap-init-out-'), log: (line) => buildLog.push(line) });
  if (built instanceof SnapshotError) throw built;
  report = built;
}, 600_000);

afterAll(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.stop()));
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

binaryOnly('init at build', () => {
  test('the build runs init with --env only and no credentials, and notes what init read that every start will share', () => {
    expect(report.init).toMatchObject({ beforeSnapshotHooks: 1, afterRestoreHooks: 1 });
    const log = buildLog.join('\n');
    expect(log).toContain("snapshot: init at build: the handler's init runs at build with STAGE_NAME (and AWS_EXECUTION_ENV), without AWS credentials");
    expect(log).toContain("snapshot: init at build: index.mjs:9:22 reads the clock at init (Date.now()): every start sees the build's value");
    expect(log).toContain("index.mjs's init is in the snapshot (1 before-snapshot hook(s) ran, 1 after-restore hook(s) run at every start)");
  });

  test('a start does not run init again: the after-restore hook runs, the values made at init are the build\'s, per-start values differ', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 2; i++) {
      const { outcome, output } = await invokeOnce(report.executable);
      expect(outcome.kind, describeOutcome(outcome)).toBe('response');
      // The fixture logs one line at init: it went to the build's output, not the start's.
      expect(output).not.toContain('init ran');
      answers.push(outcome.json() as Answer);
    }
    for (const answer of answers) {
      expect(answer).toMatchObject({ greeting: 'HELLO FROM PROD!', initRanHere: false, beforeSnapshotRan: true, afterRestoreRuns: 1, pollerOpen: false });
    }
    const [a, b] = answers as [Answer, Answer];
    // Made at init, at build: the same in every start (docs: renew such values after restore).
    expect(a.initId).toBe(b.initId);
    expect(a.builtAt).toBe(b.builtAt);
    // Renewed uniqueness: the after-restore hook's and the invocation's UUIDs differ per start.
    expect(a.restoreId).not.toBe(b.restoreId);
    expect(a.invokeId).not.toBe(b.invokeId);
    expect(a.restoreId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('under dist/bootstrap the same handler runs its init at start and its hooks never (not SnapStart)', async () => {
    const { outcome, output } = await invokeOnce(DIST_BOOTSTRAP);
    expect(outcome.kind, describeOutcome(outcome)).toBe('response');
    expect(output).toContain('init-at-build fixture: init ran');
    expect(outcome.json()).toMatchObject({ greeting: 'HELLO FROM PROD!', initRanHere: true, beforeSnapshotRan: false, afterRestoreRuns: 0, pollerOpen: true });
  });

  test('a failing after-restore hook fails the start\'s init as Runtime.AfterRestoreError', async () => {
    const { outcome } = await invokeOnce(report.executable, { FAIL_AFTER_RESTORE: '1' });
    expect(outcome.kind, describeOutcome(outcome)).toBe('init-error');
    const body = errorBody(outcome);
    expect(body.errorType).toBe('Runtime.AfterRestoreError');
    expect(body.errorMessage).toBe('Error: could not reconnect');
  });

  test('a sandbox whose environment differs from the build\'s where init looked gets a clear init error', async () => {
    const { outcome } = await invokeOnce(report.executable, { STAGE_NAME: 'dev' });
    expect(outcome.kind, describeOutcome(outcome)).toBe('init-error');
    const body = errorBody(outcome);
    expect(body.errorType).toBe('Runtime.SnapshotEnvironmentMismatch');
    expect(body.errorMessage).toContain('STAGE_NAME (another value here than when it was built)');
    expect(body.errorMessage).not.toContain('prod');
  });
});

binaryOnly('init at build of a CommonJS handler file (.cjs: the runtime require()s it)', () => {
  let cjsFunction: string;
  let cjsReport: SnapshotReport;

  beforeAll(async () => {
    cjsFunction = functionFolder(
      [
        "const { shout } = require('shouter');",
        'const state = { afterRestoreRuns: 0, initPid: process.pid };',
        // Read in the hook, at start: ASYNC_HOOK=1 makes the hook count only once a timer fired.
        "awslambda.registerAfterRestore(() => { if (process.env.ASYNC_HOOK === '1') return new Promise((done) => setTimeout(() => { state.afterRestoreRuns += 1; done(); }, 50)); state.afterRestoreRuns += 1; });",
        "exports.handler = async () => ({ greeting: shout('cjs'), afterRestoreRuns: state.afterRestoreRuns, initRanHere: state.initPid === process.pid });",
        '',
      ].join('\n'),
      'app.cjs',
    );
    const built = await buildSnapshotExecutable({ functionDir: cjsFunction, handler: 'app.handler', initAtBuild: true, training: false, outDir: tempDir('lambda-bootstrap-init-cjs-out-') });
    if (built instanceof SnapshotError) throw built;
    cjsReport = built;
  }, 600_000);

  async function start(env: Record<string, string> = {}): Promise<InvocationOutcome> {
    const emulator = await Emulator.start({ command: cjsReport.executable, handler: 'app.handler', taskRoot: cjsFunction, env });
    emulators.push(emulator);
    const outcome = await emulator.invoke('{}');
    await emulator.stop();
    return outcome;
  }

  test('its synchronous after-restore hook runs before the handler is handed over; init does not run again', async () => {
    expect(cjsReport.init).toMatchObject({ afterRestoreHooks: 1 });
    const outcome = await start();
    expect(outcome.kind, describeOutcome(outcome)).toBe('response');
    expect(outcome.json()).toEqual({ greeting: 'CJS!', afterRestoreRuns: 1, initRanHere: false });
  });

  test('an after-restore hook that returns a promise is awaited before the handler is handed over (the runtime import()s a CommonJS file too)', async () => {
    const outcome = await start({ ASYNC_HOOK: '1' });
    expect(outcome.kind, describeOutcome(outcome)).toBe('response');
    expect(outcome.json()).toEqual({ greeting: 'CJS!', afterRestoreRuns: 1, initRanHere: false });
  });
});

let server: Server;
let serverPort: number;
const accepted: Socket[] = [];

binaryOnly('init at build refuses init that leaves what a snapshot cannot hold', () => {
  beforeAll(async () => {
    server = createServer((socket) => {
      socket.on('error', () => {});
      accepted.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    serverPort = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  async function refusalFor(init: string): Promise<string> {
    const index = `import net from 'node:net'; import fs from 'node:fs'; import { spawn } from 'node:child_process'; import { shout } from 'shouter';\n${init}\nexport const handler = async () => shout('hi');\n`;
    const result = await buildSnapshotExecutable({ functionDir: functionFolder(index), handler: 'index.handler', initAtBuild: true, outDir: tempDir('lambda-bootstrap-init-out-') });
    expect(result).toBeInstanceOf(SnapshotError);
    return (result as SnapshotError).message;
  }

  test.each([
    ['setInterval(() => {}, 1000);', 'a timer (setInterval) made at index.mjs:2:1'],
    ['const t = setTimeout(() => {}, 60_000); t.unref();', 'a timer (setTimeout) made at index.mjs:2:11'],
    ["net.createServer().listen(0, '127.0.0.1');", 'a server (TCPSERVERWRAP) made at index.mjs:2:20'],
    ['const s = net.connect(PORT, "127.0.0.1");', 'a socket (TCPWRAP) made at index.mjs:2:15'],
    ["const child = spawn('sleep', ['5']);", 'a child process (PROCESSWRAP) made at index.mjs:2:15'],
    ["const fd = fs.openSync('/etc/hostname', 'r');", 'a file (fd '],
    ["process.on('SIGTERM', () => {});", 'a signal listener (SIGNALWRAP) made at index.mjs:2:9'],
  ])('%s', async (init, expected) => {
    const message = await refusalFor(init.replace('PORT', String(serverPort)));
    expect(message).toContain("snapshot: refused: init at build: index.mjs's init leaves open what a snapshot cannot hold");
    expect(message).toContain(expected);
    if (expected.startsWith('a file')) expect(message).toMatch(/a file \(fd \d+: \/etc\/hostname\) made at index\.mjs:2:15/);
    expect(message).toContain('registerBeforeSnapshot hook');
    expect(message).toContain('without --init-at-build');
  });

  test('init that throws', async () => {
    const message = await refusalFor("throw new Error('no config at build');");
    expect(message).toContain("snapshot: refused: init at build: index.mjs's init threw");
    expect(message).toContain('Error: no config at build');
    expect(message).toContain('no AWS credentials');
  });

  test('a failing before-snapshot hook', async () => {
    const message = await refusalFor("awslambda.registerBeforeSnapshot(() => { throw new TypeError('pool will not close'); });");
    expect(message).toContain('snapshot: refused: init at build: a before-snapshot hook failed (Runtime.BeforeSnapshotError');
    expect(message).toContain('TypeError: pool will not close');
  });

  test('top-level await', async () => {
    const message = await refusalFor('await Promise.resolve();');
    expect(message).toContain("snapshot: refused: init at build: the handler's module uses top-level await");
  });

  test('import.meta', async () => {
    const message = await refusalFor('const here = import.meta.url;');
    expect(message).toContain("snapshot: refused: init at build: the handler's code uses import.meta");
    expect(message).toContain('index.mjs:2:');
  });
});

const REALISTIC = join(REPO_ROOT, 'bench', 'realistic');
// Recognisable values: the build machine's (never to be built in) and the sandbox's.
const MACHINE_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDBUILDMACHINE0INIT', AWS_SECRET_ACCESS_KEY: 'build-machine-secret-init-at-build-000000' };
const SANDBOX_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDSANDBOXINITBUILD0', AWS_SECRET_ACCESS_KEY: 'sandbox/secret/0000000000000000000000000', AWS_SESSION_TOKEN: 'sandbox-token' };

binaryOnly('init at build of a real SDK function', () => {
  let fake: FakeAws;
  let sdkFunction: string;
  let sdkReport: SnapshotReport;
  const sdkLog: string[] = [];

  beforeAll(async () => {
    fake = await FakeAws.start();
    if (!existsSync(join(REALISTIC, 'node_modules', '.package-lock.json'))) {
      execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: REALISTIC, stdio: 'inherit' });
    }
    sdkFunction = tempDir('lambda-bootstrap-init-sdk-fn-');
    for (const name of ['index.mjs', 'package.json', 'node_modules']) cpSync(join(REALISTIC, name), join(sdkFunction, name), { recursive: true });
    const saved = { ...process.env };
    Object.assign(process.env, MACHINE_CREDENTIALS);
    try {
      const built = await buildSnapshotExecutable({
        functionDir: sdkFunction,
        handler: 'index.handler',
        // The deployment's non-secret configuration that its init reads (the guard names them otherwise).
        env: { AWS_REGION: 'eu-west-1', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
        initAtBuild: true,
        outDir: tempDir('lambda-bootstrap-init-sdk-out-'),
        log: (line) => sdkLog.push(line),
      });
      if (built instanceof SnapshotError) throw built;
      sdkReport = built;
    } finally {
      for (const name of Object.keys(MACHINE_CREDENTIALS)) if (saved[name] === undefined) delete process.env[name];
    }
  }, 600_000);

  afterAll(async () => {
    await fake?.close();
  });

  test('the machine\'s credentials are not passed to init, said by name, and in neither the executable nor its snapshot script', () => {
    expect(sdkLog).toContain("snapshot: init at build: not passed to init: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (this machine's AWS credentials are never built into an executable)");
    expect(sdkLog).toContain("snapshot: init at build: AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point at a path that does not exist while init runs: nothing of this machine's ~/.aws is read");
    const binary = readFileSync(sdkReport.executable);
    for (const value of Object.values(MACHINE_CREDENTIALS)) expect(binary.includes(value), value).toBe(false);
  });

  // Signed at all: the only credentials there are the start's (the build had none).
  test('the clients made at build send signed with the start\'s credentials to its endpoint, and answer as under dist/bootstrap', async () => {
    const answers: unknown[] = [];
    for (const command of [sdkReport.executable, DIST_BOOTSTRAP]) {
      const before = fake.requests.length;
      const emulator = await Emulator.start({
        command,
        handler: 'index.handler',
        taskRoot: sdkFunction,
        env: { ...SANDBOX_CREDENTIALS, AWS_REGION: 'eu-west-1', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', AWS_ENDPOINT_URL: fake.url },
      });
      emulators.push(emulator);
      const outcome = await emulator.invoke('{"order":25}', { requestId: 'req-init-at-build-25' });
      await emulator.stop();
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      const sent = fake.requests.slice(before);
      expect(sent.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.scope?.split('/').slice(1).join('/')}`)).toEqual([
        'PUT /bench-bucket/events/req-init-at-build-25.json eu-west-1/s3/aws4_request',
        'POST / eu-west-1/dynamodb/aws4_request',
      ]);
      answers.push(outcome.json());
    }
    expect(answers[0]).toEqual(answers[1]);
  });

  test('a start in another region than the build\'s is refused by the guard, naming AWS_REGION', async () => {
    const emulator = await Emulator.start({ command: sdkReport.executable, handler: 'index.handler', taskRoot: sdkFunction, env: { ...SANDBOX_CREDENTIALS, AWS_REGION: 'us-west-2', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', AWS_ENDPOINT_URL: fake.url } });
    emulators.push(emulator);
    const outcome = await emulator.invoke('{}');
    await emulator.stop();
    expect(outcome.kind, describeOutcome(outcome)).toBe('init-error');
    expect(errorBody(outcome).errorMessage).toContain("Cannot load the handler module 'index.mjs' from this executable's startup snapshot (its init ran at build): its init or its dependencies read AWS_REGION (another value here than when it was built)");
  });
});
