// `invoke`, `serve` and `watch` name, before the runtime starts, a node-gyp addon of the function
// built for another Node than the runtime's 24 (issue: `npm install` on Node 20 compiles for
// NODE_MODULE_VERSION 115, and Node's own load error then advises `npm rebuild`, which rebuilds
// for Node 20 again). Only packages with a binding.gyp are looked at, and only their
// build/Release/*.node files, so the check costs a few stat calls; `package` checks every `.node`
// file it ships (package/native-addons.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Architecture } from '../../build/arch.ts';
import type { ClosurePackage } from './package/dependency-closure.ts';
import { RUNTIME_NODE_MAJOR, RUNTIME_NODE_MODULE_VERSION, inspectAddon } from './package/native-addons.ts';

/** One line per node-gyp addon of `packages` (the function's closure) built for another Node or
 * CPU, each with the fix; [] when none. Never throws. */
export function addonNotes(functionDir: string, packages: readonly ClosurePackage[], arch: Architecture): string[] {
  try {
    const root = resolve(functionDir);
    const notes: string[] = [];
    for (const pkg of packages) {
      const release = join(pkg.source, 'build', 'Release');
      if (!existsSync(join(pkg.source, 'binding.gyp')) || !existsSync(release)) continue;
      for (const name of readdirSync(release).filter((n) => n.endsWith('.node'))) {
        const report = inspectAddon(relative(root, join(release, name)), readFileSync(join(release, name)), arch, 'al2023');
        const abi = typeof report.abi === 'number' && report.abi !== RUNTIME_NODE_MODULE_VERSION;
        if (abi || report.problems.some((p) => p.startsWith('built for ') && !p.includes('NODE_MODULE_VERSION'))) {
          notes.push(
            `warning: ${pkg.name}'s ${name} is ${report.problems.filter((p) => p.startsWith('built for ')).join('; ')}: it will not load; run \`lambda-bootstrap rebuild${root === process.cwd() ? '' : ` ${relative(process.cwd(), root) || '.'}`}\` to compile it for Node ${RUNTIME_NODE_MAJOR} (docs/native-addons.md)`,
          );
        }
      }
    }
    return notes;
  } catch {
    return [];
  }
}
