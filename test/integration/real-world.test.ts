// A realistic function (middy + zod + Powertools logger + AWS SDK v3 client) runs unchanged.
// Its dependencies are installed by global-setup.ts from test/fixtures/real-world/package-lock.json.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../../emulator/index.ts';
import installRealWorldFixture from './global-setup.ts';
import { describeOutcome, errorBody, jsonLines, outputSettles, startFunction, stopAll } from './harness.ts';

afterAll(stopAll);

describe('real-world function', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    // A no-op when global-setup.ts already ran (or the fixture is installed): keeps this file
    // runnable on its own.
    installRealWorldFixture();
    emulator = await startFunction('real-world', 'index.handler', {}, { waitForInit: true });
  });

  test('a valid order passes the zod middleware and is answered, with the init-time S3 client', async () => {
    const outcome = await emulator.invoke('{"orderId":"o-17","quantity":3}', { requestId: 'order-17' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ orderId: 'o-17', quantity: 3, region: 'us-east-1', requestId: 'order-17' });
  });

  test('Powertools logs a structured line with the Lambda context injected by its middy middleware', async () => {
    await outputSettles(emulator, (o) => o.includes('order accepted'));
    const record = jsonLines(emulator.stdout).find((r) => r.message === 'order accepted');
    expect(record, emulator.stdout).toMatchObject({
      level: 'INFO',
      service: 'orders',
      function_name: 'test-function',
      function_request_id: 'order-17',
      orderId: 'o-17',
      quantity: 3,
    });
  });

  test('an invalid order is the ZodError thrown by the middleware, and the loop goes on', async () => {
    const outcome = await emulator.invoke('{"orderId":"","quantity":-1}');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
    const body = errorBody(outcome);
    expect(body.errorType).toBe('ZodError');
    const issues = JSON.parse(body.errorMessage) as { path: string[] }[];
    expect(issues.map((i) => i.path.join('.'))).toEqual(['orderId', 'quantity']);
    const again = await emulator.invoke('{"orderId":"o-18","quantity":1}');
    expect(again.kind, describeOutcome(again, emulator)).toBe('response');
  });
});
