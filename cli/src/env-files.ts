// `--env-file <file>` (repeatable) on every command that runs the function: dotenv files read with
// Node's own parser, util.parseEnv (the parser behind `node --env-file` and process.loadEnvFile:
// comments, single/double/backtick quotes, multi-line quoted values, an optional `export ` prefix).
// Node's parser rather than a hand-written one or the dotenv package: the function's developers
// already use `node --env-file`, and the same file must mean the same environment here.
// util.parseEnv is in Node 20.12+ and 21.7+; the tool supports Node >= 20, so an older 20.x gets a
// clear error naming the version instead of a different parser's reading of the file.
import { readFileSync } from 'node:fs';
import util from 'node:util';
import { ToolError } from './build-binary.ts';

type ParseEnv = (content: string) => Record<string, string>;

/**
 * The variables of the dotenv files in `files`, in order: a later file's value wins over an
 * earlier one's (as `node --env-file a --env-file b` does). `--env` flags are applied on top of
 * this by the caller. Values are never printed: errors name the file and the reason only.
 * Errors: ToolError when a file cannot be read (missing, a folder, unreadable) or util.parseEnv is
 * missing (Node < 20.12).
 */
export function envFromFiles(files: readonly string[]): Record<string, string> {
  if (files.length === 0) return {};
  const parseEnv = (util as unknown as { parseEnv?: ParseEnv }).parseEnv;
  if (typeof parseEnv !== 'function') {
    throw new ToolError(`--env-file needs Node.js 20.12 or later (util.parseEnv); this is ${process.version}: upgrade Node, or pass the variables with --env NAME=VALUE`);
  }
  const env: Record<string, string> = {};
  for (const file of files) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder, not a file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
      throw new ToolError(`cannot read --env-file ${file}: ${reason} (pass a dotenv file of NAME=VALUE lines, e.g. --env-file .env)`);
    }
    Object.assign(env, parseEnv(content));
  }
  return env;
}
