// The managed runtime's environment (contract §1, issue 10 items 2 and 6; repros layer-node-path,
// node-options-import, v8-flag-code-cache): the default NODE_PATH with the layer folders, honoured
// by CommonJS resolution; a function's own NODE_PATH kept; NODE_OPTIONS --import and --require
// preloads run in node's order before the handler loads; V8 flags in NODE_OPTIONS apply without
// raw noise on stderr.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_NODE_PATH_OVERRIDE, MANAGED_NODE_PATH, managedNodePath } from '../../src/node-path.ts';
import { ON_MANAGED_NODE, SUITE_NODE_LINE, describeOutcome, errorBody, invokeOnce, stopAll } from './harness.ts';
import { stagedFixture } from './staged-fixture.ts';

let nodePathTask = '';
let layerModules = '';
let preloadTask = '';
beforeAll(() => {
  nodePathTask = stagedFixture('node-path');
  layerModules = join(nodePathTask, '_layer', 'nodejs', 'node_modules');
  preloadTask = stagedFixture('preloads');
});
afterAll(stopAll);

describe.concurrent('NODE_PATH', () => {
  test.skipIf(ON_MANAGED_NODE)('unset: the managed default, and require searches the /opt and /var/runtime folders (repro layer-node-path)', async () => {
    const { emulator, outcome } = await invokeOnce(nodePathTask, 'index.handler');
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    // What the same handler answers under AWS's nodejs24.x NODE_PATH (repro README); the Node 26
    // binary stands in for nodejs26.x, whose first folder is /opt/nodejs/node26/node_modules.
    const line = SUITE_NODE_LINE;
    expect(outcome.body.toString()).toBe(
      `{"NODE_PATH":"/opt/nodejs/node${line}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task",` +
        `"lookupPaths":["/opt/nodejs/node${line}/node_modules","/opt/nodejs/node_modules","/var/runtime/node_modules","/var/runtime"]}`,
    );
    expect(MANAGED_NODE_PATH).toBe('/opt/nodejs/node24/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task');
  });

  // The binary sets the default itself, after node started; on the managed node the managed
  // bootstrap sets it before node starts, where this test seam cannot reach.
  test.skipIf(ON_MANAGED_NODE)('the default, set after node started, really resolves a layer package: from the handler and from a dependency', async () => {
    // The test seam stands in for /opt/nodejs/node_modules, which a test cannot write.
    const { emulator, outcome } = await invokeOnce(nodePathTask, 'layer.handler', '{}', { [DEFAULT_NODE_PATH_OVERRIDE]: layerModules });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ direct: 'layer', viaDependency: 'layer', preload: null, NODE_PATH: layerModules });
  });

  test('AWS_EXECUTION_ENV names nodejs24.x (nodejs26.x from the Node 26 build) when Lambda leaves it unset (provided.*); a value already set is kept', async () => {
    const unset = await invokeOnce(nodePathTask, 'index.executionEnv', '{}');
    expect((unset.outcome.json() as { AWS_EXECUTION_ENV: string }).AWS_EXECUTION_ENV).toBe(`AWS_Lambda_nodejs${SUITE_NODE_LINE}.x`);
    const own = await invokeOnce(nodePathTask, 'index.executionEnv', '{}', { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' });
    // In the wrapper flavour the (stand-in) managed bootstrap script exports its own value first, as on Lambda.
    const kept = ON_MANAGED_NODE ? `AWS_Lambda_nodejs${SUITE_NODE_LINE}.x` : 'AWS_Lambda_nodejs22.x';
    expect((own.outcome.json() as { AWS_EXECUTION_ENV: string }).AWS_EXECUTION_ENV).toBe(kept);
  });

  test.skipIf(ON_MANAGED_NODE)('an empty NODE_PATH counts as unset, as in the managed bootstrap script', async () => {
    const { outcome } = await invokeOnce(nodePathTask, 'index.handler', '{}', { NODE_PATH: '' });
    expect((outcome.json() as { NODE_PATH: string }).NODE_PATH).toBe(managedNodePath(SUITE_NODE_LINE));
  });

  test("the function's own NODE_PATH is kept, and a --require preload from it runs", async () => {
    const { emulator, outcome } = await invokeOnce(nodePathTask, 'layer.handler', '{}', {
      NODE_PATH: layerModules,
      NODE_OPTIONS: '--require layer-only-dep/preload',
    });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
    expect(outcome.json()).toEqual({ direct: 'layer', viaDependency: 'layer', preload: 'ran', NODE_PATH: layerModules });
  });
});

async function apm(nodeOptions: string): Promise<unknown> {
  const { emulator, outcome } = await invokeOnce(preloadTask, 'app.handler', '{}', { NODE_OPTIONS: nodeOptions });
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  const body = outcome.json() as { apm: string[] | null; NODE_OPTIONS: string };
  expect(body.NODE_OPTIONS).toBe(nodeOptions);
  // node's own --import prints nothing of its own; neither may the runtime that stands in for it.
  expect(emulator.output).not.toContain('ExperimentalWarning');
  expect(emulator.output).not.toContain('(node:');
  // The pid differs per run; the rest is what AWS's client 4.0.2 answers (repro README).
  return body.apm?.map((entry) => entry.replace(/pid=\d+/, 'pid=<pid>')) ?? null;
}

describe.concurrent('NODE_OPTIONS preloads', () => {
  test('--import of a package export (repro): its "import" condition ran', async () => {
    expect(await apm('--import fake-apm/auto')).toEqual(['esm-preload pid=<pid>']);
  });

  test('--import of a relative .cjs file (repro)', async () => {
    expect(await apm('--import ./preload-local.cjs')).toEqual(['relative-preload']);
  });

  test('--require of a package export still runs (repro control), once', async () => {
    expect(await apm('-r fake-apm/auto-cjs')).toEqual(['cjs-preload pid=<pid>']);
  });

  test('a file: URL, .mjs and typeless .js targets, --import= form, in order', async () => {
    const url = pathToFileURL(join(preloadTask, 'preload-esm.mjs')).href;
    expect(await apm(`--import ${url} --import=./preload-typeless.js --import ./preload-local.cjs`)).toEqual([
      'mjs-preload',
      'js-preload',
      'relative-preload',
    ]);
  });

  test('--import next to --require: every --require first, then each --import in order, as node does', async () => {
    expect(await apm('--import fake-apm/auto --require fake-apm/auto-cjs --import "./preload-local.cjs"')).toEqual([
      'cjs-preload pid=<pid>',
      'esm-preload pid=<pid>',
      'relative-preload',
    ]);
  });

  // On the managed node, node runs NODE_OPTIONS preloads itself before any runtime code, so a
  // missing one ends the process with node's error, as with AWS's client (Runtime.ExitError).
  test.skipIf(ON_MANAGED_NODE)('an --import that cannot be found fails init with node\'s message, naming the preload', async () => {
    const { emulator, outcome } = await invokeOnce(preloadTask, 'app.handler', '{}', { NODE_OPTIONS: '--import ./missing-preload.mjs' });
    expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    expect(errorBody(outcome).errorMessage).toContain('missing-preload.mjs');
  });
});

describe.concurrent('V8 flags in NODE_OPTIONS (repro v8-flag-code-cache)', () => {
  for (const flag of ['--expose-gc', '--stack-trace-limit=30', '--jitless']) {
    test(`${flag}: the answer, and no raw warning from the runtime's start`, async () => {
      const { emulator, outcome } = await invokeOnce('v8-flags', 'app.handler', '{}', { NODE_OPTIONS: flag });
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.json()).toEqual({ ok: true });
      expect(emulator.output).not.toContain('Code cache');
      expect(emulator.output).not.toContain('(node:');
      expect(emulator.stderr.trim()).toBe('');
    });
  }

  test('the flags take effect', async () => {
    const { outcome } = await invokeOnce('v8-flags', 'flags.handler', '{}', { NODE_OPTIONS: '--expose-gc --stack-trace-limit=30' });
    expect(outcome.json()).toEqual({ gc: 'function', stackTraceLimit: 30 });
  });
});
