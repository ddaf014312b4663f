// (Lives with the build tests: heap sizing is part of making the single binary fit Lambda.)
import { describe, expect, it } from 'vitest';
import { ORIGINAL_NODE_OPTIONS, heapFlags, planHeapLimits } from '../../src/heap-limits.ts';

describe('heap limits from AWS_LAMBDA_FUNCTION_MEMORY_SIZE', () => {
  it('follows the managed runtime formula', () => {
    expect(heapFlags('128')).toEqual(['--max-semi-space-size=6', '--max-old-space-size=116']);
    expect(heapFlags('1024')).toEqual(['--max-semi-space-size=51', '--max-old-space-size=922']);
    expect(heapFlags(undefined)).toBeUndefined();
    expect(heapFlags('12x')).toBeUndefined();
  });

  it('re-executes only when V8 would outgrow the function, keeping the caller NODE_OPTIONS', () => {
    const env = { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128', NODE_OPTIONS: '--enable-source-maps' };
    expect(planHeapLimits(env, 4288)).toEqual({
      action: 'reexec',
      nodeOptions: '--enable-source-maps --max-semi-space-size=6 --max-old-space-size=116',
      original: '--enable-source-maps',
    });
    expect(planHeapLimits(env, 100).action).toBe('none');
    expect(planHeapLimits({ ...env, NODE_OPTIONS: '--max-old-space-size=300' }, 4288).action).toBe('none');
    expect(planHeapLimits({}, 4288).action).toBe('none');
  });

  it('after the re-exec, restores NODE_OPTIONS as the caller had it', () => {
    expect(planHeapLimits({ [ORIGINAL_NODE_OPTIONS]: '' }, 140)).toEqual({ action: 'restore', nodeOptions: undefined });
    expect(planHeapLimits({ [ORIGINAL_NODE_OPTIONS]: '--x' }, 140)).toEqual({ action: 'restore', nodeOptions: '--x' });
  });
});
