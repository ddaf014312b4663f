// Packaging step: a per-function executable whose V8 startup snapshot holds the function's
// dependencies already evaluated (issue 14, lever 2; docs/pre-initialised.md). Like
// `bun build --compile`, the result is one file per function: <out>/bootstrap, built by the same
// SEA path as dist/bootstrap (build/sea.ts) with `useSnapshot` and build/snapshot/snapshot-entry.ts as main.
//
//   node build/snapshot/snapshot.ts --handler index.handler [--out DIR] <function dir>
//   make package FN=<function dir> SNAPSHOT=1 [HANDLER=index.handler]
//
// Steps: find the packages the handler module (and its own local files) import; bundle them with
// esbuild into one CommonJS script (the snapshot builder loads built-ins only), with node:http,
// node:https and node:http2 replaced by stand-ins that load the real module on first use (they
// hold native handles V8 cannot serialise); evaluate that script once in a child node with
// build/snapshot/snapshot-recorder.ts watching, and refuse the build if the dependencies read anything that
// would be frozen into every sandbox; then build the executable. The handler module itself is not
// in the snapshot: its top level (env reads, clients) runs at every start, as on dist/bootstrap.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { build, transform } from 'esbuild';
import type { Plugin } from 'esbuild';
import { LambdaError } from '../../src/errors.ts';
import { parseHandlerName, resolveModuleFile } from '../../src/handler-loader.ts';
import type { SnapshotEnvironment, SnapshotHandler, SnapshotModule } from '../../src/pre-init/snapshot-modules.ts';
import { MANAGED_EXECUTION_ENV } from '../../src/execution-environment.ts';
import { HANDLER_KEY, registryKey } from '../../src/pre-init/snapshot-modules.ts';
import { TARGETS, isNative, parseArchitecture } from '../arch.ts';
import type { Architecture } from '../arch.ts';
import { importMetaRefusal, initEnvironmentNotes, initIsolation, initVerdict, topLevelAwaitRefusal } from './snapshot-init.ts';
import type { InitReport } from './snapshot-init.ts';
import { EMBEDDED_SCRIPT_NAME, buildSea } from '../sea.ts';
import { credentialRefusal, planEnvironment } from './snapshot-env.ts';
import { refusal } from './snapshot-findings.ts';
import type { RecorderReport } from './snapshot-findings.ts';
import type { TrainingReport } from './snapshot-training.ts';
import { ownModuleFiles, usedExports } from './used-exports.ts';
import { commonJsEntries, requireAsNode } from './commonjs-entry.ts';
import { packageJsonOf } from './package-json.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const RUNTIME_BUNDLE = join(REPO_ROOT, 'dist', 'bootstrap.js');
const RECORDER = join(import.meta.dirname, 'snapshot-recorder.ts');
const ENTRY = join(import.meta.dirname, 'snapshot-entry.ts');
/**
 * Built-ins that hold native handles once loaded (node:http's parser binding: `global handle not
 * serialized: HTTPParser`), or that Node does not support in snapshots yet; the dependencies get
 * stand-ins that load them on first use after deserialisation.
 */
export const DEFERRED_BUILTINS = ['http', 'https', 'http2'] as const;

export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

export interface SnapshotOptions {
  functionDir: string;
  handler: string;
  /**
   * Variables the dependencies may read at load, with the values the sandboxes will have (the
   * snapshot refuses to load where they differ). AWS_EXECUTION_ENV is the runtime's own.
   */
  env?: Record<string, string>;
  /**
   * Variables whose values may be baked in although their names look secret (build/snapshot/snapshot-env.ts);
   * AWS credentials never are.
   */
  allowEnvValues?: readonly string[];
  /** The runtime's bundle (what dist/bootstrap runs); default dist/bootstrap.js. */
  runtimeBundle?: string;
  /**
   * The files the installed npm tool ships instead of the repository's (cli/build.ts): the
   * recorder and the entry as JavaScript (default build/snapshot/snapshot-recorder.ts and
   * build/snapshot/snapshot-entry.ts), the x86_64 node the executable is made from (default the
   * repository's pinned one), and the node and postject that inject the blob (build/sea.ts's).
   */
  recorder?: string;
  entry?: string;
  node?: string;
  hostNode?: string;
  postjectCli?: string;
  /** For a foreign `arch`: the x86_64 node of the same version that runs the recorder (default the repository's pinned one). */
  recorderNode?: string;
  /** Where bootstrap (and the intermediate scripts) are written; default <functionDir>/.lambda-bootstrap/snapshot. */
  outDir?: string;
  /**
   * The training run (build/snapshot/snapshot-training.ts): exercise the dependencies as a first invocation
   * does, at build, so that the snapshot holds their compiled bytecode. Default true.
   */
  training?: boolean;
  /**
   * Init at build (SnapStart's semantics; docs/pre-initialised.md, "Init at build"): the handler
   * module's own init runs at build too, with `env` and no credentials, and its
   * registerBeforeSnapshot hooks after it; every start runs its registerAfterRestore hooks instead
   * of the init. Refused where init leaves what cannot be snapshotted. Default false.
   */
  initAtBuild?: boolean;
  /**
   * The architecture of the executable (Lambda's names). arm64 on an x86_64 machine: the snapshot
   * is recorded by the arm64 node under qemu-user (build/arch.ts), the recorder runs on the host's
   * node of the same version. Default x86_64.
   */
  arch?: Architecture;
  log?: (line: string) => void;
}

export interface SnapshotReport {
  executable: string;
  modules: SnapshotModule[];
  environment: SnapshotEnvironment;
  /** Bytes of the dependency bundle evaluated into the snapshot. */
  dependencyBytes: number;
  /** What the training run exercised and what it skipped (undefined without training). */
  training: TrainingReport | undefined;
  /** With init at build: the hooks init registered, and what it did that the build only noted. */
  init: InitReport | undefined;
}

/** The packages the handler's module graph (its own files) imports: bare, non-built-in specifiers. */
export async function handlerImports(functionDir: string, handlerFile: string): Promise<{ specifier: string; kind: SnapshotModule['kind'] }[]> {
  const result = await build({
    entryPoints: [handlerFile],
    absWorkingDir: functionDir,
    bundle: true,
    write: false,
    metafile: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'silent',
  });
  const seen = new Map<string, { specifier: string; kind: SnapshotModule['kind'] }>();
  for (const input of Object.values(result.metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external !== true || isBuiltin(imported.path) || imported.path.startsWith('.') || imported.path.startsWith('/')) continue;
      const kind = imported.kind === 'require-call' || imported.kind === 'require-resolve' ? 'require' : 'import';
      seen.set(registryKey(kind, imported.path), { specifier: imported.path, kind });
    }
  }
  return [...seen.values()].sort((a, b) => (a.specifier < b.specifier ? -1 : a.specifier > b.specifier ? 1 : 0));
}

interface BuiltinShape {
  /** Own enumerable keys: the JSON of a plain-data value, or null for a key read through on use. */
  keys: Record<string, string | null>;
}

/** The key lists of the deferred built-ins, from the very node that builds the snapshot. */
export function builtinShapes(node: string): Record<string, BuiltinShape> | SnapshotError {
  const script = `
    const out = {};
    for (const name of ${JSON.stringify(DEFERRED_BUILTINS)}) {
      const real = require('node:' + name), keys = {};
      for (const key of Object.keys(real)) {
        const d = Object.getOwnPropertyDescriptor(real, key);
        let json = null;
        if ('value' in d && typeof d.value !== 'function') {
          const proto = typeof d.value === 'object' && d.value !== null ? Object.getPrototypeOf(d.value) : undefined;
          // Plain data only (numbers, strings, plain objects and arrays): what the SDK destructures at load.
          if (proto === undefined || proto === Object.prototype || proto === Array.prototype || proto === null) json = JSON.stringify(d.value) ?? null;
        }
        keys[key] = json;
      }
      out[name] = { keys };
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(node, ['-e', script], { encoding: 'utf8', env: {} });
  if (r.status !== 0) return new SnapshotError(`snapshot: reading the built-in modules' keys with ${node} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, BuiltinShape>;
}

/** The stand-in's hidden hook (a non-enumerable symbol key) that turns deferred agents into real ones at start. */
export const DEFERRED_AGENTS = 'lambda-bootstrap.deferred-agents';

/**
 * The CommonJS source of a stand-in: plain data inlined, everything else read from the real module
 * on first use. `Agent` (node:http, node:https) is special while the snapshot is built: the SDK's
 * request handler builds its keep-alive agents as soon as a client is constructed (init at build:
 * `new S3Client()` at the handler's top level), and loading the real module there would put its
 * native parser in the heap. So, only while building, `new Agent(options)` gives a placeholder
 * whose prototype is a stand-in prototype (so `instanceof Agent` holds); at start, before anything
 * uses one, the real module is loaded and each placeholder becomes a real agent in place (its
 * prototype set to the real one, the real constructor run on it with the same options: node's
 * Agent is a plain constructor function, callable on an existing object). Outside a snapshot
 * build, Agent is the real one.
 */
export function standInSource(name: string, shape: BuiltinShape): string {
  const lines = [
    `let real;`,
    `const building = () => process.getBuiltinModule('node:v8').startupSnapshot.isBuildingSnapshot();`,
    `const deferred = [];`,
    `const upgrade = () => { for (const [agent, options] of deferred.splice(0)) { Object.setPrototypeOf(agent, real.Agent.prototype); real.Agent.call(agent, options); } };`,
    `const load = () => { if (real === undefined) { real = process.getBuiltinModule(${JSON.stringify(`node:${name}`)}); upgrade(); } return real; };`,
    `function Agent(options) { if (!building()) return new (load().Agent)(options); if (!new.target) return new Agent(options); deferred.push([this, options]); }`,
    `const standIn = {};`,
    `Object.defineProperty(standIn, Symbol.for(${JSON.stringify(DEFERRED_AGENTS)}), { value: () => { if (deferred.length > 0) load(); return deferred.length; } });`,
  ];
  for (const [key, json] of Object.entries(shape.keys)) {
    const k = JSON.stringify(key);
    if (json !== null) lines.push(`standIn[${k}] = ${json};`);
    else if (key === 'Agent') lines.push(`Object.defineProperty(standIn, ${k}, { enumerable: true, configurable: true, get: () => (real === undefined && building() ? Agent : load().Agent) });`);
    else lines.push(`Object.defineProperty(standIn, ${k}, { enumerable: true, configurable: true, get: () => load()[${k}] });`);
  }
  lines.push('module.exports = standIn;');
  return `${lines.join('\n')}\n`;
}

function deferBuiltins(shapes: Record<string, BuiltinShape>): Plugin {
  const filter = new RegExp(`^(node:)?(${DEFERRED_BUILTINS.join('|')})$`);
  return {
    name: 'lambda-bootstrap-deferred-builtins',
    setup(b) {
      b.onResolve({ filter }, (args) => ({ path: args.path.replace(/^node:/, ''), namespace: 'deferred-builtin' }));
      b.onLoad({ filter: /.*/, namespace: 'deferred-builtin' }, (args) => ({ contents: standInSource(args.path, shapes[args.path]!), loader: 'js' }));
    },
  };
}

/** Bundles the modules into one script that fills `__lambdaBootstrapRegistry` (a parameter of its wrapper). */
export async function bundleDependencies(functionDir: string, modules: SnapshotModule[], shapes: Record<string, BuiltinShape>, outfile: string, handler?: SnapshotHandler): Promise<string[]> {
  // The stand-ins are registered too, so that a test can compare each with the real module.
  const standIns = DEFERRED_BUILTINS.map((b, i) => `import * as s${i} from ${JSON.stringify(`node:${b}`)};\n__lambdaBootstrapRegistry.set(${JSON.stringify(`builtin:${b}`)}, s${i}.default);`);
  const lines = modules.map((m, i) => {
    const key = JSON.stringify(registryKey(m.kind, m.specifier));
    if (m.kind === 'require') return `__lambdaBootstrapRegistry.set(${key}, require(${JSON.stringify(m.specifier)}));`;
    const source = JSON.stringify(m.specifier);
    if (m.exports === undefined) return `import * as m${i} from ${source};\n__lambdaBootstrapRegistry.set(${key}, m${i});`;
    // Only the names the function imports: esbuild leaves out whatever they do not reach.
    const bindings = m.exports.map((name, j) => `${JSON.stringify(name)} as m${i}_${j}`).join(', ');
    const namespace = m.exports.map((name, j) => `${JSON.stringify(name)}: m${i}_${j}`).join(', ');
    return `import { ${bindings} } from ${source};\n__lambdaBootstrapRegistry.set(${key}, { __proto__: null, ${namespace} });`;
  });
  // Init at build: the handler module is required in the entry's body, which runs after every
  // (hoisted) import above, so the recorder and the snapshot builder see its init as a phase of its
  // own (__lambdaBootstrapInit, a parameter of the bundle's wrapper like the registry).
  const init = handler === undefined ? [] : [`__lambdaBootstrapRegistry.set(${JSON.stringify(HANDLER_KEY)}, __lambdaBootstrapInit(() => require(${JSON.stringify(`./${handler.file}`)})));`];
  const result = await build({
    // An .mjs importer gives CommonJS packages Node's interop (default = module.exports).
    stdin: { contents: [...lines, ...standIns, ...init].join('\n'), resolveDir: functionDir, sourcefile: 'lambda-bootstrap-snapshot-entry.mjs', loader: 'js' },
    // Where init made what cannot be snapshotted is told in the function's own files and lines.
    ...(handler === undefined ? {} : { sourcemap: 'external' as const, sourcesContent: false }),
    absWorkingDir: functionDir,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'error',
    // Node's CommonJS "main" where the function relies on its interop, and for require() (build/snapshot/commonjs-entry.ts).
    plugins: [deferBuiltins(shapes), commonJsEntries(functionDir, modules), requireAsNode],
    // A package's ES module build where it names one ("module", as bundlers for Lambda take it:
    // CDK's NodejsFunction for ESM output): only that build lets esbuild leave out what the
    // narrowed imports do not reach. Packages with "exports" get their "import" condition anyway.
    mainFields: ['module', 'main'],
  });
  // import.meta has no value in the CommonJS bundle the snapshot evaluates (esbuild leaves it empty).
  return result.warnings.filter((w) => w.id === 'empty-import-meta').map((w) => `${w.location === null ? '?' : `${w.location.file}:${w.location.line}:${w.location.column + 1}`}: ${w.location?.lineText.trim() ?? 'import.meta'}`);
}

/** Builds <outDir>/bootstrap for the function, or says why not. */
export async function buildSnapshotExecutable(options: SnapshotOptions): Promise<SnapshotReport | SnapshotError> {
  const log = options.log ?? (() => {});
  const functionDir = resolve(options.functionDir);
  const outDir = resolve(options.outDir ?? join(functionDir, '.lambda-bootstrap', 'snapshot'));
  const arch = options.arch ?? 'x86_64';
  const target = options.node === undefined ? TARGETS[arch] : { ...TARGETS[arch], node: options.node };
  // The recorder and the built-ins' key lists need a node of the same version, not the same
  // architecture: on a foreign one the host's pinned node runs them (qemu is for the snapshot itself).
  const hostNode = isNative(target) ? target.node : (options.recorderNode ?? TARGETS.x86_64.node);
  const runtimeBundle = resolve(options.runtimeBundle ?? RUNTIME_BUNDLE);
  if (!existsSync(runtimeBundle)) return new SnapshotError(`snapshot: ${runtimeBundle} is missing: run \`make bundle\` first`);
  const credentials = credentialRefusal(options.env ?? {});
  if (credentials !== undefined) return new SnapshotError(credentials);
  const name = parseHandlerName(options.handler);
  if (name instanceof LambdaError) return new SnapshotError(`snapshot: ${name.message} (the handler "${options.handler}")`);
  const handlerFile = resolveModuleFile(functionDir, name)?.file;
  if (handlerFile === undefined) return new SnapshotError(`snapshot: no module file for the handler "${options.handler}" in ${functionDir}`);
  const handlerRelative = relative(functionDir, handlerFile).split(sep).join('/');
  const initHandler: SnapshotHandler | undefined =
    options.initAtBuild === true ? { file: handlerRelative, kind: handlerRelative.endsWith('.cjs') || handlerRelative.endsWith('.cts') ? 'require' : 'import' } : undefined;

  const modules: SnapshotModule[] = [];
  for (const imported of await handlerImports(functionDir, handlerFile)) {
    const packageJson = packageJsonOf(imported.specifier, dirname(handlerFile));
    if (packageJson === undefined) return new SnapshotError(`snapshot: "${imported.specifier}" (imported by the handler) is not installed in ${functionDir}: run npm ci there first`);
    const packageDir = relative(functionDir, dirname(packageJson));
    // A package from outside the function (a layer, a global folder) is not the function's to freeze.
    if (packageDir.startsWith('..')) continue;
    modules.push({ ...imported, packageDir: packageDir.split(sep).join('/') });
  }
  const narrowing = await usedExports(functionDir, ownModuleFiles(functionDir), modules.filter((m) => m.kind === 'import').map((m) => m.specifier));
  for (const m of modules) {
    const verdict = m.kind === 'import' ? narrowing.get(m.specifier) : undefined;
    if (verdict === undefined) continue;
    if ('names' in verdict) m.exports = verdict.names;
    else log(`snapshot: ${m.specifier} is held whole: ${verdict.whole}`);
  }
  if (modules.length === 0 && initHandler === undefined) return new SnapshotError(`snapshot: the handler ${relative(functionDir, handlerFile)} imports no packages from ${functionDir}/node_modules: nothing to snapshot (dist/bootstrap is the right binary for it)`);
  log(`snapshot: ${modules.length} packages: ${modules.map((m) => (m.exports === undefined ? m.specifier : `${m.specifier} (${m.exports.join(', ')})`)).join(', ')}`);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const shapes = builtinShapes(hostNode);
  if (shapes instanceof SnapshotError) return shapes;
  const dependencies = join(outDir, 'snapshot-dependencies.js');
  try {
    const importMeta = await bundleDependencies(functionDir, modules, shapes, dependencies, initHandler);
    if (importMeta.length > 0) return new SnapshotError(importMetaRefusal(importMeta));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (initHandler !== undefined && /top-level await/i.test(message)) return new SnapshotError(topLevelAwaitRefusal(message));
    return new SnapshotError(`snapshot: esbuild could not bundle the ${initHandler === undefined ? 'dependencies' : 'handler and its dependencies'}: ${message}`);
  }

  // The dependencies are evaluated (here and in the snapshot builder) with exactly this environment.
  const buildEnv: Record<string, string> = { AWS_EXECUTION_ENV: MANAGED_EXECUTION_ENV, ...options.env };
  // Init at build: the SDK's clients start reading the shared config and credentials files as soon
  // as they are constructed; pointed at a path that does not exist, nothing of this machine's
  // ~/.aws reaches the heap. Those two are the build's isolation, not the deployment's values, so
  // they stay out of the environment guard (the SDK caches file contents by path, and a sandbox's
  // path is another).
  const isolation = initHandler === undefined ? {} : initIsolation(options.env ?? {});
  const evaluationEnv: Record<string, string> = { ...buildEnv, ...isolation };
  if (initHandler !== undefined) for (const line of initEnvironmentNotes(buildEnv, process.env, Object.keys(isolation))) log(line);
  const reportFile = join(outDir, 'snapshot-findings.json');
  const recorded = spawnSync(hostNode, [options.recorder ?? RECORDER, dependencies, reportFile], { encoding: 'utf8', env: evaluationEnv, cwd: outDir });
  if (recorded.status !== 0 || !existsSync(reportFile)) return new SnapshotError(`snapshot: evaluating the dependencies failed (exit ${recorded.status ?? recorded.signal}):\n${recorded.stdout}${recorded.stderr}`);
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RecorderReport;
  if (report.failure !== undefined) return new SnapshotError(`snapshot: the dependencies threw while evaluating, so they cannot be snapshotted:\n${report.failure}`);
  const dependencySource = readFileSync(dependencies, 'utf8');
  const refused = refusal(report, dependencySource);
  if (refused !== undefined) return new SnapshotError(refused);
  let init: InitReport | undefined;
  if (initHandler !== undefined) {
    const verdict = initVerdict(report.init, functionDir, handlerRelative);
    if (typeof verdict === 'string') return new SnapshotError(verdict);
    init = verdict;
    for (const note of init.notes) log(`snapshot: init at build: ${note}`);
  }

  // What the snapshot holds is the same code without whitespace and comments, and with shorter
  // syntax (names are kept, so stack frames still name their functions): a smaller heap to
  // deserialise at every start (realistic function: blob 13.9 → 11.4 MB, first /next −8%). The
  // recorder read the readable bundle, whose comments name each line's package.
  const snapshotted = join(outDir, 'snapshot-dependencies.min.js');
  try {
    const minified = await transform(dependencySource, { loader: 'js', minifyWhitespace: true, minifySyntax: true, target: 'node24' });
    writeFileSync(snapshotted, minified.code);
  } catch (error) {
    return new SnapshotError(`snapshot: esbuild could not minify the dependency bundle: ${error instanceof Error ? error.message : String(error)}`);
  }
  const plan = planEnvironment(
    report.envRead.filter((name) => !(name in isolation)),
    report.envWritten,
    buildEnv,
    options.allowEnvValues ?? [],
  );
  if (typeof plan === 'string') return new SnapshotError(plan);
  const environment: SnapshotEnvironment = plan.environment;
  const guarded = Object.keys(environment.reads);
  if (guarded.length > 0) log(`snapshot: environment guard (checked at start, by SHA-256 digest): ${guarded.join(', ')}`);
  if (plan.bakedIn.length > 0) log(`snapshot: baked in: the dependencies read ${plan.bakedIn.join(', ')} while loading, so what they made of the build's values is in the executable`);
  for (const name of plan.allowedSecrets) log(`snapshot: warning: ${name} looks secret and its value is baked in (--allow-env-value): anyone who can download the function's code can read it`);
  const main = join(outDir, 'snapshot-main.js');
  const trainingFile = options.training === false ? null : join(outDir, 'snapshot-training.json');
  await build({
    entryPoints: [options.entry ?? ENTRY],
    outfile: main,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    logLevel: 'error',
    define: {
      __LAMBDA_BOOTSTRAP_DEPENDENCIES_FILE: JSON.stringify(snapshotted),
      __LAMBDA_BOOTSTRAP_RUNTIME_FILE: JSON.stringify(runtimeBundle),
      __LAMBDA_BOOTSTRAP_MODULES: JSON.stringify(modules),
      __LAMBDA_BOOTSTRAP_ENVIRONMENT: JSON.stringify(environment),
      __LAMBDA_BOOTSTRAP_RUNTIME_NAME: JSON.stringify(EMBEDDED_SCRIPT_NAME),
      __LAMBDA_BOOTSTRAP_TRAINING_REPORT: JSON.stringify(trainingFile),
      __LAMBDA_BOOTSTRAP_HANDLER: JSON.stringify(initHandler ?? null),
      __LAMBDA_BOOTSTRAP_INSTALL_AWSLAMBDA: JSON.stringify(buildEnv.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA === undefined),
    },
  });
  const executable = join(outDir, 'bootstrap');
  try {
    buildSea({ target, bundle: main, output: executable, useCodeCache: false, useSnapshot: true, blobEnv: evaluationEnv, log, hostNode: options.hostNode, postjectCli: options.postjectCli });
  } catch (error) {
    return new SnapshotError(`snapshot: ${error instanceof Error ? error.message : String(error)}`);
  }
  let training: TrainingReport | undefined;
  if (trainingFile !== null) {
    if (!existsSync(trainingFile)) return new SnapshotError(`snapshot: the training run did not finish while the snapshot was built (no ${trainingFile}); build with --no-training to skip it`);
    training = JSON.parse(readFileSync(trainingFile, 'utf8')) as TrainingReport;
    log(`snapshot: training run: ${training.trained.join('; ') || 'nothing to train'}`);
    for (const skipped of training.skipped) log(`snapshot: training step skipped: ${skipped}`);
  }
  if (init !== undefined) log(`snapshot: init at build: ${initHandler!.file}'s init is in the snapshot (${init.beforeSnapshotHooks} before-snapshot hook(s) ran, ${init.afterRestoreHooks} after-restore hook(s) run at every start)`);
  return { executable, modules, environment, dependencyBytes: Buffer.byteLength(dependencySource), training, init };
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      handler: { type: 'string', default: 'index.handler' },
      out: { type: 'string' },
      env: { type: 'string', multiple: true, default: [] },
      'allow-env-value': { type: 'string', multiple: true, default: [] },
      'no-training': { type: 'boolean', default: false },
      'init-at-build': { type: 'boolean', default: false },
      arch: { type: 'string', default: 'x86_64' },
    },
  });
  const env: Record<string, string> = {};
  for (const pair of values.env) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      console.error(`--env takes KEY=VALUE, got "${pair}"`);
      return 2;
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  if (positionals.length !== 1) {
    console.error('usage: node build/snapshot/snapshot.ts --handler index.handler [--out DIR] [--env KEY=VALUE ...] [--allow-env-value KEY ...] [--no-training] [--init-at-build] [--arch x86_64|arm64] <function dir>');
    return 2;
  }
  const arch = parseArchitecture(values.arch);
  if (arch instanceof Error) {
    console.error(`--arch: ${arch.message}`);
    return 2;
  }
  const report = await buildSnapshotExecutable({ functionDir: positionals[0]!, handler: values.handler, outDir: values.out, env, allowEnvValues: values['allow-env-value'], training: !values['no-training'], initAtBuild: values['init-at-build'], arch, log: (line) => console.log(line) });
  if (report instanceof SnapshotError) {
    console.error(report.message);
    return 1;
  }
  const what = report.init === undefined ? "the function's dependencies" : "the function's dependencies and its init";
  console.log(`snapshot: ${report.executable}: ${what} (${(report.dependencyBytes / 1024 / 1024).toFixed(1)} MB of JavaScript) evaluated into its startup snapshot`);
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
