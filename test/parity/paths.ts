// Where the parity suite's pieces live.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PARITY_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(PARITY_DIR, '..', '..');
export const FUNCTIONS_DIR = join(PARITY_DIR, 'functions');
/** test/parity/ric: a package.json + lock pinning aws-lambda-ric 4.0.2. */
export const RIC_ROOT = join(PARITY_DIR, 'ric');
export const RIC_PACKAGE_DIR = join(RIC_ROOT, 'node_modules', 'aws-lambda-ric');
export const DIFFERENCES_DOC = join(REPO_ROOT, 'docs', 'differences.md');
