// `invoke`, `serve` and `watch` run the function in place, where Node finds packages in parent
// folders and through links; on Lambda only the zip exists. This names, once at start, the
// packages the function gets from outside its folder, so that a working `invoke` is not taken as
// proof that the folder alone works (`package` copies them in and proves it, package/self-contained.ts),
// and a node-gyp addon built for another Node than the runtime's (addon-notes.ts).
import { resolve } from 'node:path';
import type { Architecture } from '../../build/arch.ts';
import { addonNotes } from './addon-notes.ts';
import { handlerFile } from './package/bundle-function.ts';
import { dependencyClosure, shown } from './package/dependency-closure.ts';
import { scanImports } from './package/dependency-imports.ts';

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
      const list = outside.map((p) => `${p.name} (${shown(p.source, root)})`).join(', ');
      notes.push(`note: the function loads ${outside.length} package(s) from outside ${root}: ${list}; on Lambda only the zip exists: \`lambda-bootstrap package\` copies them in`);
    }
    return [...notes, ...addonNotes(root, packages, arch)];
  } catch {
    return [];
  }
}
