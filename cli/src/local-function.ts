// What `invoke`, `serve`, `watch` and `bench` share: the function's settings from the command line,
// turned into the emulator's options with the built binary as the runtime, or (--flavour wrapper)
// the managed runtime with the wrapper layer (cli/src/managed-runtime.ts).
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { TARGETS, commandFor } from '../../build/arch.ts';
import type { Architecture } from '../../build/arch.ts';
import type { EmulatorOptions } from '../../emulator/index.ts';
import { ToolError, binaryPath } from './build-binary.ts';
import { nodeOptionsWithInspector } from './debugging.ts';
import type { InspectRequest } from './debugging.ts';
import { envFromFiles } from './env-files.ts';
import { initHintReporter } from './init-hint.ts';
import { layerExtensions, optEnvironment } from './layers.ts';
import type { LocalOpt } from './layers.ts';
import { managedRuntimeName, withManagedRuntime } from './managed-runtime.ts';
import type { ManagedRuntime } from './managed-runtime.ts';
import type { NodeLine } from '../../build/node-lines.ts';
import { memorySandbox } from './memory-cgroup.ts';

export interface FunctionFlags {
  handler: string;
  bootstrap?: string;
  arch: Architecture;
  outDir: string;
  functionName?: string;
  memory: number;
  timeout: number;
  env: string[];
  /** --env-file dotenv files, in order (cli/src/env-files.ts); --env wins over them. */
  envFiles?: string[];
  /** --layer: the layers merged into a local /opt (cli/src/layers.ts). */
  opt?: LocalOpt;
  /** --extension: external extensions' executables, started besides those in the layers' extensions/. */
  extensions?: string[];
  /** --inspect / --inspect-brk (cli/src/debugging.ts). */
  inspect?: InspectRequest;
  maxConcurrency?: number;
  /** --node: the binary of that line in --out-dir (binary flavour), or the managed runtime's line. */
  node?: NodeLine;
  /** --flavour wrapper: the managed runtime run instead of a binary; `opt` then holds the wrapper layer. */
  managed?: ManagedRuntime;
}

export interface RuntimeSetup {
  /** Gets one line on how --memory is applied (cli/src/memory-cgroup.ts). */
  log?: (line: string) => void;
  /** Run the runtime in a memory cgroup where allowed (default true). `bench` says false: it times
   * the binary's own start, without the shell that joins the group (~1.5 ms). */
  memoryCgroup?: boolean;
  /** Gets the explanation of an init error (cli/src/init-hint.ts); default `log`. */
  initHint?: (line: string) => void;
  /** Gets the reporter's forget(), for `watch` to call at each save (a saved file that fails the
   * same way is explained again). */
  initHintForget?: (forget: () => void) => void;
}

/**
 * The function's own variables, lowest precedence first: the shell's AWS credentials, the merged
 * layers' /opt paths, the --env-file files in order, --env flags; NODE_OPTIONS gains --inspect when
 * asked. Read again by `watch` before each new runtime, so a saved --env-file takes effect.
 * Errors: ToolError for an unreadable --env-file (cli/src/env-files.ts).
 */
export function functionEnvironment(flags: FunctionFlags): Record<string, string> {
  const opt = flags.opt === undefined ? {} : optEnvironment(flags.opt.dir, process.env.PATH, undefined);
  let env: Record<string, string> = { ...forwardedCredentials(process.env), ...opt, ...envFromFiles(flags.envFiles ?? []), ...envOf(flags.env) };
  if (flags.managed !== undefined && flags.opt !== undefined) env = withManagedRuntime(env, flags.managed, flags.opt.dir);
  if (flags.inspect !== undefined) env.NODE_OPTIONS = nodeOptionsWithInspector(env.NODE_OPTIONS, flags.inspect);
  return env;
}

/** The emulator's options for the function in `functionDir`. Errors: ToolError saying what to do. */
export function emulatorOptions(functionDir: string, flags: FunctionFlags, echoOutput: EmulatorOptions['echoOutput'], setup: RuntimeSetup = {}): EmulatorOptions {
  const { log, memoryCgroup = true } = setup;
  const taskRoot = resolve(functionDir);
  if (!existsSync(taskRoot) || !statSync(taskRoot).isDirectory()) {
    throw new ToolError(`${taskRoot} is not a folder: pass the folder that holds your handler's code (default: the current folder)`);
  }
  const runtime = runtimeCommand(flags);
  const env = functionEnvironment(flags);
  const options: EmulatorOptions = {
    command: runtime.command,
    args: runtime.args,
    handler: flags.handler,
    taskRoot,
    env,
    functionName: flags.functionName ?? functionNameOf(taskRoot),
    memorySizeMb: flags.memory,
    timeoutMs: flags.timeout * 1000,
    echoOutput,
    // Lambda's memory limit, as the emulator CLI applies it: a runtime whose resident memory passes
    // --memory is killed and the invocation fails with Runtime.OutOfMemory.
    enforceMemory: true,
  };
  const hint = setup.initHint ?? log;
  if (hint !== undefined) {
    const reporter = initHintReporter(taskRoot, flags.handler, hint);
    options.onInitError = reporter;
    setup.initHintForget?.(reporter.forget);
  }
  if (flags.maxConcurrency !== undefined) options.maxConcurrency = flags.maxConcurrency;
  if (flags.inspect !== undefined) options.debugging = { waitsForDebugger: flags.inspect.flag === '--inspect-brk' };
  const extensions = [...(flags.opt === undefined ? [] : layerExtensions(flags.opt.dir)), ...(flags.extensions ?? []).map((file) => executableFile(file))];
  if (extensions.length > 0) options.externalExtensions = extensions.map((path) => ({ path }));
  // As in a Lambda sandbox, where the machine allows it: the runtime in a memory cgroup of --memory,
  // so the binary sizes V8's heap from it and the kernel's kill at the limit is Runtime.OutOfMemory.
  // (Not around qemu: an emulated arm64 runtime's memory is qemu's.)
  const sandbox =
    runtime.qemu
      ? { kind: 'unavailable' as const, reason: 'the runtime runs under qemu' }
      : memoryCgroup
        ? memorySandbox(flags.memory)
        : { kind: 'unavailable' as const, reason: 'no memory cgroup was asked for' };
  if (sandbox.kind === 'cgroup') {
    Object.assign(options, sandbox.group.wrap(runtime.command, runtime.args));
    options.killedAtMemoryLimit = () => sandbox.group.killedAtLimit();
    const heap = flags.managed === undefined ? "V8's heap is sized from it" : "the managed bootstrap sizes V8's heap from --memory";
    log?.(`lambda-bootstrap: the runtime runs in a ${flags.memory} MB memory cgroup (${sandbox.group.dir}), as in a Lambda sandbox: ${heap}`);
  } else {
    log?.(`lambda-bootstrap: --memory ${flags.memory} is enforced on the runtime's resident memory; ${sandbox.reason}, so V8's heap is sized from this machine's memory`);
  }
  return options;
}

/**
 * What the emulator starts: the managed runtime's bootstrap (--flavour wrapper), else the binary
 * (--bootstrap, a layer's bootstrap as /opt/bootstrap is on Lambda, or `build`'s of --arch and
 * --node), under qemu for a foreign architecture. Errors: ToolError saying what to run first.
 */
function runtimeCommand(flags: FunctionFlags): { command: string; args: string[]; qemu: boolean } {
  if (flags.managed !== undefined) {
    const { bootstrap, runtimeDir } = flags.managed;
    if (!existsSync(bootstrap) || !existsSync(runtimeDir)) {
      throw new ToolError(`--flavour wrapper: the package's stand-in for the ${managedRuntimeName(flags.managed.line)} runtime (${bootstrap}) is missing: reinstall lambda-bootstrap (in the repository: \`make cli\`, then run cli/dist/lambda-bootstrap.js)`);
    }
    return { command: bootstrap, args: [], qemu: false };
  }
  // A layer's bootstrap is the function's runtime, as /opt/bootstrap is on Lambda; --bootstrap wins.
  const binary = resolve(flags.bootstrap ?? flags.opt?.bootstrap ?? binaryPath(flags.outDir, flags.arch, flags.node));
  if (!existsSync(binary)) {
    const build = ['lambda-bootstrap build', ...(flags.arch === 'x86_64' ? [] : [`--arch ${flags.arch}`]), ...(flags.node === undefined || flags.node === '24' ? [] : [`--node ${flags.node}`])].join(' ');
    throw new ToolError(flags.bootstrap === undefined ? `no ${flags.arch} bootstrap binary at ${binary}: run \`${build}\` first, or pass --bootstrap <file>` : `--bootstrap ${binary} does not exist`);
  }
  const runtime = commandFor(TARGETS[flags.arch], binary);
  if (runtime instanceof Error) throw new ToolError(runtime.message);
  return { ...runtime, qemu: runtime.command !== binary };
}

/** --extension's file, absolute. Errors: ToolError when it is missing or not executable. */
function executableFile(file: string): string {
  const path = resolve(file);
  let mode: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ToolError(`--extension ${file} is not a file`);
    mode = stat.mode;
  } catch (error) {
    if (error instanceof ToolError) throw error;
    throw new ToolError(`--extension ${file}: no such file`);
  }
  if ((mode & 0o111) === 0) throw new ToolError(`--extension ${file} is not executable: chmod +x it (Lambda starts extensions as executables)`);
  return path;
}

/** A Lambda-valid function name from the folder's name: letters, digits, - and _. */
export function functionNameOf(dir: string): string {
  const name = basename(dir).replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return name === '' || /^-+$/.test(name) ? 'function' : name;
}

/**
 * On Lambda the function finds its execution role's credentials in these variables; locally the
 * developer's own stand in, taken from the tool's environment when set there (as `sam local
 * invoke` does). The function's environment is otherwise Lambda's, not the shell's; `--env` wins.
 */
export const CREDENTIAL_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

export function forwardedCredentials(from: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of CREDENTIAL_VARIABLES) {
    const value = from[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  return env;
}

/**
 * `--env NAME=VALUE` flags as an environment. Errors: ToolError for a pair without a name, which
 * names the flag by its place but never prints its text: a pair with no `=` is as likely a secret
 * value whose name was forgotten (`--env "$TOKEN"`) as a name.
 */
export function envOf(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [index, pair] of pairs.entries()) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      const which = pairs.length === 1 ? 'the --env value' : `--env number ${index + 1} of ${pairs.length}`;
      throw new ToolError(`--env expects NAME=VALUE: ${which} ${eq === 0 ? 'has no name before its =' : 'has no ='} (its text is not printed: it may be a secret); write --env NAME=VALUE`);
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}
