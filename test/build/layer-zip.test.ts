// dist/bootstrap-layer-x86_64.zip; the arm64 zip is checked by `make test-arm64` (test/arm64/).
// Then dist/bootstrap-node26-layer-x86_64.zip (issue 21, `make layer-x86_64 NODE=26`) on
// dist/node26/bootstrap, which `make test` builds first; in this one file so that the two zips'
// builds do not write dist/SHA256SUMS at the same time.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'vitest';
import { DIST, TARGETS } from '../../build/arch.ts';
import { targetFor } from '../../build/node-lines.ts';
import { describeLayerZip } from './layer-zip-suite.ts';

describeLayerZip(TARGETS.x86_64);

const NODE26 = targetFor('x86_64', '26');
if (existsSync(resolve(DIST, NODE26.binary))) describeLayerZip(NODE26);
else
  describe(`dist/${NODE26.layerZip} (skipped)`, () => {
    it.skip(`dist/${NODE26.binary} is not built: make bootstrap NODE=26 (make test builds it)`, () => {});
  });
