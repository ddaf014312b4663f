// cli/src/package/dependency-closure.ts on layouts written here: which packages ship, where in the zip,
// and what is reported missing; cli/src/package/init-failure.ts's explanations of init errors.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dependencyClosure, packageNameOf, typeManifestEntry } from '../../cli/src/package/dependency-closure.ts';
import { explainInitFailure } from '../../cli/src/package/init-failure.ts';

const work = mkdtempSync(join(tmpdir(), 'closure-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function pkg(dir: string, manifest: Record<string, unknown>, files: Record<string, string> = { 'index.js': '' }): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

describe('dependencyClosure', () => {
  it("npm's nested tree: the conflicting version nests under its dependent; dev and extraneous packages stay out", () => {
    const fn = join(work, 'npm');
    pkg(fn, { name: 'fn', dependencies: { a: '1', b: '1', '@s/c': '1' }, optionalDependencies: { 'not-for-linux': '1' }, devDependencies: { vitest: '1' } });
    pkg(join(fn, 'node_modules', 'a'), { name: 'a', dependencies: { b: '2' } });
    pkg(join(fn, 'node_modules', 'a', 'node_modules', 'b'), { name: 'b', version: '2' });
    pkg(join(fn, 'node_modules', 'b'), { name: 'b', version: '1' }, { 'index.js': '', '.git/HEAD': 'x', 'node_modules/.bin/x': '' });
    pkg(join(fn, 'node_modules', '@s', 'c'), { name: '@s/c', peerDependencies: { a: '1', absent: '1' } });
    pkg(join(fn, 'node_modules', 'vitest'), { name: 'vitest' });
    const closure = dependencyClosure(fn);
    expect(closure.packages.map((p) => p.zipDir)).toEqual(['node_modules/a', 'node_modules/b', 'node_modules/@s/c', 'node_modules/a/node_modules/b']);
    expect(closure.entries.map((e) => e.name).filter((n) => n.startsWith('node_modules/b/'))).toEqual(['node_modules/b/index.js', 'node_modules/b/package.json']);
    expect(closure.missing).toEqual([
      { name: 'not-for-linux', wantedBy: join(fn, 'package.json'), optional: true },
      { name: 'absent', wantedBy: 'node_modules/@s/c', optional: true },
    ]);
    expect(closure.leftOut).toEqual(['vitest']);
    expect(closure.packages.every((p) => !p.outside)).toBe(true);
  });

  it('a package.json above the folder: only what the handler imports ships, found in the parent node_modules', () => {
    const root = join(work, 'above');
    pkg(root, { name: 'root', type: 'module', dependencies: { used: '1', 'aws-cdk-lib': '1' } });
    pkg(join(root, 'node_modules', 'used'), { name: 'used', dependencies: { dep: '1' } });
    pkg(join(root, 'node_modules', 'dep'), { name: 'dep' });
    pkg(join(root, 'node_modules', 'aws-cdk-lib'), { name: 'aws-cdk-lib' });
    mkdirSync(join(root, 'src'));
    const closure = dependencyClosure(join(root, 'src'), [{ name: 'used', importer: join(root, 'src', 'index.js') }]);
    expect(closure.packages.map((p) => [p.zipDir, p.outside])).toEqual([
      ['node_modules/used', true],
      ['node_modules/dep', true],
    ]);
    expect(typeManifestEntry(join(root, 'src'))?.data?.toString()).toBe('{"type":"module"}\n');
    expect(typeManifestEntry(root)).toBeUndefined();
  });

  it('links (workspaces, file:, pnpm) are followed to their real folders and copied as files', () => {
    const mono = join(work, 'mono');
    pkg(join(mono, 'packages', 'lib'), { name: 'lib', dependencies: { leaf: '1' } }, { 'index.js': '', 'node_modules/own-dev/x.js': '' });
    pkg(join(mono, 'node_modules', 'leaf'), { name: 'leaf' });
    mkdirSync(join(mono, 'packages', 'fn'), { recursive: true });
    symlinkSync('../packages/lib', join(mono, 'node_modules', 'lib'));
    pkg(join(mono, 'packages', 'fn'), { name: 'fn', dependencies: { lib: '*', gone: '1' } });
    const closure = dependencyClosure(join(mono, 'packages', 'fn'));
    expect(closure.packages.map((p) => [p.name, p.zipDir, p.source])).toEqual([
      ['lib', 'node_modules/lib', join(mono, 'packages', 'lib')],
      ['leaf', 'node_modules/leaf', join(mono, 'node_modules', 'leaf')],
    ]);
    expect(closure.entries.map((e) => e.name)).toEqual(['node_modules/lib/index.js', 'node_modules/lib/package.json', 'node_modules/leaf/index.js', 'node_modules/leaf/package.json']);
    expect(closure.missing).toEqual([{ name: 'gone', wantedBy: join(mono, 'packages', 'fn', 'package.json'), optional: false }]);
  });

  it('package names of specifiers', () => {
    expect(['a', 'a/b/c', '@s/a', '@s/a/b'].map(packageNameOf)).toEqual(['a', 'a', '@s/a', '@s/a']);
  });
});

describe('explainInitFailure', () => {
  const task = '/tmp/verify/task';
  it('names the missing module and the file that wanted it, in both module systems', () => {
    const esm = explainInitFailure('Runtime.ImportModuleError', "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'is-odd' imported from /tmp/verify/task/index.mjs", task, 'index.handler');
    expect(esm).toEqual({ loadFailure: true, message: expect.stringContaining("the module 'is-odd' wanted by index.mjs is not in the zip") as string });
    const cjs = explainInitFailure('Runtime.ImportModuleError', "Error: Cannot find module 'sharedlib'", task, 'index.handler', (name) => (name === 'sharedlib' ? 'index.js' : undefined));
    expect(cjs.message).toContain("the module 'sharedlib' wanted by index.js is not in the zip");
    expect(cjs.message).toContain('`npm install sharedlib`');
  });

  it("says which TypeScript construct type stripping refuses, and an ES module under commonjs, each pointing to --bundle", () => {
    for (const [construct, named] of [
      ['enum', '`enum` declarations'],
      ['parameter property', 'constructor parameter properties'],
      ['namespace declaration', '`namespace` declarations'],
    ] as const) {
      const r = explainInitFailure('Runtime.UserCodeSyntaxError', `SyntaxError [ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX]: TypeScript ${construct} is not supported in strip-only mode`, task, 'index.handler');
      expect(r.loadFailure).toBe(true);
      expect(r.message).toContain(named);
      expect(r.message).toContain('lambda-bootstrap package --bundle');
    }
    const esm = explainInitFailure('Runtime.UserCodeSyntaxError', "SyntaxError: Unexpected token 'export'", task, 'index.handler');
    expect(esm.message).toContain('"type": "commonjs"');
    expect(esm.message).toContain('--bundle');
  });

  it('a missing handler module points to --handler; an init error of the code itself is not a load failure', () => {
    const r = explainInitFailure('Runtime.ImportModuleError', "Error: Cannot find module 'index'\nRequire stack:\n- /tmp/verify/task/__lambda_handler__.js", task, 'index.handler');
    expect(r.message).toContain('the handler module of index.handler is not in the zip: pass --handler');
    expect(explainInitFailure('Error', 'TABLE_NAME is not set', task, 'index.handler')).toEqual({ loadFailure: false, message: 'Error: TABLE_NAME is not set' });
  });
});
