// The `lambda-bootstrap` command: build the runtime binary, zip it as a layer or with a function,
// and run a function locally (invoke once, serve, watch, bench) against the emulator.
// Exit codes: 0 success; 1 the operation failed (a function error on invoke, a build step, a
// missing binary: the message says what to do); 2 the command line is wrong.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ARCHITECTURES } from '../../build/arch.ts';
import type { Architecture } from '../../build/arch.ts';
import { Emulator, LocalServer, durableFunctionEnv, endpointFor, freePort, invokeDurableOnce, invokeOnce } from '../../emulator/index.ts';
import { benchFunction, formatBench } from './bench-function.ts';
import { ToolError, buildBinary, buildLayerZip, buildWrapperLayerZip, parseNodeOption } from './build-binary.ts';
import { MEMORY_MB, TIMEOUT_S, lambdaRange } from './lambda-limits.ts';
import { inspectOf, inspectorExposure } from './debugging.ts';
import { chainedFunctionsOf, durableClockOf, durableOptions } from './durable.ts';
import { durableCommand } from './durable-command.ts';
import { mergeLayers } from './layers.ts';
import { prepareManagedRuntime } from './managed-runtime.ts';
import { emulatorOptions, envOf, functionEnvironment } from './local-function.ts';
import type { FunctionFlags } from './local-function.ts';
import { FLAVOURS, packageFunction } from './package/package-function.ts';
import type { CompileCacheRequest, Flavour, SnapshotRequest } from './package/package-function.ts';
import { TARGET_OSES } from './package/native-addons.ts';
import type { TargetOs } from './package/native-addons.ts';
import { localNotes } from './outside-warning.ts';
import { rebuildAddons } from './package/rebuild-addons.ts';
import { packageVersion } from './resources.ts';
import { serveUntilStopped } from './serve-lifecycle.ts';
import { stopSignal } from './stop-signals.ts';
import { renderRecordsOn } from './terminal-logs.ts';
import { RuntimeWatcher } from './watch.ts';

const DEFAULT_OUT_DIR = '.lambda-bootstrap';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${flag} expects a whole number of at least 1, got '${value}'`);
    return n;
  };
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError(`expected a port number (0-65535; 0 picks a free one), got '${value}'`);
  return n;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const archOption = (): Option =>
  new Option('--arch <arch>', "the function's architecture (Lambda's names)").choices([...ARCHITECTURES]).default('x86_64');
const flavourOption = (): Option =>
  new Option('--flavour <flavour>', 'binary: the native bootstrap for provided.al2023/al2; wrapper: the bundle on the managed nodejs runtime')
    .choices([...FLAVOURS])
    .default('binary');
const outDirOption = (): Option => new Option('--out-dir <dir>', 'where binaries and zips go').default(DEFAULT_OUT_DIR);

/** The options every command that runs the function takes. */
function functionCommand(command: Command): Command {
  return command
    .argument('[function-dir]', 'the folder with the handler code (LAMBDA_TASK_ROOT)', '.')
    .option('-H, --handler <module.export>', 'the handler, as in the function configuration', 'index.handler')
    .addOption(archOption())
    .addOption(outDirOption())
    .option('--bootstrap <file>', 'the runtime binary to run (default: the one `build` made in --out-dir)')
    .option('--function-name <name>', 'AWS_LAMBDA_FUNCTION_NAME and the Invoke API name (default: the folder name)')
    .option('--memory <mb>', 'the memory size (128-10240): AWS_LAMBDA_FUNCTION_MEMORY_SIZE, and a runtime above it is killed (Runtime.OutOfMemory)', lambdaRange('--memory', 'memorySize', MEMORY_MB, 'MB'), 128)
    .option('--timeout <seconds>', 'the invocation timeout (1-900)', lambdaRange('--timeout', 'timeout', TIMEOUT_S, 'seconds'), 30)
    .option('--max-concurrency <n>', 'AWS_LAMBDA_MAX_CONCURRENCY (Lambda Managed Instances)', positiveInt('--max-concurrency'))
    .option('-e, --env <NAME=VALUE>', 'an environment variable for the function (repeatable)', collect, [])
    .option('--env-file <file>', "a dotenv file of the function's variables, read with Node's parser (repeatable: later files win; --env wins over all)", collect, [])
    .option('--layer <dir|zip>', "a layer (its folder or zip), merged with the others in order into a local /opt: nodejs/node_modules on NODE_PATH, a bootstrap used (repeatable; later layers win)", collect, [])
    .option('--extension <file>', 'an external extension (an executable registering under its file name), started as Lambda starts those of a layer\'s extensions/ (repeatable)', collect, [])
    .option('--raw-logs', "print the function's log records as written (multi-line records joined with \\r, as CloudWatch gets them) also on a terminal");
}

/** --inspect / --inspect-brk, on the commands a debugger is used with (cli/src/debugging.ts). */
function debuggable(command: Command): Command {
  return command
    .option('--inspect [host:port]', "start the runtime with Node's inspector (default 127.0.0.1:9229); the function timeout stands still while a debugger holds it paused")
    .option('--inspect-brk [host:port]', 'the same, stopped before the runtime runs its first line, until a debugger attaches and resumes');
}

/** --flavour and --node, on the commands that run the function in either flavour (cli/src/managed-runtime.ts). */
function flavoured(command: Command): Command {
  return command
    .addOption(flavourOption())
    .option('--node <line>', 'the Node.js line: binary: <out-dir>/node26/bootstrap for 26; wrapper: nodejs24.x or nodejs26.x (24, 26, or the pinned version)');
}

/** On a terminal, multi-line log records as lines (cli/src/terminal-logs.ts) unless --raw-logs. */
const renderLogs = (options: Record<string, unknown>): (() => void) => renderRecordsOn(process.stderr, process.stderr.isTTY === true && options.rawLogs !== true);

function flagsOf(options: Record<string, unknown>): FunctionFlags {
  const flags: FunctionFlags = {
    handler: options.handler as string,
    arch: options.arch as Architecture,
    outDir: resolve(options.outDir as string),
    memory: options.memory as number,
    timeout: options.timeout as number,
    env: options.env as string[],
    envFiles: options.envFile as string[],
    extensions: (options.extension as string[] | undefined) ?? [],
  };
  const inspect = inspectOf(options.inspect, options.inspectBrk);
  if (inspect !== undefined) flags.inspect = inspect;
  const exposure = inspect === undefined ? undefined : inspectorExposure(inspect);
  if (exposure !== undefined) log(`lambda-bootstrap: ${exposure}`);
  if (typeof options.bootstrap === 'string') flags.bootstrap = options.bootstrap;
  if (typeof options.functionName === 'string') flags.functionName = options.functionName;
  if (typeof options.maxConcurrency === 'number') flags.maxConcurrency = options.maxConcurrency;
  if (typeof options.node === 'string') flags.node = parseNodeOption(options.node, flags.arch);
  return flags;
}

/** flagsOf, with --layer's layers merged into a local /opt (cli/src/layers.ts). */
async function flagsWithLayers(options: Record<string, unknown>): Promise<FunctionFlags> {
  const flags = flagsOf(options);
  const layers = (options.layer as string[] | undefined) ?? [];
  if (options.flavour === 'wrapper') {
    // The local /opt holds the wrapper layer first, then --layer's (cli/src/managed-runtime.ts).
    const { managed, opt } = await prepareManagedRuntime(flags, layers, log);
    flags.managed = managed;
    flags.opt = opt;
  } else if (layers.length > 0) flags.opt = await mergeLayers(layers);
  return flags;
}

/** The event as JSON text; Lambda refuses a payload that is not JSON, and so does this. */
function eventOf(options: { event?: string; eventFile?: string }): string {
  if (options.event !== undefined && options.eventFile !== undefined) throw new ToolError('use either --event or --event-file, not both');
  let event = options.event ?? '{}';
  const from = options.eventFile === undefined ? '--event' : `--event-file ${options.eventFile}`;
  if (options.eventFile !== undefined) {
    try {
      event = readFileSync(options.eventFile, 'utf8');
    } catch (error) {
      throw new ToolError(`cannot read --event-file ${options.eventFile}: ${(error as Error).message}`);
    }
  }
  try {
    JSON.parse(event);
  } catch (error) {
    throw new ToolError(`${from} is not JSON (${(error as Error).message}); Lambda events are JSON, e.g. --event '{"id":1}'`);
  }
  return event;
}

/** Serves until SIGINT/SIGTERM; `watch` adds the file watcher. */
async function serveFunction(dir: string, options: Record<string, unknown>, watching: boolean): Promise<void> {
  const durable = durableClockOf(options);
  const flags = await flagsWithLayers(options);
  // The function's output, like every other line of the tool's, goes to stderr (README, the local loop).
  let forgetInitHint = (): void => {};
  const emulatorConfig = emulatorOptions(dir, flags, 'stderr', { log, initHintForget: (forget) => (forgetInitHint = forget) });
  let listenPort = options.port as number;
  // The runtime must know the durable service's address before it starts (emulator/durable/function-endpoint.ts).
  if (durable !== undefined && listenPort === 0) listenPort = await freePort(options.host as string);
  const durableEndpoint = durable === undefined ? undefined : endpointFor(options.host as string, listenPort);
  const withService = (env: Record<string, string | undefined>): Record<string, string | undefined> =>
    durableEndpoint === undefined ? env : durableFunctionEnv(env, durableEndpoint);
  emulatorConfig.env = withService(emulatorConfig.env ?? {});
  if (durable !== undefined) durable.chainedFunctions = chainedFunctionsOf(options, flags, emulatorConfig.functionName ?? 'function', withService, log);
  const emulator = await Emulator.start(emulatorConfig);
  let server: LocalServer;
  try {
    server = await LocalServer.start(emulator, {
      functionName: emulatorConfig.functionName ?? 'function',
      host: options.host as string,
      port: listenPort,
      allowedHosts: options.allowedHost as string[],
      log,
      durable,
    });
  } catch (error) {
    await emulator.stop();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ToolError(`port ${String(options.port)} is in use: pick another with --port (0 picks a free one)`);
    throw error;
  }
  const name = emulatorConfig.functionName ?? 'function';
  for (const note of await localNotes(dir, flags.handler, flags.arch)) log(`lambda-bootstrap: ${note}`);
  log(
    [
      `lambda-bootstrap: ${watching ? 'watching' : 'serving'} ${name} (${flags.handler} in ${emulatorConfig.taskRoot}) on ${server.url}`,
      `  HTTP front door (function URL events):  curl ${server.url}/`,
      `  Lambda Invoke API (AWS CLI and SDKs):   aws lambda invoke --endpoint-url ${server.url} --function-name ${name} --log-type Tail out.json`,
      `  RIE endpoint:                           curl -d '{}' ${server.url}/2015-03-31/functions/function/invocations`,
      ...(durable === undefined
        ? []
        : [`  Durable executions (history, callbacks): aws lambda list-durable-executions-by-function --endpoint-url ${server.url} --function-name ${name}`]),
    ].join('\n'),
  );
  const watcher = watching
    ? new RuntimeWatcher(emulator, emulatorConfig.taskRoot, {
        debounceMs: options.debounce as number,
        ignore: [flags.outDir],
        log,
        alsoWatch: (flags.envFiles ?? []).map((file) => resolve(file)),
        beforeRestart: () => {
          forgetInitHint();
          emulator.setFunctionEnvironment(withService(functionEnvironment(flags)));
        },
      })
    : undefined;
  await serveUntilStopped({ emulator, server, watcher, log });
}

export function program(): Command {
  const cli = new Command('lambda-bootstrap')
    .description('Build the lambda-bootstrap runtime (one native executable for Node.js on provided.al2/al2023) and run functions with it locally.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  cli
    .command('build')
    .description("build the bootstrap binary on this machine from the package's pinned runtime, node and postject")
    .addOption(archOption())
    .addOption(outDirOption())
    .option('--node <line>', 'the Node.js line to embed: 24, or 26 (or the exact version the package pins, e.g. 26.12.1)', '24')
    .addHelpText('after', '\nNeeds `strip` (apt-get install binutils); --arch arm64 on x86_64 also needs\naarch64-linux-gnu-strip and qemu-user-static (apt-get install binutils-aarch64-linux-gnu qemu-user-static\nlibc6-arm64-cross libstdc++6-arm64-cross). Output: <out-dir>/bootstrap (x86_64), <out-dir>/arm64/bootstrap;\nwith --node 26: <out-dir>/node26/bootstrap, <out-dir>/node26/arm64/bootstrap.')
    .action((options: { arch: Architecture; outDir: string; node: string }) => {
      const path = buildBinary(options.arch, resolve(options.outDir), log, parseNodeOption(options.node, options.arch));
      process.stdout.write(`${path}\n`);
    });

  cli
    .command('layer')
    .description('zip the runtime as a Lambda layer: the binary (bootstrap at the root, 0755; built first if needed), or --flavour wrapper')
    .addOption(flavourOption())
    .addOption(archOption())
    .addOption(outDirOption())
    .option('--node <line>', 'binary flavour: the Node.js line to embed, 24 or 26 (zip: bootstrap-node26-layer-<arch>.zip)', '24')
    .addHelpText(
      'after',
      '\nbinary:  aws lambda publish-layer-version --layer-name lambda-bootstrap-<arch> --zip-file fileb://<zip> \\\n' +
        '           --compatible-runtimes provided.al2 provided.al2023 --compatible-architectures <arch>\n' +
        'wrapper: aws lambda publish-layer-version --layer-name lambda-bootstrap-wrapper --zip-file fileb://<zip> \\\n' +
        '           --compatible-runtimes nodejs22.x nodejs24.x; then set AWS_LAMBDA_EXEC_WRAPPER=/opt/lambda-bootstrap-wrapper',
    )
    .action(async (options: { flavour: Flavour; arch: Architecture; outDir: string; node: string }) => {
      const outDir = resolve(options.outDir);
      const path =
        options.flavour === 'wrapper' ? await buildWrapperLayerZip(outDir, log) : await buildLayerZip(options.arch, outDir, log, parseNodeOption(options.node, options.arch));
      process.stdout.write(`${path}\n`);
    });

  cli
    .command('package')
    .description('zip a deployable function, no layer needed: bootstrap (0755) beside the files of <function-dir>, or --flavour wrapper')
    .argument('<function-dir>', 'the folder with the handler code and its node_modules')
    .addOption(flavourOption())
    .addOption(archOption())
    .addOption(outDirOption())
    .option('-o, --output <file>', 'the zip to write (default: <out-dir>/function-<arch>.zip, or function-wrapper.zip)')
    .option('--compile-cache', "pre-initialise: run the function's init once with the binary and ship its V8 code cache (docs/pre-initialised.md)")
    .option('--snapshot', "pre-initialise: bootstrap is this function's own executable, its dependencies evaluated into a V8 startup snapshot (x86_64; docs/pre-initialised.md)")
    .option('-H, --handler <module.export>', 'the handler: checked by loading it from the unpacked zip; for --bundle, --compile-cache and --snapshot', 'index.handler')
    .option('--bundle', 'build the handler with esbuild into one ES module with a source map (TypeScript beyond type stripping; dependencies inside)')
    .option('--no-verify', "skip running the function's init from the zip unpacked alone")
    .option('--rebuild', "first compile the function's node-gyp addons for the runtime's Node 24 (lambda-bootstrap rebuild)")
    .addOption(new Option('--os <os>', 'the Lambda OS native addons must load on: al2023 (provided.al2023, nodejs24.x) or al2 (provided.al2)').choices([...TARGET_OSES]).default('al2023'))
    .option('--event <json>', 'for --compile-cache: one invocation too, so modules loaded by the first invoke are cached (it really runs)')
    .option('-e, --env <NAME=VALUE>', 'an environment variable init needs (the check, --compile-cache); for --snapshot: one the dependencies read at load, as the function will have it (repeatable)', collect, [])
    .option('--allow-env-value <NAME>', 'for --snapshot: let the dependencies bake in the value of NAME although its name looks secret (repeatable)', collect, [])
    .option('--no-training', 'for --snapshot: skip the training run at build (a first invocation\'s client and request code compiled into the snapshot)')
    .option('--init-at-build', "for --snapshot: run the handler's init at build too, with --env and no credentials (SnapStart's semantics: awslambda.registerBeforeSnapshot/registerAfterRestore hooks; docs/pre-initialised.md)")
    .option('--exclude <pattern>', 'leave out files matching a gitignore-style pattern, beside the defaults and .lambdaignore (repeatable; docs/packaging.md)', collect, [])
    .option('--include <pattern>', 'put back files a default, .lambdaignore or --exclude left out, e.g. --include .env.example (repeatable)', collect, [])
    .addHelpText(
      'after',
      '\nbinary:  aws lambda create-function --runtime provided.al2023 --architectures <arch> \\\n' +
        '           --handler index.handler --zip-file fileb://<zip> --role <role-arn> --function-name <name>\n' +
        'wrapper: the same with --runtime nodejs24.x (any architecture) and\n' +
        "           --environment 'Variables={AWS_LAMBDA_EXEC_WRAPPER=/var/task/lambda-bootstrap-wrapper}'",
    )
    .action(async (dir: string, options: { flavour: Flavour; arch: Architecture; outDir: string; output?: string; compileCache?: boolean; snapshot?: boolean; training: boolean; initAtBuild?: boolean; handler: string; event?: string; env: string[]; allowEnvValue: string[]; exclude: string[]; include: string[]; bundle?: boolean; verify: boolean; rebuild?: boolean; os: TargetOs }) => {
      let cache: CompileCacheRequest | undefined;
      if (options.compileCache === true) {
        cache = { handler: options.handler, env: envOf(options.env) };
        if (options.event !== undefined) cache.event = eventOf({ event: options.event });
      }
      if (options.snapshot !== true && (options.initAtBuild === true || options.training === false)) {
        throw new ToolError(`package: --${options.initAtBuild === true ? 'init-at-build' : 'no-training'} is for --snapshot: only the snapshot executable is built with a training run or init at build`);
      }
      const snapshot: SnapshotRequest | undefined =
        options.snapshot === true ? { handler: options.handler, env: envOf(options.env), allowEnvValues: options.allowEnvValue, training: options.training, initAtBuild: options.initAtBuild === true } : undefined;
      if (options.bundle === true && (options.snapshot === true || options.compileCache === true)) {
        throw new ToolError(`package: --bundle does not combine with --${options.snapshot === true ? 'snapshot' : 'compile-cache'}: that pre-initialises the function's source files, and the zip ships the bundle instead`);
      }
      const selfContained = { handler: options.handler, env: envOf(options.env), bundle: options.bundle === true, verify: options.verify, os: options.os, rebuild: options.rebuild === true };
      const rules = { exclude: options.exclude, include: options.include };
      const result = await packageFunction(dir, options.flavour, options.arch, resolve(options.outDir), options.output, log, cache, snapshot, rules, selfContained);
      const what = options.flavour === 'wrapper' ? 'the wrapper and the bundle' : 'bootstrap';
      const size = result.zipBytes < 1024 * 1024 ? `${(result.zipBytes / 1024).toFixed(1)} KiB` : `${(result.zipBytes / 1024 / 1024).toFixed(1)} MiB`;
      log(`package: ${result.zipPath}: ${size}, ${what} + ${result.files} files`);
      for (const warning of result.warnings) log(`package: warning: ${warning}`);
      process.stdout.write(`${result.zipPath}\n`);
    });

  cli
    .command('rebuild')
    .description("compile the function's node-gyp native addons for the runtime's Node 24 (NODE_MODULE_VERSION 137), in place, with the pinned node's own headers (docs/native-addons.md)")
    .argument('[function-dir]', 'the folder with the handler code', '.')
    .addOption(archOption())
    .addOption(outDirOption())
    .action((dir: string, options: { arch: Architecture; outDir: string }) => {
      const rebuilt = rebuildAddons(resolve(dir), options.arch, resolve(options.outDir), log);
      for (const addon of rebuilt) process.stdout.write(`${addon.name}\t${addon.dir}\n`);
    });

  durableOptions(flavoured(debuggable(functionCommand(cli.command('invoke')))))
    .description('invoke the function once: the response on stdout; its logs and the REPORT line on stderr; exit 1 on a function error')
    .option('--event <json>', 'the event (default {})')
    .option('--event-file <file>', 'read the event from a file')
    .action(async (dir: string, options: Record<string, unknown>) => {
      const event = eventOf(options as { event?: string; eventFile?: string });
      const durable = durableClockOf(options);
      const flags = await flagsWithLayers(options);
      // The explanation of an init error follows the runtime's own lines, printed when it ends.
      const hints: string[] = [];
      const config = emulatorOptions(dir, flags, false, { initHint: (line) => hints.push(line) });
      for (const note of await localNotes(dir, options.handler as string, options.arch as Architecture)) log(`lambda-bootstrap: ${note}`);
      if (durable !== undefined) {
        durable.chainedFunctions = chainedFunctionsOf(options, flags, config.functionName ?? 'function', (env) => env, log);
        process.exitCode = await invokeDurableOnce(config, event, durable);
        for (const hint of hints) log(hint);
        return;
      }
      const stop = stopSignal();
      const restore = renderLogs(options);
      try {
        process.exitCode = await invokeOnce(config, event, { signal: stop.signal, prefix: 'lambda-bootstrap' });
      } finally {
        for (const hint of hints) log(hint);
        restore();
        stop.dispose();
      }
    });

  for (const watching of [false, true]) {
    const command = durableOptions(flavoured(debuggable(functionCommand(cli.command(watching ? 'watch' : 'serve')))))
      .description(
        watching
          ? 'like serve, and start a new runtime whenever a file in <function-dir> changes'
          : 'serve the function on one port: the HTTP front door (function URL events), the Lambda Invoke API (AWS CLI/SDK) and the RIE endpoint',
      )
      .option('-p, --port <port>', 'the port to listen on (0 picks a free one)', port, 8080)
      .option('--host <host>', 'the address to listen on (beyond 127.0.0.1 the function, with your credentials, is reachable from the network)', '127.0.0.1')
      .option('--allowed-host <name>', 'a Host name clients may use besides localhost and IP addresses (repeatable; .example.com for subdomains too)', collect, [])
      .action(async (dir: string, options: Record<string, unknown>) => {
        const restore = renderLogs(options);
        try {
          await serveFunction(dir, options, watching);
        } finally {
          restore();
        }
      });
    if (watching) command.option('--debounce <ms>', 'quiet time after the last change before restarting', positiveInt('--debounce'), 150);
  }

  functionCommand(cli.command('bench'))
    .description('cold starts and warm invokes of the function with the built binary, on this machine')
    .option('--cold <n>', 'cold starts (a fresh runtime process each)', positiveInt('--cold'), 10)
    .option('--warm <n>', 'warm invokes after the last cold start', positiveInt('--warm'), 200)
    .option('--event <json>', 'the event (default {})')
    .option('--event-file <file>', 'read the event from a file')
    .option('--json', 'print the samples as JSON instead of a table')
    .action(async (dir: string, options: Record<string, unknown>) => {
      const bench = { cold: options.cold as number, warm: options.warm as number, event: eventOf(options as { event?: string; eventFile?: string }) };
      const result = await benchFunction(emulatorOptions(dir, await flagsWithLayers(options), false, { memoryCgroup: false }), bench);
      process.stdout.write(options.json === true ? `${JSON.stringify(result)}\n` : `${formatBench(result, bench)}\n`);
      if (result.errors > 0) process.exitCode = 1;
    });

  durableCommand(cli, (text) => void process.stdout.write(text));
  return cli;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here with code 0; usage errors were printed by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    log(`lambda-bootstrap: ${error instanceof ToolError ? error.message : ((error as Error).message ?? String(error))}`);
    return 1;
  }
}
