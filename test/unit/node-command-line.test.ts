// Parsing node's command line (execPath children) and NODE_OPTIONS (--import preloads), and the
// decision between runtime and node. The end-to-end behaviour is in test/integration/exec-path.test.ts.
import { describe, expect, test } from 'vitest';
import { RUNTIME_PID_VARIABLE, parseNodeCommandLine, startMode } from '../../src/node-command-line.ts';
import { importPreloads, splitNodeOptions } from '../../src/preloads.ts';

describe('parseNodeCommandLine', () => {
  test('options, then a script and its arguments (which may look like options)', () => {
    expect(parseNodeCommandLine(['--max-old-space-size-percentage=90', '-r', 'a', '--import=b', 'child.js', '--x', 'y'])).toEqual({
      requires: ['a'],
      imports: ['b'],
      entry: { kind: 'script', path: 'child.js', args: ['--x', 'y'] },
    });
  });
  test('-e / -p / --print= and the arguments after the code', () => {
    expect(parseNodeCommandLine(['-e', 'code', 'a'])).toMatchObject({ entry: { kind: 'eval', code: 'code', print: false, args: ['a'] } });
    expect(parseNodeCommandLine(['-p', '1+1'])).toMatchObject({ entry: { kind: 'eval', code: '1+1', print: true } });
    expect(parseNodeCommandLine(['--print=2'])).toMatchObject({ entry: { kind: 'eval', code: '2', print: true } });
  });
  test('an option that takes a value consumes it', () => {
    expect(parseNodeCommandLine(['--max-http-header-size', '81920', 's.js'])).toMatchObject({ entry: { kind: 'script', path: 's.js' } });
  });
  test('--, -, nothing, --version; a missing value is an error', () => {
    expect(parseNodeCommandLine(['--', '-weird.js'])).toMatchObject({ entry: { kind: 'script', path: '-weird.js' } });
    expect(parseNodeCommandLine(['-'])).toMatchObject({ entry: { kind: 'stdin' } });
    expect(parseNodeCommandLine([])).toMatchObject({ entry: { kind: 'stdin' } });
    expect(parseNodeCommandLine(['--version'])).toMatchObject({ entry: { kind: 'version' } });
    expect(parseNodeCommandLine(['-e'])).toBeInstanceOf(Error);
  });
});

describe('startMode', () => {
  const exec = '/var/task/bootstrap';
  test('Lambda: no arguments, no mark: the runtime', () => {
    expect(startMode([], { AWS_LAMBDA_RUNTIME_API: 'h:1' }, 10, exec)).toEqual({ kind: 'runtime' });
  });
  test('arguments with a Runtime API and no mark (an image CMD): still the runtime', () => {
    expect(startMode(['index.handler'], { AWS_LAMBDA_RUNTIME_API: 'h:1' }, 10, exec)).toEqual({ kind: 'runtime' });
  });
  test("a runtime's child: node, even without arguments and with the Runtime API inherited", () => {
    const env = { AWS_LAMBDA_RUNTIME_API: 'h:1', [RUNTIME_PID_VARIABLE]: '10' };
    expect(startMode([], env, 11, exec)).toMatchObject({ kind: 'node', command: { entry: { kind: 'stdin' } } });
    expect(startMode(['c.js'], env, 11, exec)).toMatchObject({ kind: 'node', command: { entry: { kind: 'script', path: 'c.js' } } });
  });
  test('the mark naming this very process (set by itself) is no parent', () => {
    expect(startMode([], { AWS_LAMBDA_RUNTIME_API: 'h:1', [RUNTIME_PID_VARIABLE]: '10' }, 10, exec)).toEqual({ kind: 'runtime' });
  });
  test('arguments and no Runtime API (a fresh environment): node', () => {
    expect(startMode(['-p', '1'], {}, 10, exec)).toMatchObject({ kind: 'node' });
  });
  test('a child asked to run the binary itself (cluster): refused', () => {
    const mode = startMode(['--flag', process.execPath], { [RUNTIME_PID_VARIABLE]: '10' }, 11, process.execPath);
    expect(mode).toMatchObject({ kind: 'refuse' });
  });
});

describe('NODE_OPTIONS', () => {
  test('split as node splits it: spaces, double quotes, backslash escapes inside quotes', () => {
    expect(splitNodeOptions('  --a  "b c" "d\\"e" x"y z"')).toEqual(['--a', 'b c', 'd"e', 'xy z']);
    expect(splitNodeOptions('"open')).toBeInstanceOf(Error);
  });
  test('the --import specifiers in order, both forms, nothing else', () => {
    expect(importPreloads('--require a --import b --expose-gc --import=c "--import" "./d e.mjs"')).toEqual(['b', 'c', './d e.mjs']);
    expect(importPreloads(undefined)).toEqual([]);
  });
});
