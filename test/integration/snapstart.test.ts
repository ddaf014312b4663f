// SnapStart (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start): the runtime runs the before-snapshot hooks,
// waits on GET /runtime/restore/next (the emulator's `snapStart` mode serves it and "restores" as
// soon as init is complete), renews its random state, runs the after-restore hooks, and only then
// asks for /next.
// Nothing here can snapshot a process: "two restores from the same state" are two processes whose
// V8 random state is made identical with --random-seed (the bundle, since the single executable
// takes no V8 flags), so that without the renewal their values would repeat.
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { Emulator } from '../../emulator/index.ts';
import { NODE24, REPO_ROOT, describeOutcome, errorBody, fixturePath, startFunction, stopAll } from './harness.ts';

afterAll(stopAll);
const ownEmulators: Emulator[] = [];
afterEach(async () => {
  await Promise.all(ownEmulators.splice(0).map((e) => e.stop()));
});

const SNAP_START = { AWS_LAMBDA_INITIALIZATION_TYPE: 'snap-start' };
const SNAP_START_SERVICE = { snapStart: true };

interface Answer {
  events: string[];
  atInit: { random: number[]; uuid: string; int: number };
  now: { random: number[]; uuid: string; uuidNamed: string; uuidWeb: string; int: number };
  replaced: { random: boolean; randomUUID: boolean; randomUUIDNamed: boolean };
  shape: { randomName: string; randomLength: number; enumerable: boolean };
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function paths(emulator: Emulator): string[] {
  return emulator.requests.map((r) => `${r.method} ${r.path.replace(/invocation\/[^/]+\//, 'invocation/<id>/')}`);
}

/** Starts (init, snapshot, restore), invokes once. */
async function restoredAnswer(emulator: Emulator): Promise<Answer> {
  const outcome = await emulator.invoke('{}');
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  return outcome.json() as Answer;
}

/** The bundle on the pinned node with a fixed V8 seed: every such process starts with the same Math.random state. */
async function seededBundle(env: Record<string, string>): Promise<Emulator> {
  const emulator = await Emulator.start({
    command: NODE24,
    args: ['--random-seed=42', join(REPO_ROOT, 'dist', 'bootstrap.js')],
    handler: 'index.handler',
    taskRoot: fixturePath('snapstart'),
    env,
    snapStart: env.AWS_LAMBDA_INITIALIZATION_TYPE === 'snap-start',
  });
  ownEmulators.push(emulator);
  return emulator;
}

describe('SnapStart protocol', () => {
  test('before-snapshot hooks (reverse order), restore/next, after-restore hooks (in order), then /next', async () => {
    const emulator = await startFunction('snapstart', 'index.handler', SNAP_START, SNAP_START_SERVICE);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const answer = outcome.json() as Answer;
    expect(answer.events).toEqual(['before-2', 'before-1', 'after-1 random=true', 'after-2']);
    expect(paths(emulator).slice(0, 3)).toEqual([
      'GET /2018-06-01/runtime/restore/next',
      'GET /2018-06-01/runtime/invocation/next',
      'POST /2018-06-01/runtime/invocation/<id>/response',
    ]);
    expect(emulator.requests[0]!.status).toBe(200);
  });

  test('on-demand: the hooks can be registered but never run, and restore/next is never called', async () => {
    const emulator = await startFunction('snapstart', 'index.handler');
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const answer = outcome.json() as Answer;
    expect(answer.events).toEqual([]);
    expect(answer.replaced).toEqual({ random: false, randomUUID: false, randomUUIDNamed: false });
    expect(paths(emulator).some((p) => p.includes('/restore/'))).toBe(false);
  });

  test('a failing before-snapshot hook is the init error Runtime.BeforeSnapshotError; no snapshot is asked for', async () => {
    const emulator = await startFunction('snapstart', 'index.handler', { ...SNAP_START, FAIL_BEFORE_SNAPSHOT: '1' }, SNAP_START_SERVICE);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(errorBody(outcome)).toMatchObject({
      errorType: 'Runtime.BeforeSnapshotError',
      errorMessage: 'Error: the connection pool would not close',
    });
    const initError = emulator.requests.find((r) => r.path.endsWith('/init/error'));
    expect(initError?.headers['lambda-runtime-function-error-type']).toBe('Runtime.BeforeSnapshotError');
    expect(paths(emulator).some((p) => p.includes('/restore/'))).toBe(false);
  });

  test('a failing after-restore hook is posted to restore/error as Runtime.AfterRestoreError, and the process exits', async () => {
    const emulator = await startFunction('snapstart', 'index.handler', { ...SNAP_START, FAIL_AFTER_RESTORE: '1' }, SNAP_START_SERVICE);
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(errorBody(outcome)).toMatchObject({
      errorType: 'Runtime.AfterRestoreError',
      errorMessage: 'TypeError: cannot reconnect to the database',
    });
    const posted = emulator.requests.find((r) => r.path === '/2018-06-01/runtime/restore/error');
    expect(posted?.status).toBe(202);
    expect(posted?.headers['lambda-runtime-function-error-type']).toBe('Runtime.AfterRestoreError');
    const exit = await emulator.processExit();
    expect(exit.code, emulator.output).not.toBe(0);
    expect(emulator.stderr + emulator.stdout).toContain('Restore Error');
    expect(paths(emulator).some((p) => p.includes('/invocation/next'))).toBe(false);
  });

  test('awslambda.registerBeforeSnapshot refuses what is not a function, with a clear TypeError', async () => {
    const emulator = await startFunction('snapstart', 'bad-hook.handler', SNAP_START, SNAP_START_SERVICE);
    const outcome = await emulator.invoke('{}');
    expect(errorBody(outcome)).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'awslambda.registerBeforeSnapshot expects a function (it may return a promise), got string',
    });
  });
});

describe('uniqueness after restore', () => {
  test('control: two processes with the same V8 seed repeat each other when nothing renews the state', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 2; i++) {
      const emulator = await seededBundle({});
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      answers.push(outcome.json() as Answer);
    }
    expect(answers[0]!.atInit.random).toEqual(answers[1]!.atInit.random);
    expect(answers[0]!.now.random).toEqual(answers[1]!.now.random);
  });

  test('two restores from the same state: Math.random differs after restore', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 2; i++) answers.push(await restoredAnswer(await seededBundle(SNAP_START)));
    const [a, b] = answers as [Answer, Answer];
    // Same state before the snapshot ...
    expect(a.atInit.random).toEqual(b.atInit.random);
    // ... different values after the restore.
    for (let i = 0; i < 3; i++) expect(a.now.random[i]).not.toBe(b.now.random[i]);
    for (const value of [...a.now.random, ...b.now.random]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });

  test('dist/bootstrap: Math.random, crypto.randomUUID (also as an ESM named import and globalThis.crypto) no longer draw from pre-snapshot state', async () => {
    const emulator = await startFunction('snapstart', 'index.handler', SNAP_START, SNAP_START_SERVICE);
    const answer = await restoredAnswer(emulator);
    expect(answer.replaced).toEqual({ random: true, randomUUID: true, randomUUIDNamed: true });
    expect(answer.shape).toEqual({ randomName: 'random', randomLength: 0, enumerable: false });
    const uuids = [answer.now.uuid, answer.now.uuidNamed, answer.now.uuidWeb, answer.atInit.uuid];
    for (const uuid of uuids) expect(uuid).toMatch(UUID_V4);
    expect(new Set(uuids).size).toBe(4);
    expect(Number.isInteger(answer.now.int)).toBe(true);
  });
});
