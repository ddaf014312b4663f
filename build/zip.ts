// Zip files for Lambda (the layer zip, the function zip), written with yazl and made
// reproducible: entries in the order given, every timestamp the DOS epoch (1980-01-01 00:00, no
// extended-timestamp field), explicit Unix modes in the external attributes (Lambda keeps
// `bootstrap` executable only if its entry says 0755), deflate at zlib's default level (level 9
// saves 0.1 MB on the 104 MB binary and takes three times as long).
import { Buffer } from 'node:buffer';
import yazl from 'yazl';

export type ZipEntry = { name: string; data: Buffer; mode: number };

/** Mode of an executable file in a zip entry: regular file, rwxr-xr-x. */
export const EXECUTABLE_MODE = 0o100755;
/** Mode of any other file: regular file, rw-r--r--. */
export const FILE_MODE = 0o100644;

// Local time on purpose: a DOS timestamp has no zone, and yazl converts with the local fields.
const DOS_EPOCH = new Date(1980, 0, 1, 0, 0, 0);

/** The zip of `entries`, byte for byte the same for the same entries. Errors: yazl's (a bad name). */
export async function writeZip(entries: ZipEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    zip.addBuffer(entry.data, entry.name, { mtime: DOS_EPOCH, mode: entry.mode, compress: true, forceDosTimestamp: true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
