// NODE_OPTIONS `--import` preloads. Node runs `--require` preloads itself before any script, also
// in a single executable, but ignores `--import` there; this runs the `--import` ones, in their
// order, after the `--require` ones and before the handler loads: the order node itself uses
// (all --require first, then each --import). This is how OpenTelemetry, Sentry and Datadog
// instrument ES module functions.

import { join } from 'node:path';

/**
 * NODE_OPTIONS split as Node splits it (node_options.cc, ParseNodeOptionsEnvVar): on spaces,
 * with double quotes grouping and a backslash escaping the next character inside quotes.
 * Returns an Error for an unterminated quote, which Node rejects at start-up too.
 */
export function splitNodeOptions(value: string): string[] | Error {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (quoted && c === '\\' && i + 1 < value.length) {
      current += value[++i];
    } else if (c === '"') {
      quoted = !quoted;
      inToken = true;
    } else if (c === ' ' && !quoted) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += c;
      inToken = true;
    }
  }
  if (quoted) return new Error('NODE_OPTIONS has an unterminated " quote');
  if (inToken) tokens.push(current);
  return tokens;
}

/** The `--import` specifiers in NODE_OPTIONS, in order (`--import x` and `--import=x`). */
export function importPreloads(nodeOptions: string | undefined): string[] | Error {
  if (nodeOptions === undefined || nodeOptions === '') return [];
  const tokens = splitNodeOptions(nodeOptions);
  if (tokens instanceof Error) return tokens;
  const specifiers: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === '--import' && i + 1 < tokens.length) specifiers.push(tokens[++i] as string);
    else if (token.startsWith('--import=')) specifiers.push(token.slice('--import='.length));
  }
  return specifiers;
}

/**
 * Imports each specifier as `node --import` does: resolved like an `import()` written in a module
 * in the current directory (package `exports` with the "import" condition, relative paths,
 * `file:` URLs), awaited one after the other. A failing preload rejects with its own error,
 * as node fails to start.
 */
export async function runImportPreloads(specifiers: readonly string[], cwd: string): Promise<void> {
  if (specifiers.length === 0) return;
  // A function compiled with a file name in `cwd`: its import() resolves from there with the
  // default ESM loader, exactly like node's own --import (parentURL = cwd).
  const vm = process.getBuiltinModule('node:vm');
  const importFromCwd = withoutLoaderWarning(
    () =>
      vm.runInThisContext('(specifier) => import(specifier)', {
        filename: join(cwd, '[node-options-import]'),
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      }) as (specifier: string) => Promise<unknown>,
  );
  // The warning comes when import() starts (synchronously), so each start is wrapped too.
  for (const specifier of specifiers) await withoutLoaderWarning(() => importFromCwd(specifier));
}

// Node 24 flags vm.USE_MAIN_CONTEXT_DEFAULT_LOADER as experimental and prints an
// ExperimentalWarning when it is used; the function did not ask for it, and node's own --import
// (which this stands in for) prints nothing, so that one warning, and only it, is dropped.
export function withoutLoaderWarning<T>(work: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('vm.USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return work();
  } finally {
    process.emitWarning = emitWarning;
  }
}
