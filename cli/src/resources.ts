// Where the installed package keeps what it ships beside its own code (cli/build.ts lays it out):
//   dist/lambda-bootstrap.js   this program
//   dist/runtime/bootstrap.js  the runtime bundle that `build` embeds in the binary
//   dist/node/<arch>/          package.json + package-lock.json pinning the official node of <arch>
//   dist/node/node26/<arch>/   the same for Node 26 (`build --node 26`)
//   dist/lambda-bootstrap-wrapper  the exec wrapper of the wrapper flavour (build/lambda-bootstrap-wrapper)
//   dist/snapshot/             the snapshot executable's recorder and entry (`package --snapshot`)
//   dist/managed-runtime/      the managed runtimes' bootstrap stand-ins and their /var/runtime (`--flavour wrapper`)
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Architecture } from '../../build/arch.ts';
import { DEFAULT_NODE_LINE } from '../../build/node-lines.ts';
import type { NodeLine } from '../../build/node-lines.ts';

const here = dirname(fileURLToPath(import.meta.url));

export const RUNTIME_BUNDLE = join(here, 'runtime', 'bootstrap.js');
export const WRAPPER_SCRIPT = join(here, 'lambda-bootstrap-wrapper');
/** The stand-ins for the managed runtime of each Node line (cli/src/managed-runtime.ts): its
 * /var/runtime/bootstrap (build/managed-runtime/) and the folder standing in for /var/runtime. */
export const MANAGED_RUNTIME_FILES: Record<NodeLine, { bootstrap: string; runtimeDir: string }> = {
  '24': { bootstrap: join(here, 'managed-runtime', 'bootstrap'), runtimeDir: join(here, 'managed-runtime', 'var-runtime') },
  '26': { bootstrap: join(here, 'managed-runtime', 'bootstrap-nodejs26.x'), runtimeDir: join(here, 'managed-runtime', 'var-runtime') },
};
/** build/snapshot/snapshot-recorder.ts and build/snapshot/snapshot-entry.ts as JavaScript (`package --snapshot`). */
export const SNAPSHOT_RECORDER = join(here, 'snapshot', 'recorder.js');
export const SNAPSHOT_ENTRY = join(here, 'snapshot', 'entry.js');

/** The folder with the lock file that pins the official node binary of `arch`: dist/node/<arch> (Node 24), dist/node/node26/<arch>. */
export function pinnedNodeDir(arch: Architecture, line: NodeLine = DEFAULT_NODE_LINE): string {
  return line === DEFAULT_NODE_LINE ? join(here, 'node', arch) : join(here, 'node', `node${line}`, arch);
}

/** postject's command-line script, from the package's own (pinned) dependency. */
export function postjectCli(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('postject')), 'cli.js');
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require(join(here, '..', 'package.json')) as { version: string }).version;
}
