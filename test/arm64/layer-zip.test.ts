// dist/bootstrap-layer-arm64.zip, with the same checks as the x86_64 zip; then, in the same file
// (the two builds would write dist/SHA256SUMS at once otherwise), dist/bootstrap-node26-layer-arm64.zip
// (issue 21) when the suite runs Node 24's binary and dist/node26/arm64/bootstrap is built
// (`make test-arm64` builds it).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'vitest';
import { DIST } from '../../build/arch.ts';
import { targetFor } from '../../build/node-lines.ts';
import { describeLayerZip } from '../build/layer-zip-suite.ts';
import { ARM64, ARM64_NODE_LINE, RUN_ARM64, SKIPPED_BECAUSE } from './arm64.ts';

if (RUN_ARM64) describeLayerZip(ARM64);

const NODE26 = targetFor('arm64', '26');
if (RUN_ARM64 && ARM64_NODE_LINE === '24' && existsSync(resolve(DIST, NODE26.binary))) describeLayerZip(NODE26);

describe.skipIf(RUN_ARM64)('dist/bootstrap-layer-arm64.zip (skipped)', () => {
  it.skip(SKIPPED_BECAUSE, () => {});
});
