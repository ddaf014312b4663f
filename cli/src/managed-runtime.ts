// `invoke`, `serve` and `watch --flavour wrapper`: the function run the way the managed nodejs24.x
// (with --node 26, nodejs26.x) runtime runs it with the wrapper layer attached (docs/wrapper-layer.md):
//   - the managed runtime's /var/runtime/bootstrap: the package's stand-in of it
//     (build/managed-runtime/bootstrap, shipped as dist/managed-runtime/), which sets the managed
//     environment (AWS_EXECUTION_ENV=AWS_Lambda_nodejs24.x, NODE_EXTRA_CA_CERTS, the heap flags from
//     the memory size) and hands node's command line to AWS_LAMBDA_EXEC_WRAPPER;
//   - /var/lang/bin/node: the official node the package pins for the line, installed from the npm
//     registry (or npm's cache) as `build` installs it (build-binary.ts installPinnedNode);
//   - /var/runtime: a folder with the stand-in for AWS's client, which fails loudly if the wrapper
//     ever lets it run, and the CA file the managed bootstrap points NODE_EXTRA_CA_CERTS at;
//   - /opt: a local /opt (layers.ts) holding the wrapper layer's files (wrapper-flavour.ts, the
//     very entries `layer --flavour wrapper` zips), then the --layer layers in order, and
//     AWS_LAMBDA_EXEC_WRAPPER=<local /opt>/lambda-bootstrap-wrapper.
// Only this machine's architecture: the managed bootstrap execs node itself, so an emulated arm64
// node cannot be put under qemu the way the binary is (build/arch.ts commandFor).
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Architecture } from '../../build/arch.ts';
import { DEFAULT_NODE_LINE } from '../../build/node-lines.ts';
import type { NodeLine } from '../../build/node-lines.ts';
import { managedNodePath } from '../../src/node-path.ts';
import { ToolError, installPinnedNode } from './build-binary.ts';
import { mergeLayers } from './layers.ts';
import type { LocalOpt } from './layers.ts';
import { MANAGED_RUNTIME_FILES, RUNTIME_BUNDLE, WRAPPER_SCRIPT } from './resources.ts';
import { WRAPPER_NAME, wrapperEntries } from './wrapper-flavour.ts';

/** What the wrapper flavour runs instead of a bootstrap binary. */
export interface ManagedRuntime {
  /** The Node line of the managed runtime: 24 (nodejs24.x) or 26 (nodejs26.x, a preview on Lambda). */
  line: NodeLine;
  /** The stand-in for the managed runtime's /var/runtime/bootstrap. */
  bootstrap: string;
  /** The pinned official node, the managed runtime's /var/lang/bin/node. */
  node: string;
  /** Stands in for /var/runtime (LAMBDA_RUNTIME_DIR). */
  runtimeDir: string;
  /** The exec wrapper inside the local /opt: AWS_LAMBDA_EXEC_WRAPPER. */
  wrapper: string;
}

/** The exec wrapper variables the flavour sets itself; the function's own must not name them. */
const EXEC_WRAPPER = 'AWS_LAMBDA_EXEC_WRAPPER';

/** The managed runtime's name for a Node line, as in AWS_EXECUTION_ENV: nodejs24.x, nodejs26.x. */
export const managedRuntimeName = (line: NodeLine): string => `nodejs${line}.x`;

/** Node's process.arch for Lambda's architecture names. */
const NODE_ARCH: Record<Architecture, string> = { x86_64: 'x64', arm64: 'arm64' };

/**
 * Refusals of what the wrapper flavour cannot run, before anything is installed.
 * Errors: ToolError for --bootstrap (the binary flavour's runtime) and an --arch that is not this
 * machine's.
 */
export function checkWrapperFlags(flags: { arch: Architecture; bootstrap?: string }): void {
  if (flags.bootstrap !== undefined) {
    throw new ToolError(
      '--bootstrap names the binary flavour\'s runtime; --flavour wrapper runs the managed runtime\'s own bootstrap with the wrapper layer: leave out --bootstrap (or leave out --flavour wrapper to run that binary)',
    );
  }
  if (NODE_ARCH[flags.arch] !== process.arch) {
    throw new ToolError(
      `--flavour wrapper runs the managed runtime on this machine's own node (${process.arch}); --arch ${flags.arch} is for the binary flavour, which runs under qemu: leave out --flavour wrapper, or run on an ${flags.arch} machine`,
    );
  }
}

/**
 * Prepares the managed runtime of `line`: installs its pinned node into `<outDir>/.node/` (once),
 * lays the wrapper layer and then `layers` (Lambda's order, later wins) into a new local /opt.
 * Returns the runtime and the local /opt (removed at the tool's exit).
 * Errors: ToolError from checkWrapperFlags, from the node install (no npm, no registry or cache),
 * and from a --layer that cannot be read.
 */
export async function prepareManagedRuntime(
  flags: { arch: Architecture; outDir: string; bootstrap?: string; node?: NodeLine },
  layers: readonly string[],
  log: (line: string) => void,
): Promise<{ managed: ManagedRuntime; opt: LocalOpt }> {
  checkWrapperFlags(flags);
  const line = flags.node ?? DEFAULT_NODE_LINE;
  const files = MANAGED_RUNTIME_FILES[line];
  for (const path of [files.bootstrap, files.runtimeDir, WRAPPER_SCRIPT, RUNTIME_BUNDLE]) {
    if (!existsSync(path)) {
      throw new ToolError(`--flavour wrapper: ${path}, which the package ships for the ${managedRuntimeName(line)} stand-in and the wrapper layer, is missing: reinstall lambda-bootstrap (in the repository: \`make cli\`, then run cli/dist/lambda-bootstrap.js)`);
    }
  }
  if (line !== DEFAULT_NODE_LINE) {
    log(`lambda-bootstrap: ${managedRuntimeName(line)} is a public preview on Lambda (docs/node-versions.md); the wrapper layer is the same on it`);
  }
  // The install's own lines say `build:`; here they belong to the command that runs the function.
  const node = installPinnedNode(flags.arch, flags.outDir, (text) => log(text.replace(/^build: /, 'lambda-bootstrap: ')), line);
  // The wrapper layer as Lambda unpacks it into /opt, first, so the function's own layers come
  // after it in the merged view (a later layer's file replaces an earlier one's, as on Lambda).
  const staged = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-wrapper-layer-'));
  let opt: LocalOpt;
  try {
    for (const entry of wrapperEntries()) {
      const path = join(staged, entry.name);
      mkdirSync(dirname(path), { recursive: true });
      if (entry.data !== undefined) writeFileSync(path, entry.data);
      else copyFileSync(entry.file, path);
      chmodSync(path, entry.mode & 0o777);
    }
    opt = await mergeLayers([staged, ...layers]);
  } finally {
    rmSync(staged, { recursive: true, force: true });
  }
  if (opt.bootstrap !== undefined) {
    log(`lambda-bootstrap: a layer's bootstrap is not used: a ${managedRuntimeName(line)} function runs the managed runtime (as on Lambda, where only provided.al2023/al2 run /opt/bootstrap)`);
  }
  const wrapper = join(opt.dir, WRAPPER_NAME);
  log(`lambda-bootstrap: wrapper flavour: ${managedRuntimeName(line)}'s bootstrap (the package's stand-in) on ${node}, ${EXEC_WRAPPER}=${wrapper} (the local /opt)`);
  return { managed: { line, bootstrap: files.bootstrap, node, runtimeDir: files.runtimeDir, wrapper }, opt };
}

/**
 * The variables the wrapper flavour adds to the function's `env` (its own: credentials, /opt
 * paths, --env-file, --env): NODE_PATH naming the local /opt as the managed one names /opt
 * (unless the function sets NODE_PATH, which replaces it on Lambda too), then what the stand-in
 * bootstrap reads: AWS_LAMBDA_EXEC_WRAPPER, LAMBDA_RUNTIME_DIR, LAMBDA_TEST_MANAGED_NODE.
 * Errors: ToolError when the function's own variables set AWS_LAMBDA_EXEC_WRAPPER (another exec
 * wrapper goes in LAMBDA_BOOTSTRAP_EXEC_WRAPPER, build/lambda-bootstrap-wrapper).
 */
export function withManagedRuntime(env: Record<string, string>, managed: ManagedRuntime, optDir: string): Record<string, string> {
  if (env[EXEC_WRAPPER] !== undefined) {
    throw new ToolError(
      `--flavour wrapper sets ${EXEC_WRAPPER} to the layer's wrapper itself; to run another exec wrapper (ADOT's /opt/otel-handler, Datadog's /opt/datadog_wrapper) after it, set LAMBDA_BOOTSTRAP_EXEC_WRAPPER=<its path> instead (docs/observability.md)`,
    );
  }
  return {
    NODE_PATH: managedNodePath(managed.line, optDir),
    ...env,
    [EXEC_WRAPPER]: managed.wrapper,
    LAMBDA_RUNTIME_DIR: managed.runtimeDir,
    LAMBDA_TEST_MANAGED_NODE: managed.node,
  };
}
