// `invoke`, `serve` and `watch` run the function in place, where Node finds packages in parent
// folders and through links; on Lambda only the zip exists. This names, once at start, the
// packages the function gets from outside its folder, so that a working `invoke` is not taken as
// proof that the folder alone works (`package` copies them in and proves it, self-contained.ts).
import { resolve } from 'node:path';
import { handlerFile } from './bundle-function.ts';
import { dependencyClosure, shown } from './dependency-closure.ts';
import { scanImports } from './dependency-imports.ts';

/** One line naming the packages resolved from outside `functionDir`, or undefined. Never throws. */
export async function outsideDependencies(functionDir: string, handler: string): Promise<string | undefined> {
  try {
    const root = resolve(functionDir);
    const imports = await scanImports(handlerFile(root, handler));
    const outside = dependencyClosure(root, imports, false, false).packages.filter((p) => p.outside);
    if (outside.length === 0) return undefined;
    const list = outside.map((p) => `${p.name} (${shown(p.source, root)})`).join(', ');
    return `note: the function loads ${outside.length} package(s) from outside ${root}: ${list}; on Lambda only the zip exists: \`lambda-bootstrap package\` copies them in`;
  } catch {
    return undefined;
  }
}
