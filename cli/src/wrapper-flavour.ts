// The wrapper flavour (docs/wrapper-layer.md): lambda-bootstrap's bundle on the managed
// nodejs22.x / nodejs24.x runtime's own node, started through AWS_LAMBDA_EXEC_WRAPPER. The wrapper
// finds the bundle beside itself, so the same three files work from a layer (/opt) and from the
// function zip (/var/task):
//   lambda-bootstrap-wrapper            the exec wrapper (build/lambda-bootstrap-wrapper), 0755
//   lambda-bootstrap/bootstrap.js       the runtime bundle, 0644
//   lambda-bootstrap/package.json       {"type":"commonjs"}, 0644
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WRAPPER_NAME } from '../../build/wrapper-layer.ts';
import { EXECUTABLE_MODE, FILE_MODE } from '../../build/zip.ts';
import type { ZipEntry } from '../../build/zip.ts';
import { RUNTIME_BUNDLE, WRAPPER_SCRIPT } from './resources.ts';

export { WRAPPER_NAME };
/** The bundle's folder beside the wrapper. */
export const WRAPPER_BUNDLE_DIR = 'lambda-bootstrap';

/** The wrapper's three files as zip entries (names relative to the zip root). */
export function wrapperEntries(): ZipEntry[] {
  return [
    { name: WRAPPER_NAME, data: readFileSync(WRAPPER_SCRIPT), mode: EXECUTABLE_MODE },
    { name: `${WRAPPER_BUNDLE_DIR}/bootstrap.js`, data: readFileSync(RUNTIME_BUNDLE), mode: FILE_MODE },
    { name: `${WRAPPER_BUNDLE_DIR}/package.json`, data: readFileSync(join(dirname(RUNTIME_BUNDLE), 'package.json')), mode: FILE_MODE },
  ];
}
