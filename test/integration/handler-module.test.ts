// The handler is a module the runtime imports, never the program's entry point (issue 18;
// ../shared/repros/handler-loaded-as-entry-point). On nodejs24.x the entry is AWS's
// /var/runtime/index.mjs: in the handler `require.main` and `process.mainModule` are undefined,
// `import.meta.main` is false, and loader hooks registered by preloads see the handler imported
// from a real parent (import-in-the-middle, behind OpenTelemetry and the other agents, never wraps
// a module without one). The expected values are what AWS's client 4.0.2 gives (RIC=1).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { FIXTURES, describeOutcome, startFunction, stopAll } from './harness.ts';

afterAll(stopAll);

const ROOT = join(FIXTURES, 'handler-module');
const REGISTER_HOOKS = join(ROOT, 'hooks', 'register-hooks.cjs');
const REGISTER = join(ROOT, 'hooks', 'register.mjs');

async function invoke(folder: string, env: Record<string, string> = {}): Promise<{ result: Record<string, unknown>; output: string }> {
  const emulator = await startFunction(join(ROOT, folder), 'index.handler', env);
  const outcome = await emulator.invoke('{}');
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  await outcome.logsComplete;
  return { result: outcome.json() as Record<string, unknown>, output: emulator.output };
}

/** A parent an import-in-the-middle style hook accepts: a file URL of a file that exists, not the handler's folder. */
function expectRealRuntimeParent(parentURL: unknown): void {
  expect(typeof parentURL).toBe('string');
  expect(parentURL as string).toMatch(/^file:\/\/\//);
  const file = fileURLToPath(parentURL as string);
  expect(existsSync(file), `${file} exists`).toBe(true);
  expect(file.startsWith(ROOT)).toBe(false);
}

describe.concurrent('the "run me directly" idiom does not run, in every module format', () => {
  for (const [folder, file] of [
    ['cjs', 'index.js'],
    ['cts', 'index.cjs'],
  ] as const) {
    test(`CommonJS ${file}: require.main !== module, require.main and process.mainModule null, module.id the file`, async () => {
      const { result, output } = await invoke(folder);
      expect(result).toEqual({
        ranAsScript: false,
        requireMainIsModule: false,
        requireMainFile: null,
        moduleId: join(ROOT, folder, file),
        processMainModule: null,
        hooks: null,
      });
      expect(output).not.toContain('running the local-dev entry point');
    });
  }

  test('ES module index.mjs: import.meta.main false', async () => {
    const { result, output } = await invoke('esm');
    expect(result).toMatchObject({ importMetaMain: false, ranAsScript: false });
    expect(output).not.toContain('running the local-dev entry point');
  });

  test('TypeScript index.mts: import.meta.main false', async () => {
    const { result, output } = await invoke('ts');
    expect(result).toEqual({ importMetaMain: false, ranAsScript: false });
    expect(output).not.toContain('running the local-dev entry point');
  });
});

describe.concurrent('loader hooks from preloads see and wrap the handler, imported from a real parent', () => {
  test('module.registerHooks from a --require preload: an ES module handler', async () => {
    const { result } = await invoke('hooks', { NODE_OPTIONS: `--require ${REGISTER_HOOKS}` });
    expect(result.wrapped).toEqual(['hooks/index.mjs']);
    const hooks = result.hooks as { hook: string; url: string; parentURL: unknown }[];
    expect(hooks.map((h) => h.url)).toEqual(['hooks/index.mjs']);
    expectRealRuntimeParent(hooks[0]?.parentURL);
  });

  test('module.registerHooks from a --require preload: a CommonJS handler', async () => {
    const { result } = await invoke('hooks-cjs', { NODE_OPTIONS: `--require ${REGISTER_HOOKS}` });
    expect(result.wrapped).toEqual(['hooks-cjs/index.cjs']);
    const hooks = result.hooks as { hook: string; url: string; parentURL: unknown }[];
    expect(hooks.map((h) => h.url)).toEqual(['hooks-cjs/index.cjs']);
    expectRealRuntimeParent(hooks[0]?.parentURL);
  });

  test('module.register from an --import preload (off-thread hooks, as OpenTelemetry registers its ESM hook)', async () => {
    const { result } = await invoke('hooks', { NODE_OPTIONS: `--import ${REGISTER}` });
    const url = new URL(result.url as string);
    expect(url.pathname).toBe(join(ROOT, 'hooks', 'index.mjs'));
    expectRealRuntimeParent(url.searchParams.get('parentURL'));
  });
});

describe('a .cjs handler is imported, not required, as AWS\'s client 4.x loads it', () => {
  // AWS's client imports every candidate file (module-loader.js: `await import(path)`), CommonJS
  // too: a require hook (require-in-the-middle) sees the handler's own require()s but not the
  // handler, so on nodejs24.x only an ESM hook can wrap a .cjs handler (ADOT's layer registers
  // none for one: test/parity adot/cjs). AWS's client 4.0.2 returns ["dep.cjs"] here.
  test('a Module.prototype.require hook sees its dependency, not the handler file', async () => {
    const { result } = await invoke('require-hook', { NODE_OPTIONS: `--require ${join(ROOT, 'require-hook', 'patch-require.cjs')}` });
    expect(result).toEqual({ dep: true, throughRequire: ['dep.cjs'] });
  });
});

describe('a preload that redirects _HANDLER (as Sentry\'s awslambda-auto does)', () => {
  test('the handler named by _HANDLER after the preloads ran is loaded, as AWS\'s client reads it', async () => {
    const { result } = await invoke('redirect', { NODE_OPTIONS: `--require ${join(ROOT, 'redirect', 'redirect.cjs')}` });
    expect(result).toEqual({ shim: true, original: { original: true } });
  });
});
