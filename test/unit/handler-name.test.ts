// Handler string parsing and module file resolution (contract §2), on real files in a temp dir.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LambdaError } from '../../src/errors.ts';
import { parseHandlerName, resolveModuleFile } from '../../src/handler-loader.ts';

describe('parseHandlerName', () => {
  it('splits module and export', () => {
    expect(parseHandlerName('index.handler')).toEqual({ moduleRoot: '', moduleName: 'index', propertyPath: ['handler'] });
  });

  it('takes the module up to the FIRST dot and keeps the rest as a property path', () => {
    expect(parseHandlerName('app.a.b.handler')).toEqual({ moduleRoot: '', moduleName: 'app', propertyPath: ['a', 'b', 'handler'] });
  });

  it('splits the module root at the LAST slash', () => {
    expect(parseHandlerName('src/fn/app.main')).toEqual({ moduleRoot: 'src/fn', moduleName: 'app', propertyPath: ['main'] });
    expect(parseHandlerName('/opt/lib/app.main')).toEqual({ moduleRoot: '/opt/lib', moduleName: 'app', propertyPath: ['main'] });
  });

  it.each(['../x.handler', 'a/../b.handler', 'index..handler'])('%s contains .. and is malformed', (name) => {
    const error = parseHandlerName(name);
    expect(error).toBeInstanceOf(LambdaError);
    expect((error as LambdaError).name).toBe('Runtime.MalformedHandlerName');
    expect((error as LambdaError).message).toBe(
      `'${name}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  });

  it.each(['index', 'dir/index', '.handler', 'dir/.handler'])('%s has no module or no export: Bad handler', (name) => {
    const error = parseHandlerName(name);
    expect(error).toBeInstanceOf(LambdaError);
    expect((error as LambdaError).name).toBe('Runtime.MalformedHandlerName');
    expect((error as LambdaError).message).toBe('Bad handler');
  });
});

describe('resolveModuleFile', () => {
  function taskRoot(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'handler-name-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(root, name, '..'), { recursive: true });
      writeFileSync(join(root, name), text);
    }
    return root;
  }
  const name = (handler: string) => {
    const parsed = parseHandlerName(handler);
    if (parsed instanceof LambdaError) throw parsed;
    return parsed;
  };

  it('tries extensionless, .js, .mjs, .cjs, .ts, .mts, .cts in that order', () => {
    const order = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
    for (let i = 0; i < order.length; i++) {
      const files = Object.fromEntries(order.slice(i).map((ext) => [`index${ext}`, '']));
      const root = taskRoot(files);
      expect(resolveModuleFile(root, name('index.handler'))?.file).toBe(join(root, `index${order[i]}`));
    }
  });

  it('decides .js and .ts by the nearest package.json, stopping at node_modules', () => {
    const root = taskRoot({
      'package.json': '{"type":"module"}',
      'esm/index.js': '',
      'node_modules/dep/index.js': '',
      'cjs/package.json': '{"type":"commonjs"}',
      'cjs/index.ts': '',
    });
    expect(resolveModuleFile(root, name('esm/index.handler'))?.format).toBe('module');
    expect(resolveModuleFile(root, name('cjs/index.handler'))?.format).toBe('commonjs');
    expect(resolveModuleFile(root, name('node_modules/dep/index.handler'))?.format).toBe('commonjs');
  });

  it('never picks .json or .node files, and leaves the rest to Node resolution', () => {
    const root = taskRoot({ 'index.json': '{}', 'index.node': '' });
    expect(resolveModuleFile(root, name('index.handler'))).toBeUndefined();
  });

  it('an over-long name is simply not found (no ENAMETOOLONG thrown)', () => {
    const root = taskRoot({});
    expect(resolveModuleFile(root, name(`${'a'.repeat(10_000)}.handler`))).toBeUndefined();
  });
});
