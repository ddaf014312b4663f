// _HANDLER → module file → exported function. Resolution order and error strings follow
// AWS's Node runtime, plus TypeScript files through Node's built-in type stripping.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importFile } from './file-import.ts';
import {
  HANDLER_NOT_FOUND,
  IMPORT_MODULE_ERROR,
  LambdaError,
  MALFORMED_HANDLER_NAME,
  USER_CODE_SYNTAX_ERROR,
} from './errors.ts';

export type UserHandler = (...args: unknown[]) => unknown;

export interface HandlerName {
  /** Directory part of the handler string, '' when there is none. */
  moduleRoot: string;
  /** File name without extension: everything up to the first dot of the basename. */
  moduleName: string;
  /** The export, possibly nested: `a.b.handler` → ['a', 'b', 'handler']. */
  propertyPath: string[];
}

type ModuleFormat = 'commonjs' | 'module';

export interface ResolvedModule {
  file: string;
  format: ModuleFormat;
}

export function parseHandlerName(handler: string): HandlerName | LambdaError {
  if (handler.includes('..')) {
    return new LambdaError(
      MALFORMED_HANDLER_NAME,
      `'${handler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const slash = handler.lastIndexOf('/');
  const moduleRoot = slash === -1 ? '' : handler.slice(0, slash);
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  // An empty module name ('.handler', 'dir/.handler') would name the directory itself plus an
  // extension, i.e. a file outside it.
  if (dot <= 0) return new LambdaError(MALFORMED_HANDLER_NAME, 'Bad handler');
  return {
    moduleRoot,
    moduleName: base.slice(0, dot),
    propertyPath: base.slice(dot + 1).split('.'),
  };
}

// Tried in this order after the extensionless file; the first that exists wins.
const EXTENSIONS: readonly (readonly [string, ModuleFormat | 'by-package'])[] = [
  ['.js', 'by-package'],
  ['.mjs', 'module'],
  ['.cjs', 'commonjs'],
  ['.ts', 'by-package'],
  ['.mts', 'module'],
  ['.cts', 'commonjs'],
];

/** Finds the module file for a handler name, or undefined when only Node's resolution is left. */
export function resolveModuleFile(taskRoot: string, name: HandlerName): ResolvedModule | undefined {
  const base = resolve(taskRoot, name.moduleRoot, name.moduleName);
  if (isFile(base)) return { file: base, format: 'commonjs' };
  for (const [extension, format] of EXTENSIONS) {
    const file = base + extension;
    if (!isFile(file)) continue;
    if (format !== 'by-package') return { file, format };
    return { file, format: nearestPackageIsModule(dirname(file)) ? 'module' : 'commonjs' };
  }
  return undefined;
}

/** Resolves, loads and returns the handler function. Throws a LambdaError (or the module's own error). */
export async function loadHandler(taskRoot: string, handlerString: string): Promise<UserHandler> {
  const name = parseHandlerName(handlerString);
  if (name instanceof LambdaError) throw name;
  const found = resolveModuleFile(taskRoot, name) ?? resolvePackage(taskRoot, name);
  const moduleExports = await loadModule(found);
  const handler =
    walk(moduleExports, name.propertyPath) ??
    walk((moduleExports as { default?: unknown } | null)?.default, name.propertyPath);
  if (handler === undefined || handler === null) {
    throw new LambdaError(HANDLER_NOT_FOUND, `${handlerString} is undefined or not exported`);
  }
  if (typeof handler !== 'function') {
    throw new LambdaError(HANDLER_NOT_FOUND, `${handlerString} is not a function`);
  }
  return handler as UserHandler;
}

// Last resort: Node's own resolution of the bare module name (a package under node_modules).
function resolvePackage(taskRoot: string, name: HandlerName): ResolvedModule {
  const from = resolve(taskRoot, name.moduleRoot);
  let file: string;
  try {
    file = createRequire(join(from, '__lambda_handler__.js')).resolve(name.moduleName);
  } catch (error) {
    throw importModuleError(error);
  }
  if (file.endsWith('.json') || file.endsWith('.node')) {
    throw new LambdaError(
      IMPORT_MODULE_ERROR,
      `Error: Cannot find module '${name.moduleName}': it resolves to ${file}, and .json and .node files cannot be handler modules`,
    );
  }
  return { file, format: formatOf(file) };
}

// How Node itself decides for a file that package resolution found.
function formatOf(file: string): ModuleFormat {
  if (file.endsWith('.mjs') || file.endsWith('.mts')) return 'module';
  if (file.endsWith('.cjs') || file.endsWith('.cts')) return 'commonjs';
  return nearestPackageIsModule(dirname(file)) ? 'module' : 'commonjs';
}

async function loadModule(found: ResolvedModule): Promise<unknown> {
  // On nodejs24.x the process's entry point is AWS's /var/runtime/index.mjs, so the handler sees
  // `require.main` and `process.mainModule` undefined. Here the entry is the runtime's bundle (the
  // wrapper flavour, `node dist/bootstrap.js`); the single executable has none.
  process.mainModule = undefined;
  try {
    // Every file goes through import(), as AWS's client 4.x loads every candidate
    // (dist/function/module-loader.js: `await import(path)` for "", .js, .mjs, .cjs), CommonJS
    // included: Node's ESM loader then runs it, not require(). Agents tell the two apart: a
    // require hook (require-in-the-middle, behind OpenTelemetry's aws-lambda instrumentation)
    // sees a require()d .cjs handler but not an imported one, which only an ESM loader hook
    // (import-in-the-middle) wraps. ADOT's layer registers that hook for ES module handlers only,
    // so on nodejs24.x its Lambda spans are missing for a .cjs handler; they must be here too.
    return await importFile(pathToFileURL(found.file).href);
  } catch (error) {
    throw classifyLoadError(error);
  }
}

function classifyLoadError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return importModuleError(error);
  if (error instanceof SyntaxError || (error as { name?: unknown } | null)?.name === 'SyntaxError') {
    return new LambdaError(USER_CODE_SYNTAX_ERROR, String(error), { cause: error });
  }
  return error;
}

function importModuleError(error: unknown): LambdaError {
  return new LambdaError(IMPORT_MODULE_ERROR, String(error), { cause: error });
}

function walk(root: unknown, path: readonly string[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === undefined || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

// Any failure (ENAMETOOLONG, EACCES, ENOTDIR) means "not a candidate": resolution goes on, and
// Node's own resolution reports Runtime.ImportModuleError if nothing is found.
function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

// Node decides .js/.ts format by the nearest package.json; like AWS's runtime we stop at a
// node_modules folder so a dependency's package.json never decides for the function's code.
function nearestPackageIsModule(directory: string): boolean {
  for (let dir = directory; ; dir = dirname(dir)) {
    if (basename(dir) === 'node_modules') return false;
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown } | null)?.type === 'module';
      } catch (error) {
        console.warn(`${manifest} cannot be read, it will be ignored for ES module detection purposes.`, error);
        return false;
      }
    }
    if (dir === dirname(dir)) return false;
  }
}
