// Why the function's init failed in its unpacked zip, said so that the user can act: the module
// that was missing and the file that wanted it; the TypeScript construct Node's type stripping
// cannot run (extensionless relative imports, `enum`, parameter properties, namespaces) or an ES
// module handler under `"type": "commonjs"`, each pointing to `--bundle`; a native addon built for
// another Node. The error strings matched are Node 24's own (ERR_MODULE_NOT_FOUND,
// MODULE_NOT_FOUND's "Require stack", ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX, ERR_DLOPEN_FAILED) as the
// runtime reports them in the init error body (src/handler-loader.ts, errors.ts).
import { existsSync } from 'node:fs';
import { relative } from 'node:path';

export interface InitFailure {
  /** True when the zip misses something or cannot load its code: `package` fails. */
  loadFailure: boolean;
  /** One paragraph: what failed, where, what to do. Paths are relative to the zip root. */
  message: string;
}

/** Turns a task-root path in the runtime's message into a zip-relative one. */
function inZip(path: string, taskRoot: string): string {
  return path.startsWith(taskRoot) ? relative(taskRoot, path) || '.' : path;
}

const TS_LIMITS: Record<string, string> = {
  enum: '`enum` declarations',
  'parameter property': 'constructor parameter properties (`constructor(private x: T)`)',
  'namespace declaration': '`namespace` declarations',
  'namespace': '`namespace` declarations',
  'import =': '`import x = require()`',
  'export =': '`export =`',
};

const BUNDLE_HINT = 'run `lambda-bootstrap package --bundle` (esbuild builds the handler into one JavaScript file with a source map, as SAM and CDK NodejsFunction do)';

/**
 * Explains the init error `errorType`/`errorMessage` of the function unpacked at `taskRoot`, with
 * `handler` its handler string; `wantedBy` names the file that imports a package (the scan's
 * finding, for CommonJS messages that name none). Reads nothing but `existsSync` of files named in the message.
 */
export function explainInitFailure(errorType: string, errorMessage: string, taskRoot: string, handler: string, wantedBy: (name: string) => string | undefined = () => undefined): InitFailure {
  // ESM: Cannot find module '/task/lib' imported from /task/index.ts | Cannot find package 'x' imported from /task/index.mjs
  const esm = /Cannot find (module|package) '([^']+)' imported from (\S+)/.exec(errorMessage);
  // CJS: Cannot find module 'x'\nRequire stack:\n- /task/index.js
  const cjs = /Cannot find module '([^']+)'(?:[\s\S]*?Require stack:\s*\n- (\S+))?/.exec(errorMessage);
  const missing = esm?.[2] ?? cjs?.[1];
  const stack = esm?.[3] ?? cjs?.[2];
  // The runtime's own require of the handler module is not a file of the function.
  const handlerLookup = stack !== undefined && stack.endsWith('__lambda_handler__.js');
  const importer = handlerLookup ? undefined : (stack ?? (missing === undefined ? undefined : wantedBy(missing)));
  if (missing !== undefined) {
    const from = importer === undefined ? '' : ` wanted by ${inZip(importer, taskRoot)}`;
    if (missing.startsWith('/') && importer !== undefined && /\.[cm]?ts$/.test(importer)) {
      const ext = ['.ts', '.mts', '.cts', '/index.ts'].find((e) => existsSync(missing + e));
      if (ext !== undefined) {
        return {
          loadFailure: true,
          message: `${inZip(importer, taskRoot)} imports '${inZip(missing, taskRoot)}' without its extension: Node's type stripping does not add one (write '${inZip(missing, taskRoot)}${ext === '/index.ts' ? '/index' : ''}${ext.replace('/index', '')}' with allowImportingTsExtensions, or ${BUNDLE_HINT})`,
        };
      }
    }
    if ((handlerLookup || importer === undefined) && (errorType === 'Runtime.ImportModuleError' || errorType === 'Runtime.HandlerNotFound') && missing === handler.slice(handler.lastIndexOf('/') + 1).split('.')[0]) {
      return {
        loadFailure: true,
        message: `the handler module of ${handler} is not in the zip: pass --handler <file.export> as in the function's configuration (default index.handler), or --no-verify to skip this check`,
      };
    }
    const bare = !missing.startsWith('/') && !missing.startsWith('.');
    return {
      loadFailure: true,
      message: `the module '${inZip(missing, taskRoot)}'${from} is not in the zip, so the function cannot load on Lambda${
        bare
          ? `: add it to the dependencies of the function's package.json and install it (\`npm install ${missing.startsWith('@') ? missing.split('/').slice(0, 2).join('/') : missing.split('/')[0]}\`), or ${BUNDLE_HINT}`
          : ': the file is outside the function folder or left out; move it into the folder or use --bundle'
      }`,
    };
  }
  const ts = /TypeScript (.+?) is not supported in strip-only mode/.exec(errorMessage);
  if (ts !== undefined && ts !== null) {
    return {
      loadFailure: true,
      message: `Node's type stripping cannot run ${TS_LIMITS[ts[1]!] ?? `TypeScript ${ts[1]}`} (${errorMessage.split('\n')[0]}): it only erases types; ${BUNDLE_HINT}, or rewrite it without them`,
    };
  }
  if (/Unexpected token 'export'|Cannot use import statement outside a module/.test(errorMessage)) {
    return {
      loadFailure: true,
      message: `the handler is an ES module (import/export) but Node loads it as CommonJS (${errorMessage.split('\n')[0]}): a package.json with "type": "commonjs" (npm init's default) decides so for .js and .ts files; set "type": "module", name the file .mjs/.mts, or ${BUNDLE_HINT}`,
    };
  }
  if (/NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|invalid ELF header|GLIBC_/.test(errorMessage)) {
    return { loadFailure: true, message: `a native addon does not load under the runtime's Node (${errorMessage.split('\n').join(' ')}): see docs/native-addons.md and run \`lambda-bootstrap rebuild\`` };
  }
  if (errorType === 'Runtime.UserCodeSyntaxError' || errorType === 'Runtime.HandlerNotFound' || errorType === 'Runtime.MalformedHandlerName') {
    return { loadFailure: true, message: `${errorType}: ${errorMessage}` };
  }
  return { loadFailure: false, message: `${errorType}: ${errorMessage}` };
}
