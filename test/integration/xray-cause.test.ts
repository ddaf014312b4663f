// Contract §5 (optional part): an invocation error carries Lambda-Runtime-Function-XRay-Error-Cause
// for Error values, with the handler's own frame in it; a non-Error throw carries none.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Emulator } from '../../emulator/index.ts';
import { TRANSPORTS, startFunction, stopAll } from './harness.ts';

afterAll(stopAll);

describe.each(TRANSPORTS)('X-Ray error cause (%s transport)', (transport) => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startFunction('results', 'index.handler', {}, { transport });
  });

  test('an Error: the cause names the type, message and the handler file', async () => {
    const out = await emulator.invoke(JSON.stringify({ kind: 'error' }));
    expect(out.kind).toBe('error');
    const header = out.headers['lambda-runtime-function-xray-error-cause'];
    expect(header).toBeDefined();
    const cause = JSON.parse(header!) as {
      working_directory: string;
      exceptions: { type: string; message: string; stack: { path: string; line: number; label: string }[] }[];
      paths: string[];
    };
    expect(cause.exceptions[0]!.type).toBe('ValidationError');
    expect(cause.exceptions[0]!.message).toBe('order id is required');
    expect(cause.exceptions[0]!.stack[0]!.path).toMatch(/fixtures\/results\/index\.mjs$/);
    expect(cause.exceptions[0]!.stack[0]!.line).toBeGreaterThan(0);
    expect(cause.paths).toContain(cause.exceptions[0]!.stack[0]!.path);
    expect(cause.working_directory.length).toBeGreaterThan(0);
  });

  test('a thrown string: no cause header', async () => {
    const out = await emulator.invoke(JSON.stringify({ kind: 'throw-string' }));
    expect(out.kind).toBe('error');
    expect(out.headers['lambda-runtime-function-xray-error-cause']).toBeUndefined();
  });
});
