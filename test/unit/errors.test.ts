// Any thrown value → the Runtime API's error body (contract §5).
import { describe, expect, it } from 'vitest';
import { LambdaError, errorTypeHeader, toErrorBody } from '../../src/errors.ts';

describe('toErrorBody', () => {
  it('an Error: its name, message and stack lines', () => {
    const error = new TypeError('bad thing');
    expect(toErrorBody(error)).toEqual({ errorType: 'TypeError', errorMessage: 'bad thing', trace: error.stack!.split('\n') });
  });

  it('a LambdaError: the Lambda error type as errorType, not enumerable as an own property', () => {
    const error = new LambdaError('Runtime.HandlerNotFound', 'index.x is not a function');
    expect(toErrorBody(error).errorType).toBe('Runtime.HandlerNotFound');
    expect(Object.keys(error)).not.toContain('name');
  });

  it.each([
    [null, 'object', 'null'],
    [undefined, 'undefined', 'undefined'],
    ['boom', 'string', 'boom'],
    [42, 'number', '42'],
    [{ a: 1 }, 'object', '[object Object]'],
  ])('a thrown %s: typeof, String(value), no trace', (value, errorType, errorMessage) => {
    expect(toErrorBody(value)).toEqual({ errorType, errorMessage, trace: [] });
  });

  it('an Error whose accessors throw: the body AWS sends for it', () => {
    const error = new Error('x');
    Object.defineProperty(error, 'name', { get: () => { throw new Error('no'); } });
    expect(toErrorBody(error)).toEqual({
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    });
  });

  it('an Error from another realm counts as an Error', async () => {
    const { runInNewContext } = await import('node:vm');
    const foreign = runInNewContext('new RangeError("far")') as unknown;
    expect(toErrorBody(foreign).errorType).toBe('RangeError');
  });
});

describe('errorTypeHeader', () => {
  it('passes a printable type and replaces one a header cannot carry', () => {
    expect(errorTypeHeader({ errorType: 'Function.Bad', errorMessage: '', trace: [] })).toBe('Function.Bad');
    expect(errorTypeHeader({ errorType: 'Bad\nType', errorMessage: '', trace: [] })).toBe('Runtime.Unknown');
    expect(errorTypeHeader({ errorType: 'Ünïcode', errorMessage: '', trace: [] })).toBe('Runtime.Unknown');
  });
});
