// Output files that are either the old or the complete new version, never a partial one: the
// bytes go to a temporary file in the same folder (same file system, so the rename is atomic),
// which is synced and then renamed over the output; on any failure the temporary file is removed
// and the error names the output path (Node's ENOSPC from write(2) names none). build/sea.ts does
// the same for the binary with its `.partial` file. Hand-written: npm's write-file-atomic takes
// the whole content in memory, and a zip is streamed (build/zip.ts shares the naming and the
// output check); these few lines are the whole technique.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A write that failed, its message naming the output path. */
export class OutputWriteError extends Error {
  override readonly name: string = 'OutputWriteError';
}

/**
 * The file a rename must replace for an output at `path`: `path` itself, or what a symbolic link
 * there points to (writing through the link, as writeFile would). Errors: OutputWriteError when
 * something other than a regular file is there (a folder, /dev/full, a socket): a rename would
 * replace it.
 */
export function outputTarget(path: string): string {
  let target = path;
  try {
    if (!lstatSync(path).isSymbolicLink()) target = path;
    else if (existsSync(path)) target = realpathSync(path);
    // A link to a file not there yet: the file it names is created, as writeFile would.
    else return resolve(dirname(path), readlinkSync(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw new OutputWriteError(`cannot write ${path}: ${describeError(error)}`);
  }
  const stat = statSync(target);
  if (!stat.isFile()) {
    const kind = stat.isDirectory() ? 'a folder' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'not a regular file';
    throw new OutputWriteError(`cannot write ${path}: it exists and is ${kind}; pass the path of a file to write`);
  }
  return target;
}

/** A fresh temporary name beside `path`: `.<name>.<pid>-<random>.partial`. */
export function temporaryPathBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.partial`);
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Writes `data` to `path` (mode 0644) atomically. Errors: OutputWriteError naming `path`. */
export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const target = outputTarget(path);
  const temporary = temporaryPathBeside(target);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw new OutputWriteError(`cannot write ${path}: ${describeError(error)}`);
  }
}
