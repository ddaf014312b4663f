// The per-function snapshot executable (build/snapshot/snapshot.ts, docs/pre-initialised.md lever 2): the
// realistic function of the benchmark (bench/realistic: S3 + DynamoDB DocumentClient, middy,
// Powertools logger; its invoke really sends to the fake AWS on 127.0.0.1) runs under it with the
// same result as under dist/bootstrap; the start's environment is what init sees; every start
// draws its own random values; dependencies that compute from the clock, randomness, the host or
// files at load are refused at build; a sandbox whose environment differs from the build's, where
// the dependencies looked, gets a clear init error. The executable is built once, in beforeAll.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeAws } from '../../bench/fake-aws.ts';
import { SnapshotError, buildSnapshotExecutable } from '../../build/snapshot/snapshot.ts';
import type { SnapshotReport } from '../../build/snapshot/snapshot.ts';
import { Emulator } from '../../emulator/index.ts';
import type { InvocationOutcome } from '../../emulator/index.ts';
import { FIXTURES, REPO_ROOT, describeOutcome, errorBody } from './harness.ts';

const REALISTIC = join(REPO_ROOT, 'bench', 'realistic');
const DIST_BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDSNAPSHOTTEST0000', AWS_SECRET_ACCESS_KEY: 'snapshot/test/secret/0000000000000000000', AWS_SESSION_TOKEN: 'snapshot-token' };
// The snapshot is its own binary: the wrapper and bundle flavours of the suite have nothing to run.
const binaryOnly = describe.skipIf((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64');

const temporary: string[] = [];
const emulators: Emulator[] = [];
let fake: FakeAws;
let functionDir: string;
let report: SnapshotReport;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** bench/realistic, installed from its lock file as the benchmark installs it. */
function installRealistic(): void {
  if (existsSync(join(REALISTIC, 'node_modules', '.package-lock.json'))) return;
  execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: REALISTIC, stdio: 'inherit' });
}

async function start(command: string, handler: string, env: Record<string, string> = {}, taskRoot = functionDir): Promise<Emulator> {
  const emulator = await Emulator.start({ command, handler, taskRoot, env: { ...CREDENTIALS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: fake.url, ...env } });
  emulators.push(emulator);
  return emulator;
}

async function invokeOnce(command: string, handler: string, env: Record<string, string> = {}, requestId?: string): Promise<{ outcome: InvocationOutcome; emulator: Emulator }> {
  const emulator = await start(command, handler, env);
  const outcome = await emulator.invoke('{"order":17}', requestId === undefined ? {} : { requestId });
  await emulator.stop();
  return { outcome, emulator };
}

beforeAll(async () => {
  fake = await FakeAws.start();
  if ((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64') return;
  installRealistic();
  functionDir = tempDir('lambda-bootstrap-snapshot-fn-');
  for (const name of ['index.mjs', 'package.json', 'node_modules']) cpSync(join(REALISTIC, name), join(functionDir, name), { recursive: true });
  copyFileSync(join(FIXTURES, 'snapshot', 'probe.mjs'), join(functionDir, 'probe.mjs'));
  // A package on disk (not imported by the handler, so not snapshotted) that imports a narrowed one.
  cpSync(join(FIXTURES, 'snapshot', 'imports-s3'), join(functionDir, 'node_modules', 'imports-s3'), { recursive: true });
  // An own file in a folder with a node_modules of its own: Node finds that nested copy first.
  const nested = join(functionDir, 'nested', 'node_modules', '@middy', 'core');
  mkdirSync(nested, { recursive: true });
  writeFileSync(join(nested, 'package.json'), '{"name":"@middy/core","version":"0.0.1-nested","type":"module","main":"index.js"}\n');
  writeFileSync(join(nested, 'index.js'), 'export default function nestedMiddy() { return "nested"; }\n');
  writeFileSync(join(functionDir, 'nested', 'handler.mjs'), "import middy from '@middy/core';\nexport const handler = async () => ({ middy: middy.name, fromSnapshot: globalThis.__lambdaBootstrapSnapshotModules.get('import:@middy/core').default === middy });\n");
  const built = await buildSnapshotExecutable({ functionDir, handler: 'index.handler', outDir: tempDir('lambda-bootstrap-snapshot-out-') });
  if (built instanceof SnapshotError) throw built;
  report = built;
}, 600_000);

afterAll(async () => {
  await Promise.all(emulators.splice(0).map((e) => e.stop()));
  await fake?.close();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

binaryOnly('snapshot executable', () => {
  test('holds the packages the handler imports, each narrowed to the names the function\'s own files import', () => {
    expect(report.modules.map((m) => `${m.kind} ${m.specifier} ${m.packageDir} ${m.exports?.join(',') ?? '(whole)'}`)).toEqual([
      'import @aws-lambda-powertools/logger node_modules/@aws-lambda-powertools/logger Logger',
      'import @aws-sdk/client-dynamodb node_modules/@aws-sdk/client-dynamodb DynamoDBClient',
      'import @aws-sdk/client-s3 node_modules/@aws-sdk/client-s3 PutObjectCommand,S3Client',
      'import @aws-sdk/lib-dynamodb node_modules/@aws-sdk/lib-dynamodb DynamoDBDocumentClient,GetCommand',
      'import @middy/core node_modules/@middy/core default',
    ]);
  });

  test('an own file whose folder has a node_modules of its own gets that nested copy, as Node resolves it', async () => {
    const { outcome } = await invokeOnce(report.executable, 'nested/handler.handler');
    expect(outcome.kind, describeOutcome(outcome)).toBe('response');
    expect(outcome.json()).toEqual({ middy: 'nestedMiddy', fromSnapshot: false });
  });

  test('a narrowed package answers the function\'s own files; a package on disk that imports it gets it from disk, whole', async () => {
    const { outcome } = await invokeOnce(report.executable, 'probe.fromDisk');
    expect(outcome.kind, describeOutcome(outcome)).toBe('response');
    expect(outcome.json()).toEqual({ ownFileFromSnapshot: true, packageFromSnapshot: false, packageSeesEveryCommand: true });
  });

  test('the realistic function answers as under dist/bootstrap, sending PutObject and GetItem with the start\'s region, endpoint and bucket', async () => {
    const env = { BUCKET_NAME: 'bucket-at-start', TABLE_NAME: 'table-at-start' };
    const results = [];
    for (const command of [report.executable, DIST_BOOTSTRAP]) {
      const before = fake.requests.length;
      const { outcome, emulator } = await invokeOnce(command, 'index.handler', env, 'req-snapshot-17');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(emulator.output).not.toContain('Warning');
      const sent = fake.requests.slice(before);
      expect(sent.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.scope?.split('/').slice(1).join('/')}`)).toEqual([
        'PUT /bucket-at-start/events/req-snapshot-17.json eu-west-1/s3/aws4_request',
        'POST / eu-west-1/dynamodb/aws4_request',
      ]);
      results.push(outcome.json());
    }
    expect(results[0]).toEqual({ statusCode: 200, body: JSON.stringify({ key: 'events/req-snapshot-17.json', item: { id: 'counter', count: 42 } }) });
    expect(results[0]).toEqual(results[1]);
  });

  test('init sees the start\'s environment, and what the dependencies set at load (Powertools\' user agent) is set again', async () => {
    const ours = (await invokeOnce(report.executable, 'probe.handler', { AWS_REGION: 'ap-south-2', PROBE_CUSTOM: 'at-start' })).outcome;
    const theirs = (await invokeOnce(DIST_BOOTSTRAP, 'probe.handler', { AWS_REGION: 'ap-south-2', PROBE_CUSTOM: 'at-start' })).outcome;
    expect(ours.kind, describeOutcome(ours)).toBe('response');
    expect(theirs.kind, describeOutcome(theirs)).toBe('response');
    const a = ours.json() as Record<string, unknown>;
    const b = theirs.json() as Record<string, unknown>;
    expect(a.fromSnapshot).toBe(true);
    expect(b.fromSnapshot).toBe(false);
    expect(a.region).toBe('ap-south-2');
    expect(a.custom).toBe('at-start');
    for (const key of ['region', 'custom', 'awslambdaKeys', 'uaAppId', 'executionEnv', 'importMetaMain', 'mainModule']) expect(a[key], key).toEqual(b[key]);
    // As on nodejs24.x, whose entry point is AWS's /var/runtime/index.mjs.
    expect(a.importMetaMain).toBe(false);
    expect(a.mainModule).toBe(null);
    expect(a.uaAppId).toMatch(/^PT\/NO-OP\/[\d.]+\/PTEnv\/AWS_Lambda_nodejs24\.x$/);
  });

  test('two starts draw different Math.random values and UUIDs', async () => {
    const first = (await invokeOnce(report.executable, 'probe.handler')).outcome;
    const second = (await invokeOnce(report.executable, 'probe.handler')).outcome;
    const a = first.json() as { random: number; uuid: string };
    const b = second.json() as { random: number; uuid: string };
    expect(a.random).not.toBe(b.random);
    expect(a.uuid).not.toBe(b.uuid);
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('each deferred built-in\'s stand-in has the real module\'s keys and types, and hands out the real values', async () => {
    const { outcome } = await invokeOnce(report.executable, 'probe.standIns');
    expect(outcome.kind, describeOutcome(outcome)).toBe('response');
    const shapes = outcome.json() as Record<string, { standIn: object; real: object; sameAgent: boolean }>;
    for (const [name, shape] of Object.entries(shapes)) {
      expect(shape.standIn, name).toEqual(shape.real);
      expect(shape.sameAgent, name).toBe(true);
    }
  });

  test('a sandbox whose environment differs where the dependencies looked at load gets a clear init error', async () => {
    const { outcome } = await invokeOnce(report.executable, 'index.handler', { AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA: '1' });
    expect(outcome.kind, describeOutcome(outcome)).toBe('init-error');
    const body = errorBody(outcome);
    expect(body.errorType).toBe('Runtime.SnapshotEnvironmentMismatch');
    expect(body.errorMessage).toContain('AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA (unset when it was built, set here)');
    expect(body.errorMessage).toContain('deploy dist/bootstrap');
  });
});

// A package that does `what` at load, imported by the handler.
function functionWith(what: string): string {
  const dir = tempDir('lambda-bootstrap-snapshot-refused-');
  mkdirSync(join(dir, 'node_modules', 'loads-state'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'loads-state', 'package.json'), '{"name":"loads-state","version":"1.0.0","main":"index.js"}\n');
  writeFileSync(join(dir, 'node_modules', 'loads-state', 'index.js'), `const os = require('node:os'); const fs = require('node:fs'); const crypto = require('node:crypto');\nexports.value = ${what};\n`);
  writeFileSync(join(dir, 'index.mjs'), "import { value } from 'loads-state';\nexport const handler = async () => value;\n");
  return dir;
}

binaryOnly('snapshot build refuses dependencies that compute per-sandbox values at load', () => {
  test.each([
    ['Date.now()', 'reads the clock while loading: Date.now()'],
    ['new Date().toISOString()', 'reads the clock while loading: new Date()'],
    ['Math.random()', 'draws random values while loading: Math.random()'],
    ['crypto.randomUUID()', 'draws random values while loading: crypto.randomUUID()'],
    ['crypto.randomBytes(8).toString("hex")', 'draws random values while loading: crypto.randomBytes()'],
    ['os.hostname()', 'reads the host while loading: os.hostname()'],
    ['fs.readFileSync("/etc/hostname", "utf8")', 'reads files while loading: fs.readFileSync(/etc/hostname)'],
    ['Object.keys(process.env).length', 'reads the environment while loading: (all variables, enumerated)'],
    ['setInterval(() => {}, 1000) && 1', 'the dependencies leave a timer or socket open after loading: Timeout'],
  ])('%s', async (what, expected) => {
    const result = await buildSnapshotExecutable({ functionDir: functionWith(what), handler: 'index.handler', outDir: tempDir('lambda-bootstrap-snapshot-out-') });
    expect(result).toBeInstanceOf(SnapshotError);
    const message = (result as SnapshotError).message;
    expect(message).toContain('snapshot: refused');
    expect(message).toContain(expected.startsWith('the dependencies') ? expected : `loads-state ${expected}`);
    expect(message).toContain('without --snapshot');
  });
});
