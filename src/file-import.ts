// import() of the handler file, from a module of the runtime whose URL is a real file: the
// runtime's own file (the single executable, or the bundle under node), as AWS's
// /var/runtime/index.mjs imports the handler on nodejs24.x.
//
// An import() written in a single executable's embedded script has no parent URL. Node 24 then
// loads the handler as the program's entry point: `import.meta.main` true, `process.mainModule`
// the handler, and loader hooks that leave the entry alone (import-in-the-middle, behind
// OpenTelemetry, Sentry, dd-trace and New Relic's ESM loaders) never wrap it. Node 26 answers it
// with its embedder loader, which serves built-in modules only (lib/internal/modules/esm/utils.js,
// importModuleDynamicallyForEmbedder: ERR_UNKNOWN_BUILTIN_MODULE for a file: URL).
//
// A one-line CommonJS module compiled by Node's own CommonJS loader (Module#_compile, as require
// hooks such as pirates compile code) gets the default ESM loader for its import(), with its file
// as the parent URL, and loads no built-in module beyond `module` (already loaded); node:vm would
// cost a built-in load and an ExperimentalWarning at every start.
import Module from 'node:module';
import { isAbsolute } from 'node:path';

type Importer = (url: string) => Promise<unknown>;
type CompilableModule = { filename: string; paths: string[]; exports: unknown; _compile(content: string, filename: string): void };

/**
 * The runtime's own file, absolute: a single executable's argv is [binary, binary, ...], node's
 * is [node, bundle, ...]. The parent URL of the handler's import and the base of its require.
 */
export const RUNTIME_FILE: string = runtimeFile(process.argv[1]);

// A Managed Instances worker thread started from code has argv[1] `[worker eval]`: the
// executable (dist/bootstrap, or node for the bundle) is the runtime's file there.
function runtimeFile(script: string | undefined): string {
  return script !== undefined && isAbsolute(script) ? script : process.execPath;
}

function compileImporter(filename: string): Importer {
  const ModuleClass = Module as unknown as new (id: string) => CompilableModule;
  const importer = new ModuleClass(filename);
  importer.filename = filename;
  importer.paths = [];
  importer._compile('module.exports = (url) => import(url);', filename);
  return importer.exports as Importer;
}

// Compiled when this module is evaluated, before the runtime switches on the function's compile
// cache (src/pre-init/compile-cache.ts): compiled later, the one-liner would be written into the
// function's packaged cache as an entry of its own.
const viaDefaultLoader: Importer = compileImporter(RUNTIME_FILE);

/**
 * Imports the module at `url` (a file: URL) with Node's default ESM loader, as `import()` in a
 * module file would, with RUNTIME_FILE as the parent; resolves to its namespace. Errors: whatever
 * the import throws (syntax, missing file, top-level throw), unchanged.
 */
export function importFile(url: string): Promise<unknown> {
  return viaDefaultLoader(url);
}
