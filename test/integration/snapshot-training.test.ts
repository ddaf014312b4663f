// The snapshot executable's training run (build/snapshot/snapshot-training.ts, docs/pre-initialised.md,
// issue 25 part 1): the realistic function of the benchmark (bench/realistic) built twice, with
// and without training. Proved with V8's own counter (v8.getHeapCodeStatistics's
// bytecode_and_metadata_size, read around the first invocation's work by
// test/fixtures/snapshot/compiled.mjs): the trained executable compiles far less bytecode at its
// first invocation, because the snapshot keeps what training compiled. Training must not change
// answers: the realistic function answers the same under both and under dist/bootstrap, sending
// the same requests with the start's region, endpoint and credentials scope.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FakeAws } from '../../bench/fake-aws.ts';
import { SnapshotError, buildSnapshotExecutable } from '../../build/snapshot/snapshot.ts';
import type { SnapshotReport } from '../../build/snapshot/snapshot.ts';
import { Emulator } from '../../emulator/index.ts';
import { FIXTURES, REPO_ROOT, describeOutcome } from './harness.ts';

const REALISTIC = join(REPO_ROOT, 'bench', 'realistic');
const DIST_BOOTSTRAP = join(REPO_ROOT, 'dist', 'bootstrap');
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'AKIDTRAININGTEST0000', AWS_SECRET_ACCESS_KEY: 'training/test/secret/000000000000000000', AWS_SESSION_TOKEN: 'training-token' };
const binaryOnly = describe.skipIf((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64');

const temporary: string[] = [];
let fake: FakeAws;
let functionDir: string;
let trained: SnapshotReport;
let plain: SnapshotReport;

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

async function invoke(command: string, handler: string): Promise<{ json: unknown; sent: string[] }> {
  const before = fake.requests.length;
  const emulator = await Emulator.start({ command, handler, taskRoot: functionDir, env: { ...CREDENTIALS, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: fake.url, BUCKET_NAME: 'bucket-at-start' } });
  try {
    const outcome = await emulator.invoke('{"order":25}', { requestId: 'req-training-25' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(emulator.output).not.toContain('Warning');
    const sent = fake.requests.slice(before).map((r) => `${r.method} ${r.path.split('?')[0]} ${r.scope?.split('/').slice(1).join('/')}`);
    return { json: outcome.json(), sent };
  } finally {
    await emulator.stop();
  }
}

beforeAll(async () => {
  fake = await FakeAws.start();
  if ((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64') return;
  if (!existsSync(join(REALISTIC, 'node_modules', '.package-lock.json'))) {
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: REALISTIC, stdio: 'inherit' });
  }
  functionDir = tempDir('lambda-bootstrap-training-fn-');
  for (const name of ['index.mjs', 'package.json', 'node_modules']) cpSync(join(REALISTIC, name), join(functionDir, name), { recursive: true });
  for (const probe of ['compiled.mjs', 'probe.mjs']) copyFileSync(join(FIXTURES, 'snapshot', probe), join(functionDir, probe));
  const a = await buildSnapshotExecutable({ functionDir, handler: 'index.handler', outDir: tempDir('lambda-bootstrap-training-on-') });
  if (a instanceof SnapshotError) throw a;
  const b = await buildSnapshotExecutable({ functionDir, handler: 'index.handler', outDir: tempDir('lambda-bootstrap-training-off-'), training: false });
  if (b instanceof SnapshotError) throw b;
  trained = a;
  plain = b;
}, 900_000);

afterAll(async () => {
  await fake?.close();
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

binaryOnly('snapshot training run', () => {
  test('trains every client, command, the logger and middy of the realistic function, and is off with training: false', () => {
    // The function imports DynamoDBClient for the DocumentClient only: the snapshot narrowed to its
    // imports holds no GetItemCommand export, and GetItem is trained through GetCommand.
    expect(trained.training).toEqual({
      trained: ['DynamoDBClient (constructed)', 'S3Client PutObjectCommand', 'DynamoDBDocumentClient GetCommand', 'Logger info, warn, error', 'middy handler'],
      skipped: [],
    });
    expect(plain.training).toBeUndefined();
  });

  test('the realistic function answers the same with and without training, and as under dist/bootstrap', async () => {
    const results = [];
    for (const command of [trained.executable, plain.executable, DIST_BOOTSTRAP]) {
      const { json, sent } = await invoke(command, 'index.handler');
      expect(sent, command).toEqual(['PUT /bucket-at-start/events/req-training-25.json eu-west-1/s3/aws4_request', 'POST / eu-west-1/dynamodb/aws4_request']);
      results.push(json);
    }
    expect(results[0]).toEqual({ statusCode: 200, body: JSON.stringify({ key: 'events/req-training-25.json', item: { id: 'counter', count: 42 } }) });
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  test('the snapshot keeps the bytecode training compiled: the first invocation compiles under half as much (V8 heap code statistics)', async () => {
    const withTraining = (await invoke(trained.executable, 'compiled.handler')).json as { compiledBytes: number; item: unknown };
    const without = (await invoke(plain.executable, 'compiled.handler')).json as { compiledBytes: number; item: unknown };
    expect(withTraining.item).toEqual({ id: 'counter', count: 42 });
    expect(without.item).toEqual(withTraining.item);
    // Measured: ~81 KB against ~299 KB (and ~298 KB under dist/bootstrap).
    expect(without.compiledBytes).toBeGreaterThan(0);
    expect(withTraining.compiledBytes * 2).toBeLessThan(without.compiledBytes);
  });

  test('after training, two starts still draw different UUIDs and Math.random values (the uniqueness renewal)', async () => {
    const a = (await invoke(trained.executable, 'probe.handler')).json as { random: number; uuid: string };
    const b = (await invoke(trained.executable, 'probe.handler')).json as { random: number; uuid: string };
    expect(a.uuid).not.toBe(b.uuid);
    expect(a.random).not.toBe(b.random);
  });
});
