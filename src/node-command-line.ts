// In a single executable `process.execPath` is `bootstrap`, so a function that starts Node again
// (child_process.fork, spawn/execFile(process.execPath, ...), cluster workers, libraries that do
// so) starts this binary. Such a start must behave as `node` and never as a second runtime, which
// would take the parent's pending invocation from the Runtime API and outlive the sandbox.
//
// What marks a runtime's child: the runtime puts RUNTIME_PID_VARIABLE (its own pid) into its
// environment before any user code runs, so every child inherits it; Lambda starts the runtime
// with an environment of its own, where it is absent. Hand-written (no argument parser): this is
// node's own command line, parsed the way node parses it, and only the part documented in
// docs/differences.md (#node-command-line).

import { readFileSync, realpathSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

export const RUNTIME_PID_VARIABLE = '_LAMBDA_BOOTSTRAP_RUNTIME_PID';

/** How this start of the binary is to run. */
export type StartMode =
  | { kind: 'runtime' }
  | { kind: 'node'; command: NodeCommand }
  | { kind: 'refuse'; message: string };

export interface NodeCommand {
  /** `-r/--require` on the command line, in order. */
  requires: string[];
  /** `--import` on the command line, in order. */
  imports: string[];
  /** A script file, code from -e/-p, stdin, or `--version`. */
  entry:
    | { kind: 'script'; path: string; args: string[] }
    | { kind: 'eval'; code: string; print: boolean; args: string[] }
    | { kind: 'stdin'; args: string[] }
    | { kind: 'version' };
}

// Node options that take their value as the next argument (the others use `--flag=value`).
const OPTIONS_WITH_VALUE = new Set([
  '-C', '--conditions', '--title', '--env-file', '--input-type', '--loader', '--experimental-loader',
  '--inspect-port', '--debug-port', '--max-http-header-size', '--stack-trace-limit', '--disable-warning',
  '--unhandled-rejections', '--dns-result-order', '--heapsnapshot-signal', '--diagnostic-dir', '--redirect-warnings',
]);

/** Parses node's command line (argv after the executable): options, then a script or -e/-p code. */
export function parseNodeCommandLine(args: readonly string[]): NodeCommand | Error {
  const requires: string[] = [];
  const imports: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = (): string | Error =>
      i + 1 < args.length ? (args[++i] as string) : new Error(`${arg} requires an argument`);
    if (arg === '--') {
      const path = args[i + 1];
      return path === undefined
        ? { requires, imports, entry: { kind: 'stdin', args: [] } }
        : { requires, imports, entry: { kind: 'script', path, args: args.slice(i + 2) } };
    }
    if (arg === '-v' || arg === '--version') return { requires, imports, entry: { kind: 'version' } };
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print' || arg === '-pe') {
      const code = next();
      if (code instanceof Error) return code;
      const print = arg === '-p' || arg === '--print' || arg === '-pe';
      return { requires, imports, entry: { kind: 'eval', code, print, args: args.slice(i + 1) } };
    }
    if (arg.startsWith('--eval=') || arg.startsWith('--print=')) {
      const print = arg.startsWith('--print=');
      const code = arg.slice(arg.indexOf('=') + 1);
      return { requires, imports, entry: { kind: 'eval', code, print, args: args.slice(i + 1) } };
    }
    if (arg === '-r' || arg === '--require' || arg === '--import') {
      const value = next();
      if (value instanceof Error) return value;
      (arg === '--import' ? imports : requires).push(value);
      continue;
    }
    if (arg.startsWith('--require=')) {
      requires.push(arg.slice('--require='.length));
      continue;
    }
    if (arg.startsWith('--import=')) {
      imports.push(arg.slice('--import='.length));
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      // Any other node or V8 option: accepted and not applied (the flags this binary was built
      // with, and NODE_OPTIONS, apply as they do to the runtime).
      if (OPTIONS_WITH_VALUE.has(arg) && next() instanceof Error) return new Error(`${arg} requires an argument`);
      continue;
    }
    if (arg === '-') return { requires, imports, entry: { kind: 'stdin', args: args.slice(i + 1) } };
    return { requires, imports, entry: { kind: 'script', path: arg, args: args.slice(i + 1) } };
  }
  return { requires, imports, entry: { kind: 'stdin', args: [] } };
}

/**
 * Decides what this start is. `args` is argv after the executable (for a single executable,
 * `process.argv.slice(2)`). Lambda starts the runtime with no arguments and without
 * RUNTIME_PID_VARIABLE; a runtime's child has the variable, and is `node` whatever its arguments.
 * A start with arguments and no Runtime API to poll is `node` too (an explicit environment
 * dropped the variable). A child asked to run this very binary as its script (cluster.fork()
 * re-running the main module) is refused: that would be a second runtime.
 */
export function startMode(args: readonly string[], env: NodeJS.ProcessEnv, pid: number, execPath: string): StartMode {
  const parentRuntime = env[RUNTIME_PID_VARIABLE];
  const isChild = parentRuntime !== undefined && parentRuntime !== String(pid);
  if (!isChild && (args.length === 0 || env.AWS_LAMBDA_RUNTIME_API)) return { kind: 'runtime' };
  const command = parseNodeCommandLine(args);
  if (command instanceof Error) return { kind: 'refuse', message: `bootstrap (as node): ${command.message}` };
  if (command.entry.kind === 'script' && sameFile(resolve(command.entry.path), execPath)) {
    return {
      kind: 'refuse',
      message:
        `lambda-bootstrap: this process was started by the runtime (pid ${parentRuntime ?? 'unknown'}) to run the ` +
        'runtime binary itself (e.g. cluster.fork() re-running the main module); a second runtime must not poll ' +
        "the Runtime API, so it exits. Run a script file instead: fork('worker.js') or cluster.setupPrimary({ exec: 'worker.js' }).",
    };
  }
  return { kind: 'node', command };
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Runs a node command line the way node does (preloads, then the entry); the process then lives as node's would. */
export async function runAsNode(command: NodeCommand, cwd: string, importPreloads: (specifiers: readonly string[]) => Promise<void>): Promise<void> {
  const { entry } = command;
  if (entry.kind === 'version') {
    process.stdout.write(`${process.version}\n`);
    return;
  }
  const requireFromCwd = createRequire(join(cwd, '[preload]'));
  for (const specifier of command.requires) requireFromCwd(specifier);
  await importPreloads(command.imports);
  if (entry.kind === 'script') {
    const script = resolve(cwd, entry.path);
    process.argv = [process.execPath, script, ...entry.args];
    // Node's own entry point for `node script`: CommonJS or ES module by the file, require.main set.
    (Module as unknown as { runMain(main: string): void }).runMain(script);
    return;
  }
  const [code, name] =
    entry.kind === 'eval' ? [entry.code, '[eval]'] : [readStdin(), '[stdin]'];
  process.argv = [process.execPath, ...entry.args];
  evaluate(code, name, cwd, entry.kind === 'eval' && entry.print);
}

function readStdin(): string {
  // The whole program, as `node < file` reads it.
  return readFileSync(0, 'utf8');
}

// As node's -e: script code with `require`, `module`, `__filename` and `__dirname` of a module
// named [eval] in the current directory; -p prints the completion value when the process exits.
function evaluate(code: string, name: string, cwd: string, print: boolean): void {
  const module = new Module(name);
  module.filename = join(cwd, name);
  module.paths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths(cwd);
  const scope = globalThis as Record<string, unknown>;
  scope.module = module;
  scope.exports = module.exports;
  scope.require = createRequire(module.filename);
  scope.__filename = name;
  scope.__dirname = '.';
  const vm = process.getBuiltinModule('node:vm');
  const result: unknown = vm.runInThisContext(code, {
    filename: name,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (print) process.on('exit', () => console.log(result));
}
