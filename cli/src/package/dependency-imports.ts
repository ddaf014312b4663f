// The bare imports of the handler's own code (`import 'x'`, `require('x')`, `import('x')` with a
// literal), found by esbuild's parser from the handler module through its relative imports, so
// that `package` ships an installed package the handler imports but no package.json declares,
// and names the file when one is not installed. esbuild (a pinned dependency of the tool) parses
// every syntax the runtime loads (CommonJS, ESM, TypeScript); only the scan is used, nothing is
// written. Dynamic specifiers (`require(name)`) cannot be known statically: the init check of
// verify-package.ts covers what the handler loads at init.
import { isBuiltin } from 'node:module';
import { build } from 'esbuild';
import { packageNameOf } from './dependency-closure.ts';
import type { RootImport } from './dependency-closure.ts';

/**
 * The bare imports reachable from `handlerFile` (absolute) through its relative imports, one per
 * (package, importing file), node: builtins left out. Never throws: a file esbuild cannot parse
 * ends the scan there (the init check reports the real error).
 */
export async function scanImports(handlerFile: string): Promise<RootImport[]> {
  const found = new Map<string, RootImport>();
  try {
    await build({
      entryPoints: [handlerFile],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      // Node's type stripping keeps every import; esbuild would drop the unused ones of a .ts file.
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
      plugins: [
        {
          name: 'lambda-bootstrap-scan',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (!isBuiltin(args.path) && !args.path.startsWith('node:')) {
                const name = packageNameOf(args.path);
                found.set(`${name}\0${args.importer}`, { name, importer: args.importer });
              }
              return { external: true };
            });
          },
        },
      ],
    });
  } catch {
    // what was scanned before the error is kept
  }
  return [...found.values()];
}
