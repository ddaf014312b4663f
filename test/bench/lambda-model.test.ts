// The predicted-init model (bench/lambda-model.ts): fitted on lambda-perf's figures, it must give
// them back where it is exact by construction, and its image constant must be the least-squares one.
import { describe, expect, it } from 'vitest';
import { LAMBDA_PERF, fitModel, predictInit, publishedInit } from '../../bench/lambda-model.ts';

const inputs = {
  warmFirstNextMs: { ric: 60, bun: 40, binary: 40, wrapper: 45 },
  readMiB: { 'bun-zip': 34 },
  chunks: { 'ric-image': 110, 'bun-image': 125 },
};

describe('the predicted Lambda init model', () => {
  it('reproduces nodejs24.x zip and Bun zip, its two exact calibration points', () => {
    const model = fitModel(inputs);
    if (model instanceof Error) throw model;
    expect(model.s).toBeCloseTo(135 / 60, 10);
    expect(predictInit(model, 'zip', 60, 0, 0)).toBeCloseTo(LAMBDA_PERF.nodejs24.zip, 6);
    expect(predictInit(model, 'zip', 40, 34, 0)).toBeCloseTo(LAMBDA_PERF.bun.zip, 6);
  });

  it('fits the image constant by least squares: the residuals weighted by chunks sum to zero', () => {
    const model = fitModel(inputs);
    if (model instanceof Error) throw model;
    const r = model.imageResiduals;
    expect(110 * r.nodejs24 + 125 * r.bun).toBeCloseTo(0, 6);
    expect(predictInit(model, 'image', 60, 0, 110) - LAMBDA_PERF.nodejs24.image).toBeCloseTo(r.nodejs24, 6);
  });

  it('names what is missing instead of predicting from nothing', () => {
    const model = fitModel({ ...inputs, chunks: { 'bun-image': 125 } });
    expect(model).toBeInstanceOf(Error);
    expect((model as Error).message).toBe('the model needs aws-lambda-ric image-like chunks');
  });

  it('has published figures only for the runtimes lambda-perf measures', () => {
    expect(publishedInit('ric', 'image')).toBe(277);
    expect(publishedInit('bun', 'zip')).toBe(344);
    expect(publishedInit('binary', 'zip')).toBeUndefined();
  });
});
