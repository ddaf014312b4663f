// `--layer <dir|zip>` (repeatable) on every command that runs the function: the function's layers
// as Lambda lays them out in /opt, without touching the machine's /opt. Lambda extracts each
// layer's zip into /opt in the function's layer order, a later layer's file replacing an earlier
// one's (AWS docs, "Packaging your layer content": "layers are extracted in the order listed, …
// files in later layers can overwrite files from earlier layers"). Locally the same happens in a
// temporary folder, the local /opt, which:
// - the runtime's managed NODE_PATH uses instead of /opt (src/node-path.ts, _LAMBDA_BOOTSTRAP_OPT_DIR):
//   nodejs/node24/node_modules (nodejs/node26/… for the Node 26 binary), then nodejs/node_modules;
// - PATH and LD_LIBRARY_PATH end with its bin/ and lib/, as Lambda's end with /opt/bin and /opt/lib;
// - provides the runtime when a layer has a `bootstrap` and no --bootstrap was given (on Lambda
//   a provided.al2023 function without its own bootstrap runs /opt/bootstrap);
// A folder layer is its contents (what its zip would hold); its files are hard-linked into the
// local /opt (copied across file systems), so a module's real path is inside the merged view, as
// on Lambda. Zips are read with yauzl (names that would leave the folder are refused by it). The
// view is made once per command: a change to a layer needs a restart, also under `watch`.
import { chmodSync, copyFileSync, createWriteStream, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { ToolError } from './build-binary.ts';

/** The merged layers: `dir` stands in for /opt. */
export interface LocalOpt {
  dir: string;
  /** `dir`/bootstrap when a layer provides one (executable). */
  bootstrap: string | undefined;
  /** Removes the folder (also done when the process exits). */
  dispose(): void;
}

/**
 * Merges `layers` (folders or .zip files, in Lambda's order: later wins) into a new temporary
 * folder. Errors: ToolError naming the layer when it does not exist, is neither a folder nor a zip,
 * or its zip cannot be read.
 */
export async function mergeLayers(layers: readonly string[]): Promise<LocalOpt> {
  const dir = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-opt-'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', dispose);
  try {
    for (const layer of layers) {
      const path = resolve(layer);
      let stat;
      try {
        stat = statSync(path);
      } catch {
        throw new ToolError(`--layer ${layer}: no such file or folder (pass a layer's folder, with e.g. nodejs/node_modules inside, or its .zip)`);
      }
      if (stat.isDirectory()) mergeFolder(path, dir);
      else if (stat.isFile()) await extractZip(path, dir, layer);
      else throw new ToolError(`--layer ${layer}: neither a folder nor a zip file`);
    }
  } catch (error) {
    dispose();
    throw error;
  }
  const bootstrap = join(dir, 'bootstrap');
  let executable = false;
  try {
    executable = lstatSync(bootstrap).isFile() && (statSync(bootstrap).mode & 0o111) !== 0;
  } catch {
    executable = false;
  }
  return { dir, bootstrap: executable ? bootstrap : undefined, dispose };
}

/**
 * The external extensions of the merged layers: the executable files in extensions/, in name
 * order (Lambda starts every file of /opt/extensions). Errors: none (no folder, no extensions).
 */
export function layerExtensions(opt: string): string[] {
  const dir = join(opt, 'extensions');
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.map((name) => join(dir, name)).filter((path) => {
    try {
      const stat = statSync(path);
      return stat.isFile() && (stat.mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

/** The environment the local /opt adds for the function (its PATH and LD_LIBRARY_PATH as given). */
export function optEnvironment(opt: string, path: string | undefined, ldLibraryPath: string | undefined): Record<string, string> {
  return {
    _LAMBDA_BOOTSTRAP_OPT_DIR: opt,
    PATH: `${path ?? '/usr/local/bin:/usr/bin:/bin'}:${opt}/bin`,
    LD_LIBRARY_PATH: ldLibraryPath === undefined || ldLibraryPath === '' ? `${opt}/lib` : `${ldLibraryPath}:${opt}/lib`,
  };
}

/** Replaces `target` (a file or link an earlier layer left) before a later layer's file goes there. */
function clear(target: string): void {
  try {
    const stat = lstatSync(target);
    if (stat.isDirectory()) rmSync(target, { recursive: true, force: true });
    else unlinkSync(target);
  } catch {
    // nothing there yet
  }
}

function mergeFolder(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      const existing = lstatSync(target, { throwIfNoEntry: false });
      if (existing !== undefined && !existing.isDirectory()) clear(target);
      mkdirSync(target, { recursive: true });
      mergeFolder(source, target);
    } else if (entry.isSymbolicLink()) {
      clear(target);
      symlinkSync(readlinkSync(source), target);
    } else if (entry.isFile()) {
      clear(target);
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
        chmodSync(target, statSync(source).mode & 0o7777);
      }
    }
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

function extractZip(zipPath: string, to: string, label: string): Promise<void> {
  return new Promise((resolveDone, reject) => {
    const fail = (error: Error): void => reject(new ToolError(`--layer ${label}: cannot read it as a zip: ${error.message}`));
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (openError: Error | null, zip: ZipFile | undefined) => {
      if (openError !== null || zip === undefined) return fail(openError ?? new Error('not a zip'));
      zip.on('error', fail);
      zip.on('end', () => resolveDone());
      zip.on('entry', (entry: Entry) => {
        const target = join(to, entry.fileName);
        const mode = (entry.externalFileAttributes >>> 16) & 0xffff;
        const kind = mode & S_IFMT;
        if (entry.fileName.endsWith('/') || kind === S_IFDIR) {
          const existing = lstatSync(target, { throwIfNoEntry: false });
          if (existing !== undefined && !existing.isDirectory()) clear(target);
          mkdirSync(target, { recursive: true });
          return zip.readEntry();
        }
        zip.openReadStream(entry, (streamError: Error | null, stream) => {
          if (streamError !== null || stream === undefined) return fail(streamError ?? new Error(`cannot read ${entry.fileName}`));
          mkdirSync(dirname(target), { recursive: true });
          clear(target);
          if (kind === S_IFLNK) {
            const chunks: Buffer[] = [];
            stream.on('data', (chunk: Buffer) => chunks.push(chunk));
            stream.on('error', fail);
            stream.on('end', () => {
              symlinkSync(Buffer.concat(chunks).toString('utf8'), target);
              zip.readEntry();
            });
            return;
          }
          // Lambda keeps the zip's permission bits (an executable bootstrap or extension stays one);
          // a zip made without them (mode 0) gets 0644.
          const permissions = mode & 0o777 || 0o644;
          pipeline(stream, createWriteStream(target, { mode: permissions }))
            .then(() => {
              chmodSync(target, permissions);
              zip.readEntry();
            })
            .catch(fail);
        });
      });
      zip.readEntry();
    });
  });
}
