// Which files of a function folder go into its zip (`lambda-bootstrap package`, docs/packaging.md).
// The walk turns every entry it finds into one of: a zip entry under its own name (a regular
// file, streamed later; a symbolic link, stored as a link), a line of what was left out and why,
// or a refusal that names it. Left out by default: local secrets, private keys and certificates,
// version control, editor, OS and cache litter (DEFAULT_RULES), and files only their owner may
// read; then the function's `.lambdaignore` (gitignore syntax), `--exclude` and `--include`, in
// that order, the last matching rule winning as in git. Rules are matched by the `ignore` package
// (the parser ESLint and Prettier use), tested per folder so an excluded folder is never read.
import { TextDecoder } from 'node:util';
import { accessSync, constants, existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import ignore from 'ignore';
import type { Ignore } from 'ignore';
import { EXECUTABLE_MODE, FILE_MODE, SYMLINK_MODE } from '../../../build/zip.ts';
import type { ZipEntry } from '../../../build/zip.ts';
import { ToolError } from '../build-binary.ts';

/** The ignore file read from the function folder's root. */
export const IGNORE_FILE = '.lambdaignore';

/** Why a default rule leaves files out: the words printed in the left-out list. */
export type DefaultReason = 'secret' | 'key' | 'vcs' | 'litter' | 'cache';

export const REASONS: Record<DefaultReason, string> = {
  secret: 'local secrets and credentials',
  key: 'private keys and certificates',
  vcs: 'version control',
  litter: 'editor and OS files',
  cache: 'caches and tool state',
};

/**
 * What every `package` leaves out, in gitignore syntax (a pattern without a slash matches at any
 * depth; a trailing slash matches folders only). Sources: the Serverless Framework's default
 * excludes (.git, .DS_Store, npm-debug.log, .serverless, .env* with useDotenv), `npm pack`'s
 * always-ignored files (.npmrc, .git, .hg, .svn, CVS, *.orig, .*.swp, .DS_Store, ._*), and the
 * credential files of the AWS CLI, npm, yarn, git, ssh, gpg, Docker, kubectl, Terraform, Vault,
 * s3cmd, boto, Apache (.htpasswd) and KeePass (*.kdbx); *.p8 is Apple's and Google's key format.
 */
export const DEFAULT_RULES: readonly (readonly [DefaultReason, readonly string[]])[] = [
  ['secret', ['.env', '.env.*', '.envrc', '.npmrc', '.yarnrc', '.yarnrc.yml', '.netrc', '.git-credentials', '.pgpass', '.pypirc', '.vault-token', '.s3cfg', '.boto', '.terraformrc', '.htpasswd', '*.kdbx', '.aws/', '.azure/', '.ssh/', '.gnupg/', '.docker/', '.kube/', '**/.config/gcloud/', '*.tfstate', '*.tfstate.*', '*.tfvars', '.*_history']],
  ['key', ['*.pem', '*.key', '*.p12', '*.pfx', '*.jks', '*.keystore', '*.ppk', '*.crt', '*.cer', '*.der', '*.csr', '*.gpg', '*.asc', '*.p8', 'id_rsa*', 'id_dsa*', 'id_ecdsa*', 'id_ed25519*']],
  ['vcs', ['.git', '.hg/', '.svn/', '.bzr/', 'CVS/', '.jj/']],
  ['litter', ['.DS_Store', '._*', 'Thumbs.db', 'desktop.ini', '*.swp', '*.swo', '.*.sw?', '*~', '.#*', '\\#*#', '*.orig', '*.rej', '.vscode/', '.idea/', '.fleet/', '*.sublime-project', '*.sublime-workspace']],
  ['cache', ['.cache/', '.npm/', '.eslintcache', '.nyc_output/', '.parcel-cache/', '.turbo/', '.serverless/', '.aws-sam/', 'cdk.out/', '.terraform/', 'npm-debug.log*', 'yarn-debug.log*', 'yarn-error.log*', '.pnpm-debug.log*', 'lerna-debug.log*', '.*.partial', IGNORE_FILE]],
];

/**
 * Names that often hold a credential but that a function may need at run time (a Google service
 * account key for firebase-admin, a client's credentials file), so they ship: `package` warns for
 * each one it zips, outside node_modules/ (the file name, never its content).
 */
const SUSPECT_NAMES = /(?:^|[-_.])(?:credentials?|secrets?|service[-_]?account|private[-_]?key|token)(?:[-_.][\w-]*)?\.(?:json|ya?ml|toml|ini|txt|cfg|conf|properties)$/i;

/** The zipped files (by zip name) whose names look like credentials (SUSPECT_NAMES), outside node_modules/. */
export function suspectedSecrets(entries: readonly ZipEntry[]): string[] {
  return entries.map((entry) => entry.name).filter((name) => !name.split('/').includes('node_modules') && SUSPECT_NAMES.test(name.slice(name.lastIndexOf('/') + 1)));
}

export interface FileRules {
  /** Patterns in gitignore syntax to leave out (`--exclude`), after the defaults and .lambdaignore. */
  exclude?: readonly string[];
  /** Patterns to put back (`--include`), after everything else: `--include .env.example`. */
  include?: readonly string[];
}

export interface WalkOptions extends FileRules {
  /** Absolute paths never zipped: the output zip, devDependencies' folders. */
  skip?: readonly string[];
  /** Absolute folders of the tool (its output folder; any `.lambda-bootstrap` too): only compile-cache/ ships from them. */
  toolDirs?: readonly string[];
  shipCompileCache?: boolean;
  /** Zip names reserved for the runtime's own files ('bootstrap'): a file or folder of the function there is refused. */
  reserved?: readonly string[];
}

export interface LeftOut {
  /** The path relative to the function folder, '/'-separated; a folder ends with '/'. */
  name: string;
  reason: string;
}

export interface FunctionFiles {
  /** Zip entries, sorted by name: files streamed from disk (`file`), links as links. */
  entries: ZipEntry[];
  leftOut: LeftOut[];
  /** Files shipped readable by the function although only their owner may read them on disk (put back with --include). */
  widened: string[];
  /** Sum of the files' sizes (bytes), as stat reported them. */
  bytes: number;
}

const TOOL_DIR = '.lambda-bootstrap';
const SHIPPED_FROM_TOOL_DIR = 'compile-cache';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A name as the user should read it: invalid UTF-8 bytes as \xNN. */
export function printableName(raw: Buffer): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    let end = i + 1;
    // The longest valid UTF-8 sequence starting at i (at most 4 bytes).
    let decoded: string | undefined;
    for (let len = Math.min(4, raw.length - i); len >= 1; len--) {
      try {
        decoded = UTF8.decode(raw.subarray(i, i + len));
        end = i + len;
        break;
      } catch {
        // shorter
      }
    }
    out += decoded ?? `\\x${raw[i]!.toString(16).padStart(2, '0')}`;
    i = decoded === undefined ? i + 1 : end;
  }
  return out;
}

function validUtf8(raw: Buffer): boolean {
  try {
    UTF8.decode(raw);
    return true;
  } catch {
    return false;
  }
}

/** A gitignore pattern that matches exactly `name` (relative, '/'-separated), whatever characters it holds. */
export function exactPattern(name: string): string {
  const escaped = name.replace(/[\\*?[\]]/g, (c) => `\\${c}`).replace(/ $/, '\\ ');
  return `/${escaped.replace(/^[#!]/, (c) => `\\${c}`)}`;
}

/** The rules in force for a function folder, each rule marked with the reason it prints. */
export function fileRules(root: string, rules: FileRules = {}): Ignore {
  const ig = ignore();
  for (const [reason, patterns] of DEFAULT_RULES) ig.add(patterns.map((pattern) => ({ pattern, mark: REASONS[reason] })));
  const file = join(root, IGNORE_FILE);
  if (existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ToolError(`package: cannot read ${file}: ${(error as Error).message}`);
    }
    for (const line of text.split(/\r?\n/)) ig.add({ pattern: line, mark: `${IGNORE_FILE}: ${line.trim()}` });
  }
  for (const pattern of rules.exclude ?? []) ig.add({ pattern, mark: `--exclude ${pattern}` });
  for (const pattern of rules.include ?? []) ig.add({ pattern: pattern.startsWith('!') ? pattern.slice(1) : `!${pattern}`, mark: `--include ${pattern}` });
  return ig;
}

function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a named pipe';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The function folder `functionDir` (a symbolic link to a folder is followed, as `invoke` and
 * `serve` follow it) as zip entries. Errors: ToolError naming the entry, for a name the zip
 * cannot hold as it is (not UTF-8; a backslash, which zip tools read as a folder separator; a
 * drive prefix), a file that cannot be read, a file or folder at a reserved name.
 */
export function functionFiles(functionDir: string, options: WalkOptions = {}): FunctionFiles {
  const given = resolve(functionDir);
  let stat: Stats | undefined;
  try {
    stat = statSync(given);
  } catch {
    // reported below
  }
  if (stat === undefined || !stat.isDirectory()) throw new ToolError(`package: ${given} is not a folder: pass the folder that holds your handler's code`);
  // The output zip and the tool folders are compared with real paths: the folder may be a link.
  const root = realpathSync(given);
  const real = (path: string): string => {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  };
  const skip = new Set((options.skip ?? []).map(real));
  const toolDirs = new Set((options.toolDirs ?? []).map((dir) => (existsSync(dir) ? realpathSync(dir) : dir)));
  const ig = fileRules(root, options);
  const entries: ZipEntry[] = [];
  const leftOut: LeftOut[] = [];
  const widened: string[] = [];
  let bytes = 0;

  const refuse = (name: string, why: string): never => {
    const pattern = exactPattern(name);
    throw new ToolError(`package: ${join(given, name)}: ${why}; rename it, or leave it out with --exclude '${pattern.replace(/'/g, "'\\''")}' or the line ${pattern} in ${IGNORE_FILE}`);
  };
  const walk = (dir: string, prefix: string, insideNodeModules: boolean): void => {
    const inToolDir = toolDirs.has(dir) || basename(dir) === TOOL_DIR;
    let names: Buffer[];
    try {
      names = readdirSync(dir, { encoding: 'buffer' });
    } catch (error) {
      throw new ToolError(`package: cannot read the folder ${dir}: ${(error as Error).message}`);
    }
    for (const raw of names.sort(Buffer.compare)) {
      const path = Buffer.concat([Buffer.from(dir + sep), raw]);
      const shown = printableName(raw);
      const name = prefix + shown;
      if (inToolDir && (shown !== SHIPPED_FROM_TOOL_DIR || options.shipCompileCache === false)) continue;
      const textPath = path.toString();
      if (skip.has(textPath)) continue;
      const entry = lstatSync(path);
      const isDir = entry.isDirectory();
      const verdict = ig.test(isDir ? `${name}/` : name);
      if (verdict.ignored) {
        leftOut.push({ name: isDir ? `${name}/` : name, reason: verdict.rule?.mark ?? 'excluded' });
        continue;
      }
      if (!validUtf8(raw)) refuse(name, 'the name is not valid UTF-8, and a zip for Lambda holds UTF-8 names (Node on Lambda reads names as UTF-8)');
      if (shown.includes('\\')) refuse(name, 'a backslash in a name is read as a folder separator by zip tools (Windows, yazl), so the zip would hold another tree');
      if (prefix === '' && /^[A-Za-z]:/.test(shown)) refuse(name, 'a name starting with a drive letter and a colon reads as an absolute Windows path to zip tools');
      const reserved = (options.reserved ?? []).find((r) => name === r || name.startsWith(`${r}/`) || r.startsWith(`${name}/`));
      if (reserved !== undefined) {
        throw new ToolError(`package: ${given} already has ${isDir ? 'a folder' : 'a file'} ${name}${isDir ? '/' : ''}, where the zip puts the runtime's own ${reserved}: rename or remove yours`);
      }
      if (entry.isSymbolicLink()) {
        entries.push({ name, data: Buffer.from(readlinkSync(path)), mode: SYMLINK_MODE });
      } else if (isDir) {
        walk(textPath, `${name}/`, insideNodeModules || shown === 'node_modules');
      } else if (entry.isFile()) {
        const verdictPutBack = verdict.unignored;
        // A file only its owner may read is a key or a token more often than not (ssh-keygen,
        // the AWS CLI and gpg write 0600). Packages from a registry are exempt: umask 077
        // installs every one of them 0600. Put back, it ships 0644: "Lambda requires global read
        // permissions on code files" (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html#troubleshooting-deployment-denied).
        if ((entry.mode & 0o077) === 0 && !insideNodeModules) {
          if (!verdictPutBack) {
            leftOut.push({ name, reason: `readable only by its owner (mode 0${(entry.mode & 0o777).toString(8)})` });
            continue;
          }
          widened.push(`${name} (0${(entry.mode & 0o777).toString(8)})`);
        }
        try {
          accessSync(path, constants.R_OK);
        } catch (error) {
          refuse(name, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
        }
        entries.push({ name, file: textPath, size: entry.size, mode: (entry.mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE });
        bytes += entry.size;
      } else {
        leftOut.push({ name, reason: `${kindOf(entry)}, which a zip cannot hold` });
      }
    }
  };
  walk(root, '', false);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { entries, leftOut, widened, bytes };
}

/** The left-out list as printed lines, grouped by reason (at most `max` names each). */
export function leftOutLines(leftOut: readonly LeftOut[], max = 12): string[] {
  const byReason = new Map<string, string[]>();
  for (const { name, reason } of leftOut) byReason.set(reason, [...(byReason.get(reason) ?? []), name]);
  return [...byReason].map(([reason, names]) => `  ${reason}: ${names.slice(0, max).join(', ')}${names.length > max ? `, and ${names.length - max} more` : ''}`);
}
