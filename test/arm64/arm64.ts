// Shared by the arm64 suite (`make test-arm64`): dist/arm64/bootstrap runs under qemu-user, so
// this suite only runs when asked for with BOOTSTRAP_ARCH=arm64; `make test` lists it as skipped.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DIST } from '../../build/arch.ts';
import { lockDir, parseNodeLine, pinnedVersion, targetFor } from '../../build/node-lines.ts';

// BOOTSTRAP_NODE=26: dist/node26/arm64/bootstrap (issue 21); default Node 24's dist/arm64/bootstrap.
const line = parseNodeLine(process.env.BOOTSTRAP_NODE ?? '24');
if (line instanceof Error) throw new Error(`BOOTSTRAP_NODE: ${line.message}`);
export const ARM64_NODE_LINE = line;
export const ARM64 = targetFor('arm64', line);
/** The exact Node version the binary embeds, e.g. "v24.21.0". */
export const ARM64_NODE_VERSION = `v${pinnedVersion(lockDir('arm64', line))}`;
export const RUN_ARM64 = process.env.BOOTSTRAP_ARCH === 'arm64';
export const SKIPPED_BECAUSE = 'runs with `make test-arm64` (BOOTSTRAP_ARCH=arm64): dist/arm64/bootstrap under qemu-user';

// Starting node under qemu takes about a second of CPU time (two CPUs here, shared).
export const QEMU_TEST_TIMEOUT_MS = 120_000;

export const arm64Binary = resolve(DIST, ARM64.binary);

export function requireArm64Binary(): string {
  if (!existsSync(arm64Binary)) throw new Error(`${arm64Binary} is missing: run make bootstrap ARCH=arm64${line === '24' ? '' : ` NODE=${line}`} first`);
  return arm64Binary;
}
