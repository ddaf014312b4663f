// src/pre-init/init-at-build.ts: the build's awslambda hooks and how they run (orders and failure
// types as SnapStart's: before-snapshot last registered first, after-restore in registration order,
// Runtime.BeforeSnapshotError / Runtime.AfterRestoreError named `<name>: <message>`). The end-to-end
// proof is test/integration/snapshot-init.test.ts; these pin the rules it relies on.
import { afterEach, describe, expect, test } from 'vitest';
import { toErrorBody } from '../../src/errors.ts';
import { AFTER_RESTORE_ERROR, BEFORE_SNAPSHOT_ERROR, afterRestoreRunner, installBuildHooks, runBeforeSnapshotHooks } from '../../src/pre-init/init-at-build.ts';

type Global = { awslambda?: Record<string, unknown> };
const saved = (globalThis as Global).awslambda;
afterEach(() => {
  (globalThis as Global).awslambda = saved;
});

describe('installBuildHooks', () => {
  test('extends an awslambda object a dependency made, and collects the hooks; a non-function is a TypeError', () => {
    const existing = { InvokeStore: 'kept' };
    (globalThis as Global).awslambda = existing;
    const hooks = installBuildHooks(true);
    const awslambda = (globalThis as Global).awslambda as { registerBeforeSnapshot: (f: unknown) => unknown; registerAfterRestore: (f: unknown) => unknown; InvokeStore: string };
    expect(awslambda).toBe(existing);
    expect(awslambda.InvokeStore).toBe('kept');
    const hook = (): void => {};
    expect(awslambda.registerBeforeSnapshot(hook)).toBe(hook);
    expect(awslambda.registerAfterRestore(hook)).toBe(hook);
    expect(hooks.beforeSnapshot).toEqual([hook]);
    expect(hooks.afterRestore).toEqual([hook]);
    expect(() => awslambda.registerAfterRestore(null)).toThrow('awslambda.registerAfterRestore expects a function (it may return a promise), got null');
  });

  test('with AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA (installGlobal false) no global is made', () => {
    delete (globalThis as Global).awslambda;
    installBuildHooks(false);
    expect((globalThis as Global).awslambda).toBeUndefined();
  });
});

describe('runBeforeSnapshotHooks', () => {
  test('last registered first, each awaited; the first failure stops them and is Runtime.BeforeSnapshotError', async () => {
    const order: string[] = [];
    const hooks = {
      beforeSnapshot: [
        () => {
          order.push('first');
        },
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push('second');
          throw new RangeError('pool will not close');
        },
        () => {
          order.push('third');
        },
      ],
      afterRestore: [],
    };
    const failure = await runBeforeSnapshotHooks(hooks);
    expect(order).toEqual(['third', 'second']);
    expect(toErrorBody(failure)).toMatchObject({ errorType: BEFORE_SNAPSHOT_ERROR, errorMessage: 'RangeError: pool will not close' });
  });
});

describe('afterRestoreRunner', () => {
  test('async: in registration order, once, however often it is asked; a failure is Runtime.AfterRestoreError', async () => {
    const order: number[] = [];
    const runner = afterRestoreRunner({ beforeSnapshot: [], afterRestore: [() => order.push(1), async () => order.push(2)] });
    await runner.async();
    await runner.async();
    expect(order).toEqual([1, 2]);
    const failing = afterRestoreRunner({ beforeSnapshot: [], afterRestore: [() => Promise.reject(new Error('could not reconnect'))] });
    const error = await failing.async().catch((e: unknown) => e);
    expect(toErrorBody(error)).toMatchObject({ errorType: AFTER_RESTORE_ERROR, errorMessage: 'Error: could not reconnect' });
  });
});
