// Which file the snapshot bundle takes a package from when Node would import its CommonJS build.
// The dependency bundle prefers a package's "module" field (build/snapshot/snapshot.ts,
// bundleDependencies: only an ES module build can be narrowed), but Node ignores that field: for a
// package without "exports", `import` loads "main", and when that is CommonJS the namespace Node
// gives has `default` = module.exports. An ES module build has no such default (the AWS SDK's
// dist-es has none), so `import lib from '@aws-sdk/lib-dynamodb'`, which works on dist/bootstrap,
// failed the build ("No matching export … for import \"default\""), and a package held whole lost
// its `default`. Such a package, where the function imports its default or holds it whole, is
// bundled from the file Node loads, for every importer that Node's resolution takes to that copy
// (commonJsEntries): the handler file itself with init at build, whose own `import lib from` failed
// the build, and the packages that import it, so that there is one instance as under Node. The
// others keep the narrowed ES module build.
// `require()` is Node's too (requireAsNode): a CommonJS file gets what Node's require gives it.
import { existsSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import type { Plugin } from 'esbuild';
import type { SnapshotModule } from '../../src/pre-init/snapshot-modules.ts';
import { packageJsonOf, readPackageJson } from './package-json.ts';

/** Whether Node runs `file` (a .js/.cjs/.mjs path) as CommonJS: by extension, else the nearest package.json's "type". */
function isCommonJsFile(file: string): boolean {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return readPackageJson(candidate)?.type !== 'module';
    if (dirname(dir) === dir) return true;
  }
}

/**
 * The absolute path of the CommonJS file Node's `import` of `m` loads, when the bundle must take
 * the package from there instead of its "module" build: `m` is an ES import of a bare package name
 * (no subpath) in `functionDir`/`m.packageDir` whose package.json has no "exports" and a "module"
 * field, whose "main" (Node's legacy resolution, as require.resolve does it) is CommonJS, and the
 * function imports its `default` or holds it whole. Undefined otherwise (nothing to change).
 */
export function commonJsEntry(functionDir: string, m: SnapshotModule): string | undefined {
  if (m.kind !== 'import' || (m.exports !== undefined && !m.exports.includes('default'))) return undefined;
  if (m.specifier !== m.packageDir.split('/').slice(m.specifier.startsWith('@') ? -2 : -1).join('/')) return undefined;
  const packageDir = join(functionDir, ...m.packageDir.split('/'));
  const pkg = readPackageJson(join(packageDir, 'package.json'));
  if (pkg === undefined || pkg.exports !== undefined || typeof pkg.module !== 'string') return undefined;
  let main: string;
  try {
    main = createRequire(join(functionDir, 'package.json')).resolve(packageDir);
  } catch {
    return undefined;
  }
  return isCommonJsFile(main) ? main : undefined;
}

/**
 * An esbuild plugin that resolves each of `modules` for which commonJsEntry names a file to that
 * file, from every importer whose Node resolution lands in the same package folder (a nested copy
 * of another version is left alone).
 */
export function commonJsEntries(functionDir: string, modules: readonly SnapshotModule[]): Plugin {
  const entries = new Map<string, { file: string; packageJson: string }>();
  for (const m of modules) {
    const file = commonJsEntry(functionDir, m);
    if (file !== undefined) entries.set(m.specifier, { file, packageJson: join(functionDir, ...m.packageDir.split('/'), 'package.json') });
  }
  return {
    name: 'lambda-bootstrap-commonjs-entries',
    setup(b) {
      if (entries.size === 0) return;
      const filter = new RegExp(`^(?:${[...entries.keys()].map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
      b.onResolve({ filter }, (args) => {
        const entry = entries.get(args.path);
        if (entry === undefined || packageJsonOf(args.path, args.resolveDir) !== entry.packageJson) return undefined;
        return { path: entry.file };
      });
    },
  };
}

/**
 * An esbuild plugin: a `require()` of a package without "exports" resolves as Node's require
 * does ("main", never "module"), as the bundle did before it preferred "module". Otherwise the
 * handler's `require('@aws-sdk/client-s3')` got the ES build (`__esModule: true`), and a package
 * whose module.exports is a function and whose ES build exports it as default (jwt-decode 3)
 * an object instead, wherever a CommonJS file of the bundle requires it. Packages with "exports"
 * are left to esbuild's conditions, as before ("module" among them: Node's require of tslib would
 * load its UMD build, which sets globals at load, and the snapshot refuses those).
 */
export const requireAsNode: Plugin = {
  name: 'lambda-bootstrap-require-as-node',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind !== 'require-call' || isBuiltin(args.path)) return undefined;
      const from = isAbsolute(args.importer) ? args.importer : join(args.resolveDir, 'lambda-bootstrap-require.js');
      const packageJson = packageJsonOf(args.path, dirname(from));
      if (packageJson === undefined || readPackageJson(packageJson)?.exports !== undefined) return undefined;
      try {
        return { path: createRequire(from).resolve(args.path) };
      } catch {
        return undefined;
      }
    });
  },
};
