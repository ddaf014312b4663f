// dist/bootstrap-layer-x86_64.zip; the arm64 zip is checked by `make test-arm64` (test/arm64/).
import { TARGETS } from '../../build/arch.ts';
import { describeLayerZip } from './layer-zip-suite.ts';

describeLayerZip(TARGETS.x86_64);
