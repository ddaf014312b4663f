// The X-Ray cause built from an invocation error (the Lambda-Runtime-Function-XRay-Error-Cause header).
import { describe, expect, it } from 'vitest';
import { MAX_XRAY_CAUSE_BYTES, xrayErrorCause, xrayErrorCauseHeader } from '../../src/xray-error-cause.ts';

function errorWithStack(name: string, message: string, frames: string[]): Error {
  const error = new Error(message);
  error.name = name;
  error.stack = [`${name}: ${message}`, ...frames].join('\n');
  return error;
}

describe('xrayErrorCause', () => {
  it('reads labelled and bare V8 frames into path, line and label', () => {
    const error = errorWithStack('TypeError', 'x is undefined', [
      '    at handler (file:///var/task/index.mjs:12:7)',
      '    at async Promise.all (index 0)',
      '    at /var/task/lib/util.js:3:15',
      '    at Module._compile (node:internal/modules/cjs/loader:1554:14)',
    ]);
    expect(xrayErrorCause(error, '/var/task')).toEqual({
      working_directory: '/var/task',
      exceptions: [
        {
          type: 'TypeError',
          message: 'x is undefined',
          stack: [
            { path: 'file:///var/task/index.mjs', line: 12, label: 'handler' },
            { path: '/var/task/lib/util.js', line: 3, label: 'anonymous' },
            { path: 'node:internal/modules/cjs/loader', line: 1554, label: 'Module._compile' },
          ],
        },
      ],
      paths: ['file:///var/task/index.mjs', '/var/task/lib/util.js', 'node:internal/modules/cjs/loader'],
    });
  });

  it('has nothing to say for thrown values that are not Errors', () => {
    for (const value of ['a string', 42, null, undefined, { message: 'plain' }]) {
      expect(xrayErrorCause(value, '/var/task')).toBeUndefined();
    }
  });

  it('an Error whose accessors throw gives no cause instead of throwing', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'name', { get: () => { throw new Error('no'); } });
    expect(xrayErrorCause(error, '/var/task')).toBeUndefined();
  });
});

describe('xrayErrorCauseHeader', () => {
  it('is JSON that a header can carry: non-ASCII escaped, parses back to the same cause', () => {
    const cause = xrayErrorCause(errorWithStack('Error', 'café ✓ 日本', ['    at h (/var/task/ünï.js:1:1)']), '/var/task');
    const header = xrayErrorCauseHeader(cause)!;
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect(JSON.parse(header)).toEqual(cause);
  });

  it('is left out when over 64 KiB', () => {
    const big = errorWithStack('Error', 'm'.repeat(MAX_XRAY_CAUSE_BYTES), []);
    expect(xrayErrorCauseHeader(xrayErrorCause(big, '/var/task'))).toBeUndefined();
    expect(xrayErrorCauseHeader(undefined)).toBeUndefined();
  });
});
