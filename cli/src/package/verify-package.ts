// The proof that a function zip is self-contained: the zip is unpacked into an empty temporary
// folder (nothing of the source tree above it, so Node's walk up the folders and any link out of
// the zip find nothing) and the function's init runs there, with the runtime the zip carries —
// the binary flavour's own `bootstrap`, the wrapper flavour's bundle on the pinned Node 24 (the
// managed nodejs24.x's major) — against the emulator. A module that does not load fails
// `package` with the module, the file that wanted it and what to do (init-failure.ts).
// Source: what Lambda runs is the zip alone, unzipped to /var/task
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-package.html).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import yauzl from 'yauzl';
import { TARGETS, commandFor } from '../../../build/arch.ts';
import type { Architecture } from '../../../build/arch.ts';
import { Emulator } from '../../../emulator/index.ts';
import { explainInitFailure } from './init-failure.ts';
import type { InitFailure } from './init-failure.ts';
import { WRAPPER_BUNDLE_DIR } from '../wrapper-flavour.ts';

export interface VerifyOptions {
  /** The zip: its path, or its bytes (checked before they are written to the output). */
  zip: string | Buffer;
  /** `_HANDLER`, as in the function configuration. */
  handler: string;
  flavour: 'binary' | 'wrapper';
  arch: Architecture;
  /** The function's environment for init (--env). */
  env: Record<string, string>;
  /** The file that imports a package, when known (the message of a CommonJS require names none). */
  wantedBy?: (name: string) => string | undefined;
  /** The wrapper flavour's node (the pinned Node 24); unused for the binary flavour. */
  node?: string;
}

/** What the init in the unpacked zip answered. */
export type InitOutcome =
  | { ok: true; taskRoot: string }
  | { ok: false; taskRoot: string; errorType: string; errorMessage: string; output: string; failure: InitFailure };

/**
 * Unpacks the zip at `source` (a path, or its bytes; yauzl) into `dir`, keeping Unix modes and symbolic links as Lambda's unzip
 * does. Errors: yauzl's (a corrupt zip), an entry naming a path outside `dir`.
 */
export async function unpackZip(source: string | Buffer, dir: string): Promise<void> {
  const options = { lazyEntries: true, strictFileNames: true, decodeStrings: true };
  const zip = await new Promise<yauzl.ZipFile>((resolveOpen, reject) => {
    const opened = (error: Error | null, file: yauzl.ZipFile): void => (error === null ? resolveOpen(file) : reject(error));
    if (typeof source === 'string') yauzl.open(source, options, opened);
    else yauzl.fromBuffer(source, options, opened);
  });
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolveEntry, reject) => {
        zip.once('entry', resolveEntry);
        zip.once('end', () => resolveEntry(undefined));
        zip.once('error', reject);
        zip.readEntry();
      });
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      if (entry === undefined) break;
      const name = normalize(entry.fileName);
      if (isAbsolute(name) || name === '..' || name.startsWith(`..${sep}`)) throw new Error(`the zip entry ${entry.fileName} points outside the folder it unpacks into`);
      const path = join(dir, name);
      if (entry.fileName.endsWith('/')) {
        mkdirSync(path, { recursive: true });
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      const stream = await zip.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      const data = Buffer.concat(chunks);
      const mode = (entry.externalFileAttributes >>> 16) & 0o177777;
      if ((mode & 0o170000) === 0o120000) {
        symlinkSync(data.toString(), path);
      } else {
        writeFileSync(path, data);
        chmodSync(path, mode & 0o777 || 0o644);
      }
    }
  } finally {
    zip.close();
  }
}

/** The runtime command of the zip unpacked in `taskRoot`. */
function runtimeCommand(taskRoot: string, options: VerifyOptions): { command: string; args: string[] } | Error {
  if (options.flavour === 'wrapper') {
    if (options.node === undefined) return new Error('the wrapper flavour needs a node to run its bundle');
    return { command: options.node, args: [join(taskRoot, WRAPPER_BUNDLE_DIR, 'bootstrap.js')] };
  }
  return commandFor(TARGETS[options.arch], join(taskRoot, 'bootstrap'));
}

/**
 * Unpacks the zip into a fresh temporary folder and runs the function's init there once. The
 * folder is removed afterwards. Errors: Error when the zip cannot be unpacked or the runtime
 * cannot be started (e.g. arm64 without qemu-user: the message says what to install).
 */
export async function runInitFromZip(options: VerifyOptions): Promise<InitOutcome> {
  const work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-verify-'));
  const taskRoot = join(work, 'task');
  try {
    mkdirSync(taskRoot);
    await unpackZip(options.zip, taskRoot);
    const command = runtimeCommand(taskRoot, options);
    if (command instanceof Error) throw command;
    const emulator = await Emulator.start({ command: command.command, args: command.args, handler: options.handler, taskRoot, env: options.env, functionName: 'package-check' });
    try {
      await emulator.spawn();
      const ready = await emulator.waitForNext().then(
        () => true,
        () => false,
      );
      if (ready) return { ok: true, taskRoot };
      const outcome = await emulator.invoke('{}');
      let body: { errorType?: unknown; errorMessage?: unknown } = {};
      try {
        body = JSON.parse(outcome.body.toString('utf8')) as typeof body;
      } catch {
        // not JSON: the runtime died before it could report (the output says why)
      }
      const errorType = typeof body.errorType === 'string' ? body.errorType : 'Runtime.ExitError';
      const errorMessage = typeof body.errorMessage === 'string' ? body.errorMessage : outcome.body.toString('utf8');
      // Explained while the unpacked files are still there to look at.
      return { ok: false, taskRoot, errorType, errorMessage, output: emulator.output, failure: explainInitFailure(errorType, errorMessage, taskRoot, options.handler, options.wantedBy) };
    } finally {
      await emulator.stop();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Folders above the temporary folder whose node_modules the unpacked function could still see. */
export function visibleAncestorModules(): string[] {
  const found: string[] = [];
  for (let at = tmpdir(); ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules'))) found.push(join(at, 'node_modules'));
    if (dirname(at) === at) return found;
  }
}
