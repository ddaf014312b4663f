// The rules of Managed Instances' worker pool on their own: the worker count (AWS's client 4.x,
// getWorkerCount), the share of the concurrency and of the heap, the flags a worker gets, and the
// cross-thread lock around log writes (exercised with real worker threads).
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { EMBEDDED_SCRIPT_NAME } from '../../build/sea.ts';
import { EnvironmentError } from '../../src/environment.ts';
import { createOutputLock, outputLock, releaseOutputLockOf } from '../../src/managed-instances/output-lock.ts';
import { availableCpus, concurrencyShares, requestedWorkerCount } from '../../src/managed-instances/worker-count.ts';
import type { CpuSource } from '../../src/managed-instances/worker-count.ts';
import { workerExecArgv, workerHeapLimitMb } from '../../src/managed-instances/worker-resources.ts';
import { WORKER_SCRIPT_ASSET } from '../../src/managed-instances/worker-script.ts';

function cpuSource(cpuMax: string | undefined, cores = 2): CpuSource {
  return {
    readCpuMax: () => {
      if (cpuMax === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return cpuMax;
    },
    coreCount: () => cores,
  };
}

describe('availableCpus (AWS client 4.x getAvailableCpus)', () => {
  test.each([
    ['200000 100000\n', 2],
    ['150000 100000', 2],
    ['50000 100000', 1],
    ['400000 100000', 4],
  ])('cpu.max %j: ceil(quota / period) = %i', (text, expected) => {
    expect(availableCpus(cpuSource(text, 16))).toBe(expected);
  });

  test('"max" (no quota): the machine\'s cores', () => {
    expect(availableCpus(cpuSource('max 100000', 6))).toBe(6);
    expect(availableCpus(cpuSource('max 100000', 0))).toBe(1);
  });

  test('unreadable or nonsense: 1', () => {
    expect(availableCpus(cpuSource(undefined, 16))).toBe(1);
    expect(availableCpus(cpuSource('0 100000', 16))).toBe(1);
    expect(availableCpus(cpuSource('abc', 16))).toBe(1);
  });
});

describe('requestedWorkerCount (AWS client 4.x getWorkerCount)', () => {
  test('AWS_LAMBDA_NODEJS_WORKER_COUNT wins', () => {
    expect(requestedWorkerCount({ AWS_LAMBDA_NODEJS_WORKER_COUNT: '3' }, cpuSource('400000 100000'))).toBe(3);
    expect(requestedWorkerCount({ AWS_LAMBDA_NODEJS_WORKER_COUNT: ' 12 ' }, cpuSource(undefined))).toBe(12);
  });

  test('unset or empty: 8 per vCPU', () => {
    expect(requestedWorkerCount({}, cpuSource('200000 100000'))).toBe(16);
    expect(requestedWorkerCount({ AWS_LAMBDA_NODEJS_WORKER_COUNT: '' }, cpuSource(undefined))).toBe(8);
  });

  test.each(['0', '-2', '1.5', 'two', '2abc', '1e3'])('%j: an EnvironmentError naming the variable and what it must hold', (value) => {
    const result = requestedWorkerCount({ AWS_LAMBDA_NODEJS_WORKER_COUNT: value }, cpuSource(undefined));
    expect(result).toBeInstanceOf(EnvironmentError);
    expect((result as EnvironmentError).message).toBe(
      `AWS_LAMBDA_NODEJS_WORKER_COUNT is '${value}', but it must be a whole number of at least 1 (the number of worker ` +
        'threads that serve invocations on Lambda Managed Instances). Unset it to get 8 per vCPU.',
    );
  });
});

describe('concurrencyShares', () => {
  test.each([
    [4, 2, [2, 2]],
    [8, 3, [3, 3, 2]],
    [64, 8, [8, 8, 8, 8, 8, 8, 8, 8]],
    [5, 1, [5]],
    [3, 16, [1, 1, 1]],
    [2, 2, [1, 1]],
  ])('%i invocations over %i requested workers: %j', (concurrency, workers, expected) => {
    const shares = concurrencyShares(concurrency, workers);
    expect(shares).toEqual(expected);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(concurrency);
  });
});

describe('worker resources', () => {
  test('the process-wide flags AWS\'s client removes are removed, the binary\'s heap percentage too', () => {
    expect(
      workerExecArgv(['--expose-gc', '--max-old-space-size=123', '--max-old-space-size-percentage=96', '--max-semi-space-size=2', '--enable-source-maps', '--no-warnings']),
    ).toEqual(['--enable-source-maps', '--no-warnings']);
  });

  test('the heap is shared evenly, in whole MiB, at least 1', () => {
    const MiB = 1024 * 1024;
    expect(workerHeapLimitMb(1000 * MiB, 4)).toBe(250);
    expect(workerHeapLimitMb(123 * MiB + 5, 2)).toBe(61);
    expect(workerHeapLimitMb(MiB, 16)).toBe(1);
  });

  test('the workers\' script asset is the name build/sea.ts embeds the bundle under', () => {
    expect(WORKER_SCRIPT_ASSET).toBe(EMBEDDED_SCRIPT_NAME);
  });
});

describe('outputLock', () => {
  test('keeps two threads\' sections apart (a non-atomic read-modify-write inside stays exact)', async () => {
    const lock = createOutputLock();
    const counter = new SharedArrayBuffer(8);
    const rounds = 20_000;
    // The worker runs the same rule from source: a read, a pause, a write, all under the lock.
    const body = `
      const { workerData, parentPort, threadId } = require('node:worker_threads');
      const cell = new Int32Array(workerData.lock);
      const counter = new Int32Array(workerData.counter);
      const mine = threadId + 1;
      for (let i = 0; i < workerData.rounds; i++) {
        while (Atomics.compareExchange(cell, 0, 0, mine) !== 0) Atomics.wait(cell, 0, Atomics.load(cell, 0), 5);
        const seen = counter[0];
        for (let spin = 0; spin < 20; spin++) Math.sqrt(spin);
        counter[0] = seen + 1;
        Atomics.store(cell, 0, 0);
        Atomics.notify(cell, 0, 1);
      }
      parentPort.postMessage('done');`;
    const worker = new Worker(body, { eval: true, workerData: { lock, counter, rounds } });
    const exclusive = outputLock(lock, 0);
    const plain = new Int32Array(counter);
    for (let i = 0; i < rounds; i++) {
      exclusive(() => {
        const seen = plain[0] ?? 0;
        for (let spin = 0; spin < 20; spin++) Math.sqrt(spin);
        plain[0] = seen + 1;
      });
    }
    await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    expect(plain[0]).toBe(2 * rounds);
  });

  test('a lock left by a thread that died is freed for the others; a nested call does not wait for itself', () => {
    const lock = createOutputLock();
    const cell = new Int32Array(lock);
    Atomics.store(cell, 0, 7 + 1);
    releaseOutputLockOf(lock, 7);
    expect(Atomics.load(cell, 0)).toBe(0);
    const exclusive = outputLock(lock, 3);
    const order: string[] = [];
    exclusive(() => {
      order.push('outer');
      exclusive(() => order.push('inner'));
    });
    expect(order).toEqual(['outer', 'inner']);
    expect(Atomics.load(cell, 0)).toBe(0);
  });

  test('a lock held by someone else for good is given up on, not waited for forever', () => {
    const lock = createOutputLock();
    Atomics.store(new Int32Array(lock), 0, 99);
    const started = Date.now();
    let ran = false;
    outputLock(lock, 1)(() => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    // Still the other holder's: giving up does not steal it.
    expect(Atomics.load(new Int32Array(lock), 0)).toBe(99);
  });
});
