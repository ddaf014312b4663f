// Every module Node 24 can load, loads (contract §2, issue 10 item 3; repro esm-tla-typeless):
// a handler file whose module type its extension does not fix (typeless .js, .ts, an
// extensionless file, a package's typeless main) may be an ES module with top-level await,
// which Node 24's syntax detection runs. It is loaded with import(), as AWS's client v4 does.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeOutcome, invokeOnce, stopAll } from './harness.ts';
import { stagedFixture } from './staged-fixture.ts';

// Outside this repository, whose package.json says "type": "module", as a function in /var/task.
let root = '';
beforeAll(() => {
  root = stagedFixture('esm-detection');
});
afterAll(stopAll);

async function expectAnswer(fixture: string, handler: string, expected: unknown): Promise<void> {
  const { emulator, outcome } = await invokeOnce(join(root, fixture.replace(/^esm-detection\/?/, '')), handler);
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  expect(outcome.json()).toEqual(expected);
}

describe.concurrent('ES module syntax with top-level await where the extension does not say', () => {
  test('typeless .js (repro js/): the value AWS\'s client 4.0.2 answers', () =>
    expectAnswer('esm-detection/js', 'index.handler', { msg: 'esm + top-level await in a typeless .js', config: { region: 'eu-west-1' } }));

  test('.ts without package.json (repro ts/): what Node 24 itself gives', () =>
    expectAnswer('esm-detection/ts', 'index.handler', 'ts + top-level await, region eu-west-1'));

  test('an extensionless file', () => expectAnswer('esm-detection/extensionless', 'index.handler', { kind: 'extensionless' }));

  test("a package's typeless main, found by Node's resolution", () =>
    expectAnswer('esm-detection/package-main', 'esm-tla-pkg.handler', { kind: 'package main' }));

  test('a typeless CommonJS .js still loads as CommonJS', () =>
    expectAnswer('esm-detection/js', 'cjs.handler', { kind: 'commonjs', dir: 'js' }));

  test('a CommonJS-shaped .ts still loads', () => expectAnswer('esm-detection/ts', 'plain.handler', 'ts commonjs, region us-west-2'));
});
