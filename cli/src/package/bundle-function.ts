// `lambda-bootstrap package --bundle`: the handler built with esbuild into one ES module with a
// source map, as `sam build` (Metadata BuildMethod: esbuild) and CDK's NodejsFunction do. A full
// TypeScript compiler's output, so every TS construct Node's type stripping refuses (`enum`,
// parameter properties, namespaces, extensionless relative imports) works, and the dependencies
// the handler imports are inside the bundle. Left external, and shipped as packages instead
// (dependency-closure.ts): packages with a native addon (binding.gyp, prebuilds/), which cannot be
// bundled. ES module output loads in either `"type"`, keeps top-level await, and gets a `require`
// for bundled CommonJS dependencies that require Node's builtins. Stack traces map back to the
// sources when the function runs with NODE_OPTIONS=--enable-source-maps (SAM sets the same).
import { existsSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { build } from 'esbuild';
import { parseHandlerName, resolveModuleFile } from '../../../src/handler-loader.ts';
import { FILE_MODE } from '../../../build/zip.ts';
import type { ZipEntry } from '../../../build/zip.ts';
import { ToolError } from '../build-binary.ts';
import { packageNameOf, resolvePackageDir } from './dependency-closure.ts';
import type { RootImport } from './dependency-closure.ts';

/** Source files the bundle replaces: not shipped beside it. */
export const CODE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

export interface FunctionBundle {
  /** The bundle and its source map, named after the handler module (`<module>.mjs`, `.mjs.map`). */
  entries: ZipEntry[];
  /** Packages left out of the bundle (native addons), to ship as packages. */
  externals: RootImport[];
  /** The handler's source file. */
  entry: string;
}

/** The handler's module file in `functionDir` (absolute), as the runtime resolves `handler`. Errors: ToolError. */
export function handlerFile(functionDir: string, handler: string): string {
  const name = parseHandlerName(handler);
  if (name instanceof Error) throw new ToolError(`package: --handler ${handler}: ${name.message}`);
  const found = resolveModuleFile(functionDir, name);
  if (found === undefined) {
    throw new ToolError(`package: no module for the handler ${handler} in ${functionDir} (looked for ${posix.join(name.moduleRoot, name.moduleName)}.{js,mjs,cjs,ts,mts,cts}): pass --handler <file.export> as configured on the function`);
  }
  return found.file;
}

/**
 * Builds the handler of `functionDir` (absolute) into one ES module. Errors: ToolError with
 * esbuild's messages (file:line: text) when the code does not build.
 */
export async function bundleHandler(functionDir: string, handler: string): Promise<FunctionBundle> {
  const entry = handlerFile(functionDir, handler);
  const name = parseHandlerName(handler);
  if (name instanceof Error) throw new ToolError(name.message);
  const outName = posix.join(name.moduleRoot, `${name.moduleName}.mjs`);
  const externals = new Map<string, RootImport>();
  const outdir = resolve(functionDir, '.lambda-bootstrap-bundle');
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      outfile: join(outdir, outName),
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      sourcemap: 'linked',
      logLevel: 'silent',
      // Bundled CommonJS dependencies call require() for builtins; ESM output has none of its own.
      banner: { js: "import { createRequire as __lambdaBootstrapCreateRequire } from 'node:module'; const require = __lambdaBootstrapCreateRequire(import.meta.url);" },
      plugins: [
        {
          name: 'lambda-bootstrap-native-externals',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (args.path.startsWith('node:')) return undefined;
              const pkg = packageNameOf(args.path);
              const dir = resolvePackageDir(pkg, dirname(args.importer));
              if (dir !== undefined && (existsSync(join(dir, 'binding.gyp')) || existsSync(join(dir, 'prebuilds')))) {
                externals.set(pkg, { name: pkg, importer: args.importer });
                return { path: args.path, external: true };
              }
              return undefined;
            });
          },
        },
      ],
    });
  } catch (error) {
    const errors = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
    const lines = errors.map((e) => `  ${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`);
    throw new ToolError(`package --bundle: esbuild could not build ${relative(functionDir, entry)}:\n${lines.join('\n') || String(error)}`);
  }
  const entries: ZipEntry[] = result.outputFiles.map((file) => ({ name: relative(outdir, file.path).split('\\').join('/'), data: Buffer.from(file.contents), mode: FILE_MODE }));
  return { entries, externals: [...externals.values()], entry };
}
