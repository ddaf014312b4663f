// import() of a handler file from inside the Node 26 single executable. Node 26 answers the
// embedded script's own import() with its embedder loader, which serves built-in modules only
// (lib/internal/modules/esm/utils.js, importModuleDynamicallyForEmbedder: ERR_UNKNOWN_BUILTIN_MODULE
// for a file: URL); Node 24 still sent it to the default ESM loader. A one-line CommonJS module
// compiled by Node's own CommonJS loader gets the default loader for its import(), as any module
// read from disk does, and loads no built-in module beyond `module` (already loaded), unlike vm.
// On Node 26 it is used in every flavour (for the bundle on a managed node it is the same loader
// as a plain import()); Node 24 keeps the plain import().
import Module from 'node:module';

type Importer = (url: string) => Promise<unknown>;
type CompilableModule = { filename: string; paths: string[]; exports: unknown; _compile(content: string, filename: string): void };

/** Node ≥ 25's single executable sends the embedded script's import() to a loader that refuses files. */
function needsDefaultLoader(): boolean {
  return Number(process.versions.node.slice(0, process.versions.node.indexOf('.'))) >= 25;
}

function compileImporter(): Importer {
  const filename = '/lambda-bootstrap/[handler-import].cjs';
  const ModuleClass = Module as unknown as new (id: string) => CompilableModule;
  const importer = new ModuleClass(filename);
  importer.filename = filename;
  importer.paths = [];
  importer._compile('module.exports = (url) => import(url);', filename);
  return importer.exports as Importer;
}

// Compiled when this module is evaluated, before the runtime switches on the function's compile
// cache (src/compile-cache.ts): compiled later, the one-liner would be written into the
// function's packaged cache as an entry of its own.
const viaDefaultLoader: Importer = needsDefaultLoader() ? compileImporter() : (url) => import(url);

/**
 * Imports the module at `url` (a file: URL) with Node's default ESM loader, as `import()` in a
 * module file would; resolves to its namespace. Errors: whatever the import throws (syntax,
 * missing file, top-level throw), unchanged.
 */
export function importFile(url: string): Promise<unknown> {
  return viaDefaultLoader(url);
}
