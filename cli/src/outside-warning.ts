// `invoke`, `serve` and `watch` run the function in place, where Node finds packages in parent
// folders and through links; on Lambda only the zip exists. This names, once at start, the
// packages the function gets from outside its folder, so that a working `invoke` is not taken as
// proof that the folder alone works (`package` copies them in and proves it, package/self-contained.ts),
// and a node-gyp addon built for another Node than the runtime's (addon-notes.ts).
import { resolve, sep } from 'node:path';
import type { Architecture } from '../../build/arch.ts';
import { addonNotes } from './addon-notes.ts';
import { handlerFile } from './package/bundle-function.ts';
import { dependencyClosure, shown } from './package/dependency-closure.ts';
import { scanImports } from './package/dependency-imports.ts';

const NAMES_SHOWN = 6;

/** The node_modules folder a package was resolved in (`/p/node_modules/@s/x` → `/p/node_modules`), or its own folder (a link). */
function nodeModulesOf(source: string): string {
  const at = source.lastIndexOf(`${sep}node_modules${sep}`);
  return at < 0 ? source : source.slice(0, at + sep.length + 'node_modules'.length);
}

/** Lines to print before the function runs: the packages resolved from outside `functionDir`,
 * and node-gyp addons built for another Node (addon-notes.ts); [] when none. Never throws. */
export async function localNotes(functionDir: string, handler: string, arch: Architecture): Promise<string[]> {
  try {
    const root = resolve(functionDir);
    let imports: Awaited<ReturnType<typeof scanImports>> = [];
    try {
      imports = await scanImports(handlerFile(root, handler));
    } catch {
      // no handler module: the runtime says so
    }
    const packages = dependencyClosure(root, imports, false, false).packages;
    const notes: string[] = [];
    const outside = packages.filter((p) => p.outside);
    if (outside.length > 0) {
      // One line a reader can take in: the folders they come from, and the first few names (an
      // AWS SDK client alone brings some 25 packages).
      const folders = [...new Set(outside.map((p) => shown(nodeModulesOf(p.source), root)))];
      const names = outside.slice(0, NAMES_SHOWN).map((p) => p.name).join(', ') + (outside.length > NAMES_SHOWN ? `, and ${outside.length - NAMES_SHOWN} more` : '');
      notes.push(`note: the function loads ${outside.length} package(s) from outside ${root} (from ${folders.join(', ')}): ${names}; on Lambda only the zip exists: \`lambda-bootstrap package\` copies them in`);
    }
    return [...notes, ...addonNotes(root, packages, arch)];
  } catch {
    return [];
  }
}
