// process.execPath children (issue 10 item 5; repro fork-execpath): in the single executable
// process.execPath is bootstrap, and a function that starts it again (fork, execFile with a
// script or -e/-p, stdin, cluster) gets node, never a second runtime that would take the pending
// invocation (Runtime.NoResult) and outlive the sandbox. docs/differences.md#node-command-line.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ON_MANAGED_NODE, SUITE_NODE_VERSION, describeOutcome, invokeOnce, stopAll } from './harness.ts';
import { stagedFixture } from './staged-fixture.ts';

let task = '';
beforeAll(() => {
  task = stagedFixture('exec-path');
});
afterAll(stopAll);

async function answer(handler: string): Promise<unknown> {
  const { emulator, outcome } = await invokeOnce(task, handler);
  // A second runtime would have taken this invocation: the answer is the proof it did not.
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  expect(emulator.requests.filter((r) => r.path.endsWith('/invocation/next')).length).toBeLessThanOrEqual(2);
  return outcome.json();
}

describe.concurrent('the binary as node', () => {
  test('fork(child.js) with its IPC channel (repro forkChild)', async () => {
    expect(await answer('index.forkChild')).toEqual({ child: { echo: 'ping', argv1: 'child.js' } });
  });

  test('execFileSync(process.execPath, ["-e", ...]) (repro execNode)', async () => {
    // The embedded node's version, as the repro expects from node 24.21.0.
    expect(await answer('index.execNode')).toEqual({ out: JSON.stringify({ v: `v${SUITE_NODE_VERSION}` }) });
  });

  test('-p prints the value, with require and __filename of [eval]', async () => {
    expect(await answer('more.print')).toEqual({ out: '[eval]:42' });
  });

  test('-e with arguments: process.argv as node gives it', async () => {
    expect(await answer('more.evalArgs')).toEqual({ out: '["x","y"]' });
  });

  test('--version', async () => {
    expect(await answer('more.version')).toEqual({ out: `v${SUITE_NODE_VERSION}` });
  });

  test('a script with arguments: argv, require.main', async () => {
    expect(await answer('more.script')).toEqual({ out: JSON.stringify({ args: ['a', 'b'], main: true, argv1: 'script.js', preloaded: null }) });
  });

  test('node options before the script are accepted; -r preloads from the working directory', async () => {
    expect(await answer('more.scriptWithFlags')).toEqual({ out: JSON.stringify({ args: ['c'], main: true, argv1: 'script.js', preloaded: 'yes' }) });
  });

  test('an ES module script with top-level await', async () => {
    expect(await answer('more.esmScript')).toEqual({ out: JSON.stringify({ esm: true, n: 7, url: true }) });
  });

  test('no arguments, the program on stdin', async () => {
    expect(await answer('more.stdin')).toEqual({ out: 'from stdin 42' });
  });

  test('fork of an ES module child, its IPC channel both ways', async () => {
    expect(await answer('more.forkEsm')).toEqual({ child: { doubled: 40, esm: true } });
  });

  test('no arguments and nothing on stdin: an empty program, exit 0, no second runtime', async () => {
    expect(await answer('more.bare')).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  // On the managed node (wrapper flavour) a cluster worker re-runs node with the bundle, as it
  // would re-run AWS's client: only the single executable is re-run as itself.
  test.skipIf(ON_MANAGED_NODE)('cluster.fork() re-running the runtime binary: that child refuses to poll and says why', async () => {
    const result = (await answer('more.clusterWorker')) as { code: number; stderr: string };
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('a second runtime must not poll the Runtime API');
  });

  test("the runtime marks its own environment, which every child inherits", async () => {
    expect(await answer('more.marker')).toEqual({ marked: true });
  });
});
