// Issue 25's part of latest.md (bench/report-issue25.ts): the realistic Lambda-like table takes its
// ratios from aws-lambda-ric's rows of the same run, and each target is judged on the medians it names.
import { describe, expect, it } from 'vitest';
import { issue25Targets, realisticLambdaLikeMarkdown } from '../../bench/report-issue25.ts';
import type { BenchResults, LambdaLikeResult, LambdaLikeSection } from '../../bench/results.ts';

function summary(median: number) {
  return { median, min: median, max: median, n: 1 };
}

function row(id: string, packaging: 'zip' | 'image', firstResponseMs: number, cpu: number, realistic = true): LambdaLikeResult {
  return {
    id,
    label: id,
    flavour: 'binary',
    packaging,
    realistic,
    readAheadKiB: packaging === 'zip' ? 128 : 512,
    files: 'opt/bootstrap',
    unpackedBytes: 2 * 1024 * 1024,
    metrics: { firstResponseMs: summary(firstResponseMs), firstResponseCpuMs: summary(cpu) },
    predictedInitMs: undefined,
    publishedInitMs: undefined,
    failure: undefined,
  };
}

const section: LambdaLikeSection = {
  unavailable: undefined,
  storage: 'loop device',
  variants: [
    row('ric-realistic-zip', 'zip', 400, 200),
    row('ric-realistic-image', 'image', 500, 220),
    row('wrapper-realistic-zip', 'zip', 360, 190),
    row('wrapper-bundled-realistic-zip', 'zip', 300, 150),
    row('snapshot-realistic-image', 'image', 150, 70),
    row('snapshot-realistic-image-prefetch', 'image', 120, 70),
    row('bun-bytecode-realistic-image', 'image', 140, 60),
    row('binary-image', 'image', 120, 40, false),
    row('bun-image', 'image', 100, 30, false),
    row('floor-image', 'image', 90, 20, false),
  ],
  model: undefined,
  modelError: undefined,
};

describe("issue 25's report", () => {
  it('lists only the realistic rows, with ratios to ric of each packaging', () => {
    const lines = realisticLambdaLikeMarkdown(section);
    const table = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| runtime'));
    expect(table).toHaveLength(7);
    const wrapper = table.find((l) => l.startsWith('| wrapper-realistic-zip '))!;
    // 360 / 400 and 360 / 500; CPU 190 / 200.
    expect(wrapper).toContain('| ×0.90 | ×0.72 |');
    expect(wrapper).toContain('| ×0.95 |');
  });

  it('judges each target on the medians it names', () => {
    const results = { lambdaLike: section, realistic: undefined } as unknown as BenchResults;
    const lines = issue25Targets(results);
    const find = (start: string, rows: string) => lines.find((l) => l.startsWith(`| ${start}`) && l.includes(`| ${rows} |`));
    expect(find('snapshot executable ≤ Bun', 'Lambda-like, image-like')).toMatch(/150\.0 ms vs 140\.0 ms: ×1\.07 \| \*\*not met\*\* \|$/);
    expect(find('snapshot executable ≤ 0.35×', 'Lambda-like, both image-like')).toMatch(/×0\.30 \| met \|$/);
    expect(find('wrapper flavour ≤ 0.8×', 'wrapper-bundled-realistic-zip')).toMatch(/×0\.75 \| met \|$/);
    expect(find('wrapper flavour ≤ 0.8×', 'wrapper-realistic-zip')).toMatch(/×0\.90 \| \*\*not met\*\* \|$/);
    expect(find('recorded working-set prefetch', 'snapshot-realistic-image-prefetch vs without')).toMatch(/×0\.80 \| faster \|$/);
    expect(find('snapshot executable ≤ Bun', 'warm page cache')).toMatch(/not measured \|$/);
    expect(lines.find((l) => l.includes("node's own start"))).toContain("node's own start minus Bun's: -10.0 ms; dist/bootstrap minus node's own start (our runtime and the SEA): 30.0 ms");
  });
});
