// Which file the snapshot bundle takes a package from when Node would import its CommonJS build.
// The dependency bundle prefers a package's "module" field (build/snapshot/snapshot.ts,
// bundleDependencies: only an ES module build can be narrowed), but Node ignores that field: for a
// package without "exports", `import` loads "main", and when that is CommonJS the namespace Node
// gives has `default` = module.exports. An ES module build has no such default (the AWS SDK's
// dist-es has none), so `import lib from '@aws-sdk/lib-dynamodb'`, which works on dist/bootstrap,
// failed the build ("No matching export … for import \"default\""), and a package held whole lost
// its `default`. Such a package, where the function imports its default or holds it whole, is
// bundled from the file Node loads; the others keep the narrowed ES module build.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SnapshotModule } from '../../src/pre-init/snapshot-modules.ts';

interface PackageJson {
  type?: unknown;
  module?: unknown;
  exports?: unknown;
}

function readPackageJson(file: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}

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
