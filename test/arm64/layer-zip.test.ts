// dist/bootstrap-layer-arm64.zip, with the same checks as the x86_64 zip.
import { describe, it } from 'vitest';
import { describeLayerZip } from '../build/layer-zip-suite.ts';
import { ARM64, RUN_ARM64, SKIPPED_BECAUSE } from './arm64.ts';

if (RUN_ARM64) describeLayerZip(ARM64);

describe.skipIf(RUN_ARM64)('dist/bootstrap-layer-arm64.zip (skipped)', () => {
  it.skip(SKIPPED_BECAUSE, () => {});
});
