// Which names the function's own files import from each snapshotted package, so that the snapshot
// holds only those (and what they reach) instead of the whole package: every start deserialises
// the heap, and a package such as @aws-sdk/client-s3 evaluates every command and schema it has
// while a handler sends one or two (realistic function: blob 11.9 → 10.4 MB, first /next about
// −25%, bench/results/latest.md).
//
// esbuild bundles every own file with the packages external and tree-shaking on; its output names
// each package in canonical statements (`import { a, b as c } from "pkg";`), which this file reads.
// Why a reader of our own rather than a parser library: the text is esbuild's printer's, not a
// person's, and anything it does not recognise keeps the whole package — every occurrence of the
// package's name in the output must be one of the statements understood, or the package is not
// narrowed. That makes a miss cost speed, never correctness.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build, transform } from 'esbuild';
import type { Plugin } from 'esbuild';

/**
 * The extensions of the function's code files. .cjs/.cts are read too: their `require()` calls get
 * the CommonJS module (another registry entry), but an `import()` in them gets the ES namespace,
 * which the snapshot answers from the narrowed copy (src/pre-init/snapshot-modules.ts's isOwnFile
 * counts every file under the task root): unread, such an import() got a namespace missing the
 * names only it used, and a computed one there did not make everything whole.
 */
const MODULE_FILE = /\.(?:[mc]?js|[mc]?ts|jsx|tsx)$/;
/** Folders that are not the function's own code. */
const NOT_OWN = new Set(['node_modules', '.lambda-bootstrap', '.git']);

/**
 * The function's own module files: every file under `functionDir` with a module extension, outside
 * node_modules and dot-folders, as paths relative to it ('/'-separated). These are the importers
 * whose imports of a narrowed package the snapshot answers (src/pre-init/snapshot-modules.ts).
 */
export function ownModuleFiles(functionDir: string): string[] {
  const files: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!NOT_OWN.has(entry.name) && !entry.name.startsWith('.')) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      } else if (entry.isFile() && MODULE_FILE.test(entry.name) && !/\.d\.[mc]?ts$/.test(entry.name)) {
        files.push(`${prefix}${entry.name}`);
      }
    }
  };
  walk(functionDir, '');
  return files.sort();
}

/**
 * Node strips a TypeScript file's types without eliding imports: `import { S3Client }` used only
 * as a type still imports S3Client at run time, so the snapshot must hold it (else: "does not
 * provide an export named 'S3Client'" at init). esbuild's bundler elides such imports whatever the
 * tsconfig says, its transform does not with verbatimModuleSyntax: each TypeScript file is
 * transformed so first, and bundled as the JavaScript Node runs.
 */
const typesStrippedAsNodeDoes: Plugin = {
  name: 'lambda-bootstrap-types-stripped-as-node-does',
  setup(b) {
    b.onLoad({ filter: /\.[mc]?tsx?$/ }, async (args) => {
      const tsx = args.path.endsWith('x');
      const { code } = await transform(readFileSync(args.path, 'utf8'), { loader: tsx ? 'tsx' : 'ts', sourcefile: args.path, tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } } });
      return { contents: code, loader: tsx ? 'jsx' : 'js' };
    });
  },
};

/** One package's verdict: the names imported, or why the whole package stays. */
export type UsedExports = { names: string[] } | { whole: string };

/**
 * Per package in `specifiers`: the names the function's own `files` import from it with static
 * `import`/`export … from` statements, or `whole` with the reason (a namespace import, `export *`,
 * a dynamic `import()`, a name the reader could not account for, or files esbuild cannot bundle).
 * `require()` calls do not count: they get the CommonJS module, a registry entry of its own.
 */
export async function usedExports(functionDir: string, files: readonly string[], specifiers: readonly string[]): Promise<Map<string, UsedExports>> {
  const verdicts = new Map<string, UsedExports>();
  const everyWhole = (why: string): Map<string, UsedExports> => {
    for (const s of specifiers) verdicts.set(s, { whole: why });
    return verdicts;
  };
  if (files.length === 0) return everyWhole('no module files of the function');
  let outputs: string[];
  try {
    const result = await build({
      entryPoints: files.map((f) => join(functionDir, f)),
      absWorkingDir: functionDir,
      outdir: join(functionDir, '.lambda-bootstrap', 'used-exports'),
      bundle: true,
      write: false,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node24',
      logLevel: 'silent',
      plugins: [typesStrippedAsNodeDoes],
    });
    outputs = result.outputFiles.map((o) => o.text);
  } catch (error) {
    return everyWhole(`esbuild could not read the function's files (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  // An import() whose specifier is computed could name any package at run time.
  if (outputs.some((text) => /\bimport\(\s*(?!")/.test(text))) return everyWhole('a dynamic import() with a computed specifier');
  for (const specifier of specifiers) verdicts.set(specifier, readStatements(outputs, specifier));
  if (files.some((f) => TYPESCRIPT_FILE.test(f))) {
    for (const [specifier, verdict] of verdicts) {
      if (!('names' in verdict)) continue;
      const missing = await notExported(functionDir, specifier, verdict.names);
      // `default` stays: an ES build without one may be a CommonJS "main"'s (build/snapshot/commonjs-entry.ts).
      const names = verdict.names.filter((name) => name === 'default' || !missing.has(name));
      verdicts.set(specifier, names.length > 0 ? { names } : { whole: 'no named import of it' });
    }
  }
  return verdicts;
}

const TYPESCRIPT_FILE = /\.[mc]?tsx?$/;

/**
 * Which of `names` esbuild finds no export for in `specifier` as the snapshot bundle resolves it
 * (mainFields module,main): its "No matching export" errors. Where it cannot tell (a CommonJS
 * module's names are dynamic, an `export *` of one), a name is kept. Why: a TypeScript file read as
 * Node runs it keeps `import { S3Client, PutObjectCommandInput }` as written, and a file that is
 * shipped but never run (the sources beside the compiled output) may name an interface so: held,
 * it failed the bundle. Dropping a name the package does not export is what Node does too: a file
 * importing one fails to load either way, with the same SyntaxError.
 */
async function notExported(functionDir: string, specifier: string, names: readonly string[]): Promise<Set<string>> {
  const missing = new Set<string>();
  const bindings = names.map((name, i) => `${JSON.stringify(name)} as n${i}`).join(', ');
  try {
    await build({
      stdin: { contents: `import { ${bindings} } from ${JSON.stringify(specifier)};\nexport { ${names.map((_, i) => `n${i}`).join(', ')} };\n`, resolveDir: functionDir, sourcefile: 'lambda-bootstrap-names.mjs', loader: 'js' },
      outfile: join(functionDir, '.lambda-bootstrap', 'used-exports', 'names.js'),
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      mainFields: ['module', 'main'],
      logLevel: 'silent',
      // Every missing name is an error of its own: all of them, not the first ten.
      logLimit: 0,
    });
  } catch (error) {
    for (const e of (error as { errors?: { text: string }[] }).errors ?? []) {
      const name = /^No matching export in ".*" for import "((?:[^"\\]|\\.)*)"$/.exec(e.text)?.[1];
      if (name !== undefined) missing.add(JSON.parse(`"${name}"`) as string);
    }
  }
  return missing;
}

const STATEMENT = /(?:^|[;\n])[ \t]*(import|export)[ \t]+([^;"'`]*?)[ \t]*from[ \t]*"((?:[^"\\]|\\.)*)";/g;

function readStatements(outputs: readonly string[], specifier: string): UsedExports {
  const quoted = JSON.stringify(specifier);
  const names = new Set<string>();
  for (const text of outputs) {
    let occurrences = text.split(quoted).length - 1;
    // require("pkg") (esbuild's __require, or a createRequire() function) gets the CommonJS
    // module: another registry entry.
    occurrences -= [...text.matchAll(new RegExp(String.raw`[\w$]*require[\w$]*\(\s*${escapeRegExp(quoted)}\s*\)`, 'g'))].length;
    let understood = 0;
    for (const match of text.matchAll(STATEMENT)) {
      if (JSON.parse(`"${match[3]!}"`) !== specifier) continue;
      const clause = readClause(match[1] as 'import' | 'export', match[2]!);
      if (typeof clause === 'string') return { whole: clause };
      for (const name of clause) names.add(name);
      understood++;
    }
    if (understood !== occurrences) return { whole: `its name appears where no static import of it is (${occurrences - understood} of ${occurrences})` };
  }
  // Imported only for its side effects (`import "pkg"`, or by require() alone): nothing to narrow to.
  if (names.size === 0) return { whole: 'no named import of it' };
  return { names: [...names].sort() };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const NAME = String.raw`(?:[A-Za-z_$][\w$]*|"(?:[^"\\]|\\.)*")`;
const SPECIFIER = new RegExp(String.raw`^(${NAME})(?:\s+as\s+${NAME})?$`);

/** The imported names of one clause, or why it takes the whole module. */
function readClause(keyword: 'import' | 'export', clause: string): string[] | string {
  let rest = clause.trim();
  const names: string[] = [];
  if (keyword === 'import') {
    if (rest === '') return names;
    const defaultBinding = /^([A-Za-z_$][\w$]*)\s*(?:,\s*|$)/.exec(rest);
    if (defaultBinding !== null && !rest.startsWith('{')) {
      names.push('default');
      rest = rest.slice(defaultBinding[0].length);
      if (rest === '') return names;
    }
  }
  if (rest.startsWith('*')) return keyword === 'import' ? 'a namespace import (import * as …)' : 'a re-export of everything (export * from …)';
  const braces = /^\{([^}]*)\}$/.exec(rest);
  if (braces === null) return `a statement the reader does not know (${keyword} ${clause.trim()})`;
  for (const part of braces[1]!.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const named = SPECIFIER.exec(item);
    if (named === null) return `a statement the reader does not know (${keyword} ${clause.trim()})`;
    names.push(named[1]!.startsWith('"') ? (JSON.parse(named[1]!) as string) : named[1]!);
  }
  return names;
}
