// A predicted Lambda init duration per flavour and packaging: an ESTIMATE from a two-term model
// calibrated on public lambda-perf figures (bench/README.md, "Predicted Lambda init"):
//   zip:    init ≈ s · T + k_zip · MiB read from the package by the first response
//   image:  init ≈ s · T + k_img · 512 KiB chunks of the image touched by the first response
// T is the runtime's warm spawn → first /next in this run (its CPU work, no storage cost);
// s converts this machine's time to Lambda's at 128 MB. The storage numbers come from the
// Lambda-like section (zip-like: 128 KiB read-ahead; image-like: 512 KiB chunks).
//   s      = nodejs24.x zip init / T(aws-lambda-ric)   (its package is a 1 KiB function file)
//   k_zip  = (Bun zip init − s · T(bun)) / MiB(bun, zip-like)
//   k_img  = least squares over nodejs24.x image and Bun image (one constant, two points: the
//            residuals are shown and say how far the model is from its own calibration data)

/**
 * lambda-perf (github.com/maxday/lambda-perf, daily cold starts of a hello-world function per
 * runtime): p50 init duration, x86_64, 128 MB, August 2026, as quoted in issue 12.
 */
export const LAMBDA_PERF = {
  source: 'lambda-perf (maxday.github.io/lambda-perf), p50 init duration, x86_64, 128 MB, Aug 2026 (quoted in issue 12)',
  nodejs24: { zip: 135, image: 277 },
  bun: { zip: 344, image: 158 },
} as const;

export interface ModelInputs {
  /** Warm spawn → first /next medians (ms) by flavour. */
  warmFirstNextMs: Partial<Record<'binary' | 'wrapper' | 'ric' | 'bun', number>>;
  /** Lambda-like medians by variant id (ric-zip, ric-image, bun-zip, bun-image, ...). */
  readMiB: Record<string, number>;
  chunks: Record<string, number>;
}

export interface Model {
  s: number;
  kZipMsPerMiB: number;
  kImageMsPerChunk: number;
  /** Model minus published, for the image calibration points (ms). */
  imageResiduals: { nodejs24: number; bun: number };
}

/** The fitted constants, or an Error naming the measurement that is missing. */
export function fitModel(inputs: ModelInputs): Model | Error {
  const tRic = inputs.warmFirstNextMs.ric;
  const tBun = inputs.warmFirstNextMs.bun;
  const need: [string, number | undefined][] = [
    ['aws-lambda-ric warm first /next', tRic],
    ['bun warm first /next', tBun],
    ['bun zip-like MiB read', inputs.readMiB['bun-zip']],
    ['aws-lambda-ric image-like chunks', inputs.chunks['ric-image']],
    ['bun image-like chunks', inputs.chunks['bun-image']],
  ];
  const missing = need.filter(([, v]) => v === undefined || !Number.isFinite(v) || v <= 0).map(([name]) => name);
  if (missing.length > 0) return new Error(`the model needs ${missing.join(', ')}`);
  const s = LAMBDA_PERF.nodejs24.zip / tRic!;
  const kZipMsPerMiB = (LAMBDA_PERF.bun.zip - s * tBun!) / inputs.readMiB['bun-zip']!;
  const points = [
    { n: inputs.chunks['ric-image']!, y: LAMBDA_PERF.nodejs24.image - s * tRic! },
    { n: inputs.chunks['bun-image']!, y: LAMBDA_PERF.bun.image - s * tBun! },
  ];
  const kImageMsPerChunk = points.reduce((a, p) => a + p.n * p.y, 0) / points.reduce((a, p) => a + p.n * p.n, 0);
  const predictImage = (t: number, n: number): number => s * t + kImageMsPerChunk * n;
  return {
    s,
    kZipMsPerMiB,
    kImageMsPerChunk,
    imageResiduals: {
      nodejs24: predictImage(tRic!, points[0]!.n) - LAMBDA_PERF.nodejs24.image,
      bun: predictImage(tBun!, points[1]!.n) - LAMBDA_PERF.bun.image,
    },
  };
}

/** Predicted init (ms) of one variant: its flavour's warm time and its package's storage term. */
export function predictInit(model: Model, packaging: 'zip' | 'image', warmFirstNextMs: number, readMiB: number, chunks: number): number {
  const cpu = model.s * warmFirstNextMs;
  return packaging === 'zip' ? cpu + model.kZipMsPerMiB * readMiB : cpu + model.kImageMsPerChunk * chunks;
}

/** The published figure a variant can be checked against, if lambda-perf measures that runtime. */
export function publishedInit(flavour: string, packaging: 'zip' | 'image'): number | undefined {
  if (flavour === 'ric') return LAMBDA_PERF.nodejs24[packaging];
  if (flavour === 'bun') return LAMBDA_PERF.bun[packaging];
  return undefined;
}
