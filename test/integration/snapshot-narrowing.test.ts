// The snapshot executable's narrowing (build/snapshot/used-exports.ts, src/pre-init/snapshot-modules.ts,
// docs/pre-initialised.md section 2) tried the ways real functions import real packages: the
// packages of bench/realistic (AWS SDK v3, Powertools, middy), handlers beside the one the
// executable was built for, in a subfolder, in TypeScript, in CommonJS and without extension,
// subpath imports, a local re-export, namespace and default imports, require() and import() from a
// .cjs file, and init at build. Every handler answers as under dist/bootstrap on the same folder.
// (A computed import() anywhere: test/unit/used-exports.test.ts.) Three executables, each built
// once in beforeAll.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeAws } from '../../bench/fake-aws.ts';
import { SnapshotError, buildSnapshotExecutable } from '../../build/snapshot/snapshot.ts';
import type { SnapshotOptions, SnapshotReport } from '../../build/snapshot/snapshot.ts';
import { Emulator } from '../../emulator/index.ts';
import { REPO_ROOT, describeOutcome } from './harness.ts';

const REALISTIC = join(REPO_ROOT, 'bench', 'realistic');
const DIST_BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDSNAPSHOTTEST0000', AWS_SECRET_ACCESS_KEY: 'snapshot/test/secret/0000000000000000000', AWS_SESSION_TOKEN: 'snapshot-token' };
const binaryOnly = describe.skipIf((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64');

const temporary: string[] = [];
let fake: FakeAws;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** bench/realistic's handler and packages plus `files`, in a folder of its own. */
function realisticWith(files: Record<string, string>): string {
  if (!existsSync(join(REALISTIC, 'node_modules', '.package-lock.json'))) {
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: REALISTIC, stdio: 'inherit' });
  }
  const dir = tempDir('lambda-bootstrap-snapshot-narrowing-');
  for (const name of ['index.mjs', 'package.json', 'node_modules']) cpSync(join(REALISTIC, name), join(dir, name), { recursive: true });
  cpSync(join(REALISTIC, 'index.mjs'), join(dir, 'realistic.mjs'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

interface Built {
  dir: string;
  report: SnapshotReport;
  log: string[];
}

/** Builds the executable; a refused build fails only the tests of that executable (built()). */
async function build(files: Record<string, string>, options: Partial<SnapshotOptions> = {}): Promise<Built | SnapshotError> {
  const dir = realisticWith(files);
  const log: string[] = [];
  const report = await buildSnapshotExecutable({ functionDir: dir, handler: 'index.handler', outDir: tempDir('lambda-bootstrap-snapshot-narrowing-out-'), log: (line) => log.push(line), ...options });
  return report instanceof SnapshotError ? report : { dir, report, log };
}

function built(result: Built | SnapshotError): Built {
  if (result instanceof SnapshotError) throw result;
  return result;
}

/** The handler's answer under `command` (one start, one invoke), or the outcome's description. */
async function answer(command: string, dir: string, handler: string): Promise<unknown> {
  const emulator = await Emulator.start({ command, handler, taskRoot: dir, env: { ...CREDENTIALS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: fake.url } });
  try {
    const outcome = await emulator.invoke('{"order":17}', { requestId: 'req-narrowing' });
    return outcome.kind === 'response' ? outcome.json() : describeOutcome(outcome, emulator);
  } finally {
    await emulator.stop();
  }
}

/** Asserts the handler answers the same under the snapshot executable as under dist/bootstrap, and returns that answer. */
async function sameAsDist(built: Built, handler: string): Promise<unknown> {
  const ours = await answer(built.report.executable, built.dir, handler);
  const theirs = await answer(DIST_BOOTSTRAP, built.dir, handler);
  expect(ours, handler).toEqual(theirs);
  return ours;
}

const narrowedFiles: Record<string, string> = {
  // The executable is built for index.handler: its graph brings the subpath imports in.
  'index.mjs': "export { handler } from './realistic.mjs';\nimport './subpaths.mjs';\n",
  'other.mjs':
    "import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';\nconst s3 = new S3Client({ forcePathStyle: true });\n" +
    "export const handler = async () => ({ get: typeof GetObjectCommand, sent: await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' })).then(() => 'ok', (e) => e.name) });\n",
  'src/handler.mjs': "import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';\nexport const handler = async () => ({ list: typeof ListBucketsCommand, client: typeof S3Client });\n",
  // Node strips the types and keeps `S3ServiceException`, imported by value though used as a type only.
  'typed.mts':
    "import type { PutObjectCommandInput } from '@aws-sdk/client-s3';\nimport { HeadObjectCommand, S3ServiceException } from '@aws-sdk/client-s3';\n" +
    "let last: S3ServiceException | undefined;\nexport const handler = async (): Promise<object> => { const input: PutObjectCommandInput = { Bucket: 'b', Key: 'k' }; return { head: typeof HeadObjectCommand, input, last: last ?? null }; };\n",
  // Shipped beside the compiled output, never run: an interface imported without `type` is not held.
  'src/types.ts': "import { S3Client, PutObjectCommandInput } from '@aws-sdk/client-s3';\nexport const make = (input: PutObjectCommandInput): S3Client | undefined => undefined;\n",
  'legacy.cjs': "const { DeleteObjectCommand } = require('@aws-sdk/client-s3');\nexports.handler = async () => ({ del: typeof DeleteObjectCommand });\n",
  // An extensionless handler file: Node runs it as an ES module here ("type":"module"); the build does not read it.
  noext: "import { ListObjectsCommand } from '@aws-sdk/client-s3';\nexport const handler = async () => ({ list: typeof ListObjectsCommand });\n",
  'cjs/package.json': '{"type":"commonjs"}\n',
  'cjs/handler.js': "const { ListObjectsV2Command } = require('@aws-sdk/client-s3');\nexports.handler = async () => ({ list: typeof ListObjectsV2Command });\n",
  'subpaths.mjs':
    "import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';\nimport { NormalizedSchema } from '@smithy/core/schema';\n" +
    'export const handler = async () => ({ inject: typeof injectLambdaContext, schema: typeof NormalizedSchema });\n',
  'lib.mjs': "export { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';\n",
  'reexport.mjs': "import { CopyObjectCommand, S3Client } from './lib.mjs';\nexport const handler = async () => ({ copy: typeof CopyObjectCommand, client: typeof S3Client });\n",
};

const wholeFiles: Record<string, string> = {
  'index.mjs': "export { handler } from './realistic.mjs';\nimport './required.cjs';\n",
  // require() gets what Node's require gives: the CommonJS "main", not the "module" build.
  'required.cjs':
    "const s3 = require('@aws-sdk/client-s3');\nconst shout = require('fn-default');\n" +
    "exports.handler = async () => ({ esModule: s3.__esModule ?? null, client: typeof s3.S3Client, shout: shout('hi') });\n",
  // As jwt-decode 3: module.exports is the function, the ES build exports it as default.
  'node_modules/fn-default/package.json': '{"name":"fn-default","version":"1.0.0","main":"index.cjs","module":"index.mjs"}\n',
  'node_modules/fn-default/index.cjs': 'module.exports = (text) => `${text.toUpperCase()}!`;\n',
  'node_modules/fn-default/index.mjs': 'export default (text) => `${text.toUpperCase()}!`;\n',
  'namespace.mjs':
    "import * as s3 from '@aws-sdk/client-s3';\n" +
    "export const handler = async () => ({ client: typeof s3.S3Client, commands: Object.keys(s3).filter((k) => k.endsWith('Command')).length, defaultKind: typeof s3.default });\n",
  // A package with a CommonJS "main" and an ES "module" build: Node imports the CommonJS one, default = module.exports.
  'default.mjs': "import lib from '@aws-sdk/lib-dynamodb';\nexport const handler = async () => ({ get: typeof lib.GetCommand, scan: typeof lib.ScanCommand });\n",
  'dynamic.cjs':
    "exports.handler = async () => { const lib = await import('@aws-sdk/lib-dynamodb');\n" +
    'return { put: typeof lib.PutCommand, scan: typeof lib.ScanCommand, defaultScan: typeof lib.default?.ScanCommand }; };\n',
};

let narrowedBuild: Built | SnapshotError;
let wholeBuild: Built | SnapshotError;
let initAtBuildBuild: Built | SnapshotError;

beforeAll(async () => {
  fake = await FakeAws.start();
  if ((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64') return;
  narrowedBuild = await build(narrowedFiles);
  wholeBuild = await build(wholeFiles);
  // Init at build with narrowing: the realistic handler's init runs at build, a second handler at start.
  // Its handler file, bundled into the snapshot, takes a default import of a CommonJS-main package too.
  const initIndex = "export { handler } from './realistic.mjs';\nimport lib from '@aws-sdk/lib-dynamodb';\nexport const viaDefault = async () => ({ get: typeof lib.GetCommand });\n";
  initAtBuildBuild = await build({ 'index.mjs': initIndex, 'other.mjs': narrowedFiles['other.mjs']! }, { initAtBuild: true, env: { AWS_REGION: 'eu-west-1', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' } });
}, 600_000);

afterAll(async () => {
  await fake?.close();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const REALISTIC_ANSWER = { statusCode: 200, body: JSON.stringify({ key: 'events/req-narrowing.json', item: { id: 'counter', count: 42 } }) };

binaryOnly('snapshot narrowing with the realistic function\'s packages', () => {
  test('every own file\'s names are held, TypeScript value imports used as types included; subpath imports are narrowed too', () => {
    expect(built(narrowedBuild).report.modules.map((m) => `${m.specifier} ${m.exports?.join(',') ?? '(whole)'}`)).toEqual([
      '@aws-lambda-powertools/logger Logger',
      '@aws-lambda-powertools/logger/middleware injectLambdaContext',
      '@aws-sdk/client-dynamodb DynamoDBClient',
      '@aws-sdk/client-s3 CopyObjectCommand,GetObjectCommand,HeadObjectCommand,ListBucketsCommand,PutObjectCommand,S3Client,S3ServiceException',
      '@aws-sdk/lib-dynamodb DynamoDBDocumentClient,GetCommand',
      '@middy/core default',
      '@smithy/core/schema NormalizedSchema',
    ]);
  });

  test.each([
    ['index.handler', REALISTIC_ANSWER],
    ['other.handler', { get: 'function', sent: 'NotImplemented' }],
    ['src/handler.handler', { list: 'function', client: 'function' }],
    ['typed.handler', { head: 'function', input: { Bucket: 'b', Key: 'k' }, last: null }],
    ['legacy.handler', { del: 'function' }],
    ['cjs/handler.handler', { list: 'function' }],
    ['noext.handler', { list: 'function' }],
    ['subpaths.handler', { inject: 'function', schema: 'function' }],
    ['reexport.handler', { copy: 'function', client: 'function' }],
  ])('narrowed: %s answers as under dist/bootstrap', async (handler, expected) => {
    expect(await sameAsDist(built(narrowedBuild), handler)).toEqual(expected);
  });

  test('a namespace import and an import() from a .cjs file hold the package whole, and say why', () => {
    expect(built(wholeBuild).log).toContain('snapshot: @aws-sdk/client-s3 is held whole: a namespace import (import * as …)');
    expect(built(wholeBuild).log.some((line) => line.startsWith('snapshot: @aws-sdk/lib-dynamodb is held whole: '))).toBe(true);
    expect(built(wholeBuild).report.modules.filter((m) => m.kind === 'import' && m.exports === undefined).map((m) => m.specifier)).toEqual(['@aws-sdk/client-s3', '@aws-sdk/lib-dynamodb']);
  });

  test.each([
    ['index.handler', REALISTIC_ANSWER],
    ['required.handler', { esModule: null, client: 'function', shout: 'HI!' }],
    ['namespace.handler', { client: 'function', commands: 113, defaultKind: 'object' }],
    ['default.handler', { get: 'function', scan: 'function' }],
    ['dynamic.handler', { put: 'function', scan: 'function', defaultScan: 'function' }],
  ])('whole: %s answers as under dist/bootstrap (a CommonJS main\'s default is module.exports)', async (handler, expected) => {
    expect(await sameAsDist(built(wholeBuild), handler)).toEqual(expected);
  });

  test('init at build narrows as well; the handler initialised at build and another one answer as under dist/bootstrap', async () => {
    expect(built(initAtBuildBuild).report.init).toBeDefined();
    expect(built(initAtBuildBuild).report.modules.find((m) => m.specifier === '@aws-sdk/client-s3')?.exports).toEqual(['GetObjectCommand', 'PutObjectCommand', 'S3Client']);
    expect(await sameAsDist(built(initAtBuildBuild), 'index.handler')).toEqual(REALISTIC_ANSWER);
    expect(await sameAsDist(built(initAtBuildBuild), 'other.handler')).toEqual({ get: 'function', sent: 'NotImplemented' });
    expect(await sameAsDist(built(initAtBuildBuild), 'index.viaDefault')).toEqual({ get: 'function' });
  });
});
