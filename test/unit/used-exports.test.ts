// build/snapshot/used-exports.ts on real files through real esbuild: which names the function's own
// files import from each package, and every way of importing that must keep the package whole.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ownModuleFiles, usedExports } from '../../build/snapshot/used-exports.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A function folder with these files, and a package `pkg` (and `other`) in its node_modules. */
function functionWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-used-exports-'));
  dirs.push(dir);
  for (const name of ['pkg', 'other']) {
    mkdirSync(join(dir, 'node_modules', name), { recursive: true });
    writeFileSync(join(dir, 'node_modules', name, 'package.json'), `{"name":"${name}","type":"module","main":"index.js"}`);
    writeFileSync(join(dir, 'node_modules', name, 'index.js'), 'export const a = 1, b = 2, c = 3; export default 4;\n');
  }
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function verdict(files: Record<string, string>, specifier = 'pkg'): Promise<unknown> {
  const dir = functionWith(files);
  return (await usedExports(dir, ownModuleFiles(dir), [specifier])).get(specifier);
}

describe('usedExports', () => {
  test('named, renamed and default imports across the own files, and a re-export by name', async () => {
    expect(
      await verdict({
        'index.mjs': "import def, { a as first } from 'pkg';\nimport { helper } from './lib/helper.js';\nexport const handler = async () => def + first + helper();\n",
        'lib/helper.js': "import { b } from 'pkg';\nexport const helper = () => b;\n",
        'other-handler.mjs': "export { c } from 'pkg';\n",
      }),
    ).toEqual({ names: ['a', 'b', 'c', 'default'] });
  });

  test('a name the handler imports but never uses is still held (a module is imported for its bindings)', async () => {
    expect(await verdict({ 'index.mjs': "import { a, b } from 'pkg';\nexport const handler = async () => a;\n" })).toEqual({ names: ['a', 'b'] });
  });

  test.each([
    ['a namespace import', "import * as ns from 'pkg';\nexport const handler = async () => ns.a;\n", 'namespace import'],
    ['export * from', "export * from 'pkg';\nexport const handler = async () => 1;\n", 're-export of everything'],
    ['a dynamic import() of it', "export const handler = async () => (await import('pkg')).a;\n", 'no static import'],
    ['a computed import()', "import { a } from 'pkg';\nexport const handler = async (e) => (await import(e.name)).x + a;\n", 'computed specifier'],
    ['a side-effect import only', "import 'pkg';\nexport const handler = async () => 1;\n", 'no static import'],
    ['its name in a string', "import { a } from 'pkg';\nexport const handler = async () => 'pkg' + a;\n", 'no static import'],
    ['a file esbuild cannot read', "import { a } from 'pkg';\nexport const handler = async () => a;\n", 'esbuild could not read'],
  ])('%s keeps it whole', async (_what, text, reason) => {
    const files: Record<string, string> = { 'index.mjs': text };
    if (reason === 'esbuild could not read') files['broken.mjs'] = 'export const = ;\n';
    const result = await verdict(files);
    expect(result).toHaveProperty('whole');
    expect((result as { whole: string }).whole).toContain(reason);
  });

  test('require() of it is the CommonJS entry\'s business, not the import\'s', async () => {
    expect(
      await verdict({
        'index.mjs': "import { createRequire } from 'node:module';\nimport { a } from 'pkg';\nconst require = createRequire(import.meta.url);\nexport const handler = async () => a + require('pkg').b;\n",
      }),
    ).toEqual({ names: ['a'] });
  });

  test('files in node_modules, dot-folders and the build\'s own folder are not the function\'s', () => {
    const dir = functionWith({ 'index.mjs': '', 'src/a.ts': '', 'types.d.ts': '', '.hidden/x.mjs': '', '.lambda-bootstrap/snapshot/main.js': '', 'data.json': '{}', 'legacy.cjs': '' });
    // legacy.cjs is the function's: an import() in it gets the ES namespace the snapshot answers.
    expect(ownModuleFiles(dir)).toEqual(['index.mjs', 'legacy.cjs', 'src/a.ts']);
  });

  test('a TypeScript value import used only as a type is held: Node strips types without eliding imports', async () => {
    expect(await verdict({ 'index.mts': "import type { c } from 'pkg';\nimport { a, b } from 'pkg';\nlet x: b | c;\nexport const handler = async () => a;\n" })).toEqual({ names: ['a', 'b'] });
  });

  test('a name the package does not export, imported by a TypeScript file (an interface without `type`), is not held', async () => {
    expect(await verdict({ 'index.mjs': "import { a } from 'pkg';\nexport const handler = async () => a;\n", 'src/types.ts': "import { b, Shape } from 'pkg';\nexport const f = (s: Shape) => b;\n" })).toEqual({ names: ['a', 'b'] });
  });

  test.each([
    ['an import() of it in a .cjs file', "exports.handler = async () => (await import('pkg')).a;\n", 'no static import'],
    ['a computed import() in a .cts file', "exports.handler = async (e: { name: string }) => (await import(e.name)).x;\n", 'computed specifier'],
  ])('%s keeps it whole', async (_what, text, reason) => {
    const result = await verdict({ 'index.mjs': "import { a } from 'pkg';\nexport const handler = async () => a;\n", [reason === 'computed specifier' ? 'legacy.cts' : 'legacy.cjs']: text });
    expect(result).toHaveProperty('whole');
    expect((result as { whole: string }).whole).toContain(reason);
  });

  test('another package\'s imports do not count', async () => {
    expect(await verdict({ 'index.mjs': "import { a } from 'pkg';\nimport * as o from 'other';\nexport const handler = async () => a + o.b;\n" })).toEqual({ names: ['a'] });
  });
});
