// Symbolic links in the function's own files whose target lies outside the function folder (an
// absolute link, `../shared`, a `file:` package linked into a subfolder): in the zip such a link
// would point at nothing in /var/task, so its target is copied in as real files instead. Links
// that stay inside the folder remain links (Lambda's unzip keeps them). A dangling link is left
// out and reported: there is nothing to copy and nothing Node could load through it.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { EXECUTABLE_MODE, FILE_MODE, SYMLINK_MODE } from '../../../build/zip.ts';
import type { ZipEntry } from '../../../build/zip.ts';

export { SYMLINK_MODE };

export interface LinkReport {
  entries: ZipEntry[];
  /** `name -> target` of each link copied in as files. */
  copied: string[];
  /** `name -> target` of each dangling link left out. */
  dangling: string[];
}

const isInside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep);

/** Copies the files under `dir` (links followed, cycles cut) as entries below `zipDir`. */
function copyTree(dir: string, zipDir: string, out: ZipEntry[], seen: Set<string>): void {
  const real = realpathSync(dir);
  if (seen.has(real)) return;
  seen.add(real);
  for (const name of readdirSync(dir).sort()) {
    if (name === '.git') continue;
    const path = join(dir, name);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      continue;
    }
    if (stat.isDirectory()) copyTree(path, `${zipDir}/${name}`, out, seen);
    else if (stat.isFile()) out.push({ name: `${zipDir}/${name}`, file: path, size: stat.size, mode: (stat.mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE });
  }
  seen.delete(real);
}

/**
 * `entries` (the function's files, from `functionDir`, absolute) with every link that leaves the
 * folder replaced by copies of what it points at. Errors: fs errors reading a target.
 */
export function replaceOutsideLinks(functionDir: string, entries: ZipEntry[]): LinkReport {
  const root = realpathSync(resolve(functionDir));
  const out: ZipEntry[] = [];
  const copied: string[] = [];
  const dangling: string[] = [];
  for (const entry of entries) {
    if ((entry.mode & 0o170000) !== 0o120000) {
      out.push(entry);
      continue;
    }
    const path = join(root, ...entry.name.split('/'));
    const text = entry.data?.toString() ?? '';
    let target: string;
    try {
      target = realpathSync(path);
    } catch {
      dangling.push(`${entry.name} -> ${text}`);
      continue;
    }
    // A relative link inside the folder, to something inside it: kept as it is.
    if (!text.startsWith('/') && isInside(resolve(dirname(path), text), root) && isInside(target, root)) {
      out.push(entry);
      continue;
    }
    copied.push(`${entry.name} -> ${text}`);
    const stat = statSync(target);
    if (stat.isDirectory()) copyTree(target, entry.name, out, new Set([root]));
    else out.push({ name: entry.name, file: target, size: stat.size, mode: (stat.mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE });
  }
  return { entries: out, copied, dangling };
}
