// Where a Managed Instances worker thread's script comes from: the runtime's own bundle, so that a
// worker runs exactly the code the main thread runs (bootstrap.ts sends it to worker-main.ts).
// AWS's client 4.x starts its workers from its own file (`new Worker(new URL(import.meta.url))`).
//
// - `node bootstrap.js` (the exec-wrapper layer, the bundle target): that file.
// - The single executable: the bundle is embedded a second time, as the SEA asset
//   WORKER_SCRIPT_ASSET (build/sea.ts), and a worker evaluates it from memory: nothing is read
//   from disk, and the binary stays one file. Its `//# sourceURL` keeps the runtime's frames named
//   `lambda-bootstrap/bootstrap.js` in workers too, as on the main thread.
// - The per-function snapshot executable carries no such asset (its dependencies live in the
//   main thread's snapshot, which a worker cannot share): undefined, and the caller runs every
//   invocation on the main thread as before.

import { existsSync } from 'node:fs';
import { isSea } from '../init-phase.ts';

/** The SEA asset holding the bundle, and the name its frames carry (build/sea.ts EMBEDDED_SCRIPT_NAME). */
export const WORKER_SCRIPT_ASSET = 'lambda-bootstrap/bootstrap.js';

export type WorkerScript =
  /** new Worker(path): node runs the file as the main thread's script. */
  | { readonly kind: 'file'; readonly path: string }
  /** new Worker(source, { eval: true }). */
  | { readonly kind: 'code'; readonly source: string };

/** The script for the pool's workers, or undefined when this build cannot start any. */
export function workerScript(): WorkerScript | undefined {
  if (isSea()) {
    const sea = process.getBuiltinModule('node:sea') as typeof import('node:sea');
    try {
      const source = sea.getAsset(WORKER_SCRIPT_ASSET, 'utf8');
      // Evaluated code runs in the global scope, where the bundle's top-level names (`crypto`)
      // would collide with globals: wrapped in a function like a CommonJS module (lines unchanged).
      return { kind: 'code', source: `(function () {${source}\n})();\n//# sourceURL=${WORKER_SCRIPT_ASSET}\n` };
    } catch {
      return undefined;
    }
  }
  // The bundle is CommonJS: __filename is its path. Under a test runner (ES modules) it is absent.
  const path = typeof __filename === 'string' ? __filename : undefined;
  return path !== undefined && existsSync(path) ? { kind: 'file', path } : undefined;
}
