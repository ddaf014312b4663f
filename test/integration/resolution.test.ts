// Contract §2: handler string → module file → exported function. One fixture folder per case under
// test/fixtures/resolution/; each handler answers with the file that served it.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { InvocationOutcome } from '../../emulator/index.ts';
import { describeOutcome, errorBody, fixturePath, invokeOnce, nodeImportError, stopAll } from './harness.ts';

// node_modules folders are gitignored, so the fixtures keep theirs as _node_modules/ and the suite
// puts them in place.
const WITH_NODE_MODULES = ['js-node-modules-boundary', 'node-modules-fallback', 'precedence-file-over-package'];

beforeAll(() => {
  for (const name of WITH_NODE_MODULES) {
    const dir = fixturePath(`resolution/${name}`);
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    cpSync(join(dir, '_node_modules'), join(dir, 'node_modules'), { recursive: true });
  }
});
afterAll(stopAll);

async function run(fixture: string, handler: string, payload = '{}'): Promise<{ outcome: InvocationOutcome; why: string }> {
  const { emulator, outcome } = await invokeOnce(`resolution/${fixture}`, handler, payload);
  return { outcome, why: describeOutcome(outcome, emulator) };
}

async function expectResponse(fixture: string, handler: string, expected: unknown, payload = '{}'): Promise<void> {
  const { outcome, why } = await run(fixture, handler, payload);
  expect(outcome.kind, why).toBe('response');
  expect(outcome.json()).toEqual(expected);
}

async function expectInitError(fixture: string, handler: string, errorType: string, errorMessage: string): Promise<void> {
  const { outcome, why } = await run(fixture, handler);
  expect(outcome.kind, why).toBe('init-error');
  expect(outcome.errorType).toBe(errorType);
  expect(errorBody(outcome)).toMatchObject({ errorType, errorMessage });
}

describe.concurrent('module kinds', () => {
  test('an extensionless file is loaded as CommonJS', async () => {
    await expectResponse('extensionless', 'index.handler', { loadedFrom: 'index', moduleSystem: 'commonjs' });
  });

  test('a .js file without "type": "module" above it is CommonJS', async () => {
    await expectResponse('js-commonjs', 'index.handler', { loadedFrom: 'index.js', moduleSystem: 'commonjs' });
  });

  test('a .js file is ESM when the nearest package.json, walking up, has "type": "module"', async () => {
    await expectResponse('js-esm-walk-up', 'src/deep/app.handler', { loadedFrom: 'src/deep/app.js', moduleSystem: 'esm' });
  });

  test('the package.json walk stops at a node_modules folder', async () => {
    await expectResponse('js-node-modules-boundary', 'node_modules/vendored/index.handler', {
      loadedFrom: 'node_modules/vendored/index.js',
      moduleSystem: 'commonjs',
    });
  });

  test('a .mjs file is ESM', async () => {
    await expectResponse('mjs', 'index.handler', { loadedFrom: 'index.mjs', moduleSystem: 'esm' });
  });

  test('a .cjs file is CommonJS', async () => {
    await expectResponse('cjs', 'index.handler', { loadedFrom: 'index.cjs', moduleSystem: 'commonjs' });
  });

  test('a .ts file with type annotations runs through type stripping', async () => {
    await expectResponse('ts', 'index.handler', { loadedFrom: 'index.ts', greeting: 'hello ada' }, '{"name":"ada"}');
  });

  test('a .mts file runs through type stripping', async () => {
    await expectResponse('mts', 'index.handler', { loadedFrom: 'index.mts', squared: 49 }, '{"n":7}');
  });

  test('a .cts file runs through type stripping', async () => {
    await expectResponse('cts', 'index.handler', { loadedFrom: 'index.cts', joined: 'a-b-c' }, '{"words":["a","b","c"]}');
  });
});

describe.concurrent('precedence', () => {
  test('the extensionless file wins over index.js and index.mjs', async () => {
    await expectResponse('precedence-extensionless', 'index.handler', { loadedFrom: 'index' });
  });

  test('.js wins over .mjs, .cjs and .ts', async () => {
    await expectResponse('precedence-js', 'index.handler', { loadedFrom: 'index.js' });
  });

  test('.mjs wins over .cjs and .ts', async () => {
    await expectResponse('precedence-mjs', 'index.handler', { loadedFrom: 'index.mjs' });
  });

  test('.cjs wins over .ts and .mts', async () => {
    await expectResponse('precedence-cjs', 'index.handler', { loadedFrom: 'index.cjs' });
  });

  test('.ts wins over .mts and .cts', async () => {
    await expectResponse('precedence-ts', 'index.handler', { loadedFrom: 'index.ts' });
  });

  test('.mts wins over .cts', async () => {
    await expectResponse('precedence-mts', 'index.handler', { loadedFrom: 'index.mts' });
  });

  test('a file in the task root wins over a package of the same name', async () => {
    await expectResponse('precedence-file-over-package', 'pkg.handler', { loadedFrom: 'pkg.js' });
  });

  test('with no file of that name, a package under node_modules is used', async () => {
    await expectResponse('node-modules-fallback', 'pkg.handler', { loadedFrom: 'node_modules/pkg/lib/main.js' });
  });
});

describe.concurrent('handler string', () => {
  test('a module root directory in the handler string', async () => {
    await expectResponse('module-root', 'sub/dir/file.handler', { loadedFrom: 'sub/dir/file.js' });
  });

  test('an absolute module root overrides the task root', async () => {
    const elsewhere = fixturePath('resolution/absolute-root/elsewhere');
    await expectResponse('absolute-root/task', `${elsewhere}/file.handler`, {
      loadedFrom: 'elsewhere/file.mjs',
      cwd: fixturePath('resolution/absolute-root/task'),
    });
  });

  test('a nested property path index.a.b.handler', async () => {
    await expectResponse('nested-path', 'index.a.b.handler', { loadedFrom: 'index.mjs', path: 'a.b.handler' });
  });

  test('CommonJS exports reachable only through default are found', async () => {
    await expectResponse('default-cjs', 'index.handler', { loadedFrom: 'index.cjs', via: 'default' });
  });

  test('ESM `export default { handler }` is found', async () => {
    await expectResponse('default-esm', 'index.handler', { loadedFrom: 'index.mjs', via: 'export default' });
  });

  test('".." anywhere is Runtime.MalformedHandlerName with the exact message', async () => {
    await expectInitError(
      'dot-dot',
      '../dot-dot/index.handler',
      'Runtime.MalformedHandlerName',
      "'../dot-dot/index.handler' is not a valid handler name. Use absolute paths when specifying root directories in handler names.",
    );
  });

  test('a handler without a dot is Runtime.MalformedHandlerName "Bad handler"', async () => {
    await expectInitError('no-dot', 'index', 'Runtime.MalformedHandlerName', 'Bad handler');
  });
});

describe.concurrent('failures', () => {
  test('a .json file is never a handler module', async () => {
    const { outcome, why } = await run('json-not-handler', 'index.handler');
    expect(outcome.kind, why).toBe('init-error');
    expect(outcome.errorType).toBe('Runtime.ImportModuleError');
    expect(errorBody(outcome).errorMessage).toMatch(/Cannot find (module|package) 'index'/);
  });

  test('a .node file is never a handler module', async () => {
    const { outcome, why } = await run('node-not-handler', 'index.handler');
    expect(outcome.kind, why).toBe('init-error');
    expect(outcome.errorType).toBe('Runtime.ImportModuleError');
    expect(errorBody(outcome).errorMessage).toMatch(/Cannot find (module|package) 'index'/);
  });

  test('a missing export is Runtime.HandlerNotFound "<handler> is undefined or not exported"', async () => {
    await expectInitError('exports', 'index.nope', 'Runtime.HandlerNotFound', 'index.nope is undefined or not exported');
  });

  test('an export that is not a function is Runtime.HandlerNotFound "<handler> is not a function"', async () => {
    await expectInitError('exports', 'index.notfn', 'Runtime.HandlerNotFound', 'index.notfn is not a function');
  });

  test('a module that does not exist is Runtime.ImportModuleError', async () => {
    const { outcome, why } = await run('missing-module', 'missing.handler');
    expect(outcome.kind, why).toBe('init-error');
    expect(outcome.errorType).toBe('Runtime.ImportModuleError');
    const { errorMessage } = errorBody(outcome);
    expect(errorMessage).toMatch(/^Error( \[ERR_MODULE_NOT_FOUND\])?: Cannot find (module|package) 'missing'/);
  });

  test('a missing dependency of the handler module is Runtime.ImportModuleError with String(err)', async () => {
    const expected = await nodeImportError(fixturePath('resolution/missing-dependency/index.mjs'));
    expect(expected).toMatch(/^Error \[ERR_MODULE_NOT_FOUND\]: Cannot find package 'not-installed-anywhere'/);
    await expectInitError('missing-dependency', 'index.handler', 'Runtime.ImportModuleError', expected);
  });

  test('a syntax error is Runtime.UserCodeSyntaxError with String(err)', async () => {
    const expected = await nodeImportError(fixturePath('resolution/syntax-error/index.mjs'));
    expect(expected).toMatch(/^SyntaxError: /);
    await expectInitError('syntax-error', 'index.handler', 'Runtime.UserCodeSyntaxError', expected);
  });

  test('a throw at module top level is reported with its own name and message', async () => {
    const { outcome, why } = await run('toplevel-throw', 'index.handler');
    expect(outcome.kind, why).toBe('init-error');
    expect(outcome.errorType).toBe('ConfigurationError');
    const body = errorBody(outcome);
    expect(body).toMatchObject({ errorType: 'ConfigurationError', errorMessage: 'TABLE_NAME is not set' });
    expect(body.trace[0]).toBe('ConfigurationError: TABLE_NAME is not set');
  });

  test('a rejected top-level await is reported with its own name and message', async () => {
    await expectInitError('toplevel-await-rejects', 'index.handler', 'RangeError', 'secret fetch failed at init');
  });

  test('a top-level await finishes before the first /next', async () => {
    const { emulator, outcome } = await invokeOnce('resolution/toplevel-await', 'index.handler');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    const { initFinishedAt } = outcome.json() as { initFinishedAt: number };
    const firstNext = emulator.requests.find((r) => r.method === 'GET' && r.path.endsWith('/runtime/invocation/next'));
    expect(firstNext).toBeDefined();
    // Both clocks are this machine's wall clock; 2 ms covers ms rounding on each side.
    expect(initFinishedAt).toBeLessThanOrEqual(performance.timeOrigin + (firstNext?.atMs ?? 0) + 2);
  });
});
