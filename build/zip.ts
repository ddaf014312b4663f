// Zip files for Lambda (the layer zip, the function zip), written with yazl and made
// reproducible: entries in the order given, every timestamp the DOS epoch (1980-01-01 00:00, no
// extended-timestamp field), explicit Unix modes in the external attributes (Lambda keeps
// `bootstrap` executable only if its entry says 0755), deflate at zlib's default level (level 9
// saves 0.1 MB on the 104 MB binary and takes three times as long).
//
// A file on disk is streamed into the zip (yazl's addReadStreamLazy: opened when its turn comes,
// read in 64 KiB chunks, so memory stays flat for any size and a thousand files never hold a
// thousand descriptors); yazl switches an entry, and the end record, to zip64 on its own when a
// size or an offset passes 4 GiB or there are 65,535 entries or more. writeZipFile writes to a
// temporary file beside the output and renames it over the output only once it is complete and
// synced, as build/sea.ts does for the binary: a full disk or a killed build leaves the previous
// zip in place, never a truncated one.
import { Buffer } from 'node:buffer';
import { closeSync, createReadStream, createWriteStream, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import yazl from 'yazl';
import { OutputWriteError, describeError as describe, outputTarget, temporaryPathBeside } from './atomic-write.ts';

export { writeFileAtomically } from './atomic-write.ts';

/** One zip entry: its bytes in memory (`data`), or a file streamed from disk (`file`, `size` bytes as stat saw it). */
export type ZipEntry = { name: string; mode: number } & ({ data: Buffer; file?: undefined } | { file: string; size: number; data?: undefined });

/** Mode of an executable file in a zip entry: regular file, rwxr-xr-x. */
export const EXECUTABLE_MODE = 0o100755;
/** Mode of any other file: regular file, rw-r--r--. */
export const FILE_MODE = 0o100644;
/** Mode of a symbolic link entry (its data is the link's target). */
export const SYMLINK_MODE = 0o120777;

/** A write or read failure, its message naming the path it concerns. */
export class ZipWriteError extends OutputWriteError {
  override readonly name: string = 'ZipWriteError';
}

// Local time on purpose: a DOS timestamp has no zone, and yazl converts with the local fields.
const DOS_EPOCH = new Date(1980, 0, 1, 0, 0, 0);

/** Bytes an entry adds once unzipped. */
export function entrySize(entry: ZipEntry): number {
  return entry.data === undefined ? entry.size : entry.data.length;
}

/** yazl's archive of `entries`; errors (a bad name, an unreadable file) are rethrown naming the entry's path. */
function archive(entries: ZipEntry[], fail: (error: Error) => void): yazl.ZipFile {
  const zip = new yazl.ZipFile();
  // yazl's own check of a streamed size ("unexpected number of bytes": the file changed since the
  // walk) names no file; entries are streamed one at a time, in order, so the last opened is it.
  let current: string | undefined;
  zip.on('error', (error: unknown) => {
    fail(error instanceof ZipWriteError ? error : new ZipWriteError(`${describe(error)}${current === undefined ? '' : ` (${current})`}`));
  });
  for (const entry of entries) {
    const options = { mtime: DOS_EPOCH, mode: entry.mode, compress: true, forceDosTimestamp: true };
    try {
      if (entry.data !== undefined) {
        zip.addBuffer(entry.data, entry.name, options);
        continue;
      }
      const { file, size } = entry;
      zip.addReadStreamLazy(entry.name, { ...options, size }, (callback) => {
        current = file;
        const stream = createReadStream(file);
        // yazl pipes the stream without listening for its errors: a file removed or made
        // unreadable since the walk would otherwise hang the zip.
        stream.on('error', (error) => zip.emit('error', new ZipWriteError(`cannot read ${file}: ${describe(error)}`)));
        callback(null, stream);
      });
    } catch (error) {
      throw new ZipWriteError(`cannot add ${entry.data === undefined ? entry.file : entry.name} to the zip as "${entry.name}": ${describe(error)}`);
    }
  }
  zip.end();
  return zip;
}

/** The zip of `entries` in memory, byte for byte the same for the same entries. Errors: ZipWriteError. */
export async function writeZip(entries: ZipEntry[]): Promise<Buffer> {
  let failed: Error | undefined;
  const zip = archive(entries, (error) => {
    failed ??= error;
    (zip.outputStream as unknown as NodeJS.ReadableStream & { destroy(error: Error): void }).destroy(error);
  });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (error) {
    throw failed ?? error;
  }
  if (failed !== undefined) throw failed;
  return Buffer.concat(chunks);
}

export interface WrittenZip {
  path: string;
  bytes: number;
}

/**
 * Writes the zip of `entries` to `path` (mode 0644) through a temporary file in the same folder,
 * renamed over `path` only when complete and synced; `check` sees the finished size and the
 * complete temporary file first (package's init check unpacks it) and may refuse it (its Error,
 * returned or thrown, is thrown, the old `path` untouched). Errors: ZipWriteError naming `path`
 * (no space, read-only, a folder in the way) or the input file that failed; the temporary file is
 * removed in every case.
 */
export async function writeZipFile(entries: ZipEntry[], path: string, check?: (bytes: number, temporary: string) => Error | undefined | Promise<Error | undefined>): Promise<WrittenZip> {
  let target: string;
  try {
    mkdirSync(dirname(path), { recursive: true });
    target = outputTarget(path);
  } catch (error) {
    throw error instanceof ZipWriteError ? error : new ZipWriteError(error instanceof OutputWriteError ? error.message : `cannot write ${path}: ${describe(error)}`);
  }
  const temporary = temporaryPathBeside(target);
  let bytes = 0;
  try {
    // The stream owns its descriptor and closes it on success and on error alike; 'close' is
    // awaited either way, so no write of a failed zip is still in flight on a reused descriptor.
    const out = createWriteStream(temporary, { flags: 'wx', mode: 0o644 });
    await new Promise<void>((resolveWrite, rejectWrite) => {
      let failure: Error | undefined;
      const fail = (error: Error): void => {
        failure ??= error;
        out.destroy();
      };
      out.on('error', (error) => fail(new ZipWriteError(`cannot write ${path}: ${describe(error)}`)));
      out.on('close', () => (failure === undefined ? resolveWrite() : rejectWrite(failure)));
      const zip = archive(entries, fail);
      zip.outputStream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      zip.outputStream.pipe(out);
    });
    const refused = await check?.(bytes, temporary);
    if (refused !== undefined) throw refused;
    try {
      // fsync through a second descriptor flushes the file's data all the same (Linux).
      const fd = openSync(temporary, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, target);
    } catch (error) {
      throw new ZipWriteError(`cannot write ${path}: ${describe(error)}`);
    }
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return { path, bytes };
}
