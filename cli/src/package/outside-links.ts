// Symbolic links in the function's own files whose target lies outside the function folder (an
// absolute link, `../shared`, a `file:` package linked into a subfolder): in the zip such a link
// would point at nothing in /var/task, so its target is copied in as real files instead. Links
// that stay inside the folder remain links (Lambda's unzip keeps them). A dangling link is left
// out and reported: there is nothing to copy and nothing Node could load through it.
// What is copied in passes the same screen as the folder's own files (package-files.ts): the
// function's rules on its zip name (`linked-dir/.env`), the secret and key rules on the target's
// real path (`deploy-key -> ~/.ssh/id_rsa`, `creds -> ~/.aws/`), and the owner-only rule; a
// link's name must not smuggle a secret past the rules its target's name would meet.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { EXECUTABLE_MODE, FILE_MODE, SYMLINK_MODE } from '../../../build/zip.ts';
import type { ZipEntry } from '../../../build/zip.ts';
import { DEFAULT_RULES, REASONS } from './package-files.ts';
import type { LeftOut } from './package-files.ts';

export { SYMLINK_MODE };

export interface LinkReport {
  entries: ZipEntry[];
  /** `name -> target` of each link copied in as files (at least one of them shipped). */
  copied: string[];
  /** `name -> target` of each dangling link left out. */
  dangling: string[];
  /** Files a copied link would have brought in that the rules leave out, with the reason. */
  leftOut: LeftOut[];
}

/** The default rules that name secrets and keys, matched against a link target's real path: the
 * others (caches, litter, version control) could match a harmless ancestor folder of it. */
const SECRET_RULES = ignore().add(DEFAULT_RULES.filter(([reason]) => reason === 'secret' || reason === 'key').flatMap(([reason, patterns]) => patterns.map((pattern) => ({ pattern, mark: REASONS[reason] }))));

/** Why the file `target` (real path), shipped as `zipName`, stays out, or undefined. `rules`: the
 * function's own (package-files.ts fileRules); an `--include` of the zip name puts it back. */
function screen(zipName: string, target: string, stat: Stats, rules: Ignore): string | undefined {
  const own = rules.test(zipName);
  if (own.ignored) return own.rule?.mark ?? 'excluded';
  if (own.unignored) return undefined;
  const real = SECRET_RULES.test(target.slice(1));
  if (real.ignored) return `${real.rule?.mark ?? 'excluded'} (the link's target ${target})`;
  if ((stat.mode & 0o077) === 0) return `readable only by its owner (mode 0${(stat.mode & 0o777).toString(8)}; the link's target ${target})`;
  return undefined;
}

const isInside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep);

/** Copies the files under `dir` (links followed, cycles cut) as entries below `zipDir`, those the
 * rules leave out into `leftOut`. */
function copyTree(dir: string, zipDir: string, out: ZipEntry[], seen: Set<string>, rules: Ignore, leftOut: LeftOut[]): void {
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
    if (stat.isDirectory()) {
      const verdict = rules.test(`${zipDir}/${name}/`);
      if (verdict.ignored) leftOut.push({ name: `${zipDir}/${name}/`, reason: verdict.rule?.mark ?? 'excluded' });
      else copyTree(path, `${zipDir}/${name}`, out, seen, rules, leftOut);
    } else if (stat.isFile()) copyFile(`${zipDir}/${name}`, realpathSync(path), stat, out, rules, leftOut);
  }
  seen.delete(real);
}

function copyFile(zipName: string, target: string, stat: Stats, out: ZipEntry[], rules: Ignore, leftOut: LeftOut[]): void {
  const reason = screen(zipName, target, stat, rules);
  if (reason !== undefined) leftOut.push({ name: zipName, reason });
  else out.push({ name: zipName, file: target, size: stat.size, mode: (stat.mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE });
}

/**
 * `entries` (the function's files, from `functionDir`, absolute) with every link that leaves the
 * folder replaced by copies of what it points at, screened by `rules` (the function's file rules,
 * package-files.ts fileRules) as above. Errors: fs errors reading a target.
 */
export function replaceOutsideLinks(functionDir: string, entries: ZipEntry[], rules: Ignore): LinkReport {
  const root = realpathSync(resolve(functionDir));
  const out: ZipEntry[] = [];
  const copied: string[] = [];
  const dangling: string[] = [];
  const leftOut: LeftOut[] = [];
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
    const before = out.length;
    const stat = statSync(target);
    if (stat.isDirectory()) {
      const own = rules.test(`${entry.name}/`);
      const real = SECRET_RULES.test(`${target.slice(1)}/`);
      if (own.ignored || (!own.unignored && real.ignored)) {
        leftOut.push({ name: `${entry.name}/`, reason: own.ignored ? (own.rule?.mark ?? 'excluded') : `${real.rule?.mark ?? 'excluded'} (the link's target ${target})` });
      } else copyTree(target, entry.name, out, new Set([root]), rules, leftOut);
    } else copyFile(entry.name, target, stat, out, rules, leftOut);
    if (out.length > before) copied.push(`${entry.name} -> ${text}`);
  }
  return { entries: out, copied, dangling, leftOut };
}
