// bench/results/latest.md, issue 25's part: the realistic function's Lambda-like rows (zip-like and
// image-like, cold package, ratios to aws-lambda-ric's rows of the same run) and the issue's
// targets, each with the measured medians it is judged on.
import type { BenchResults, LambdaLikeResult, LambdaLikeSection } from './results.ts';
import { ratioText } from './stats.ts';
import type { Summary } from './stats.ts';

const MIB = 1024 * 1024;

function cell(s: Summary | undefined, digits: number): string {
  return s === undefined ? '—' : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

function find(section: LambdaLikeSection | undefined, id: string): LambdaLikeResult | undefined {
  return section?.variants.find((v) => v.id === id && v.failure === undefined);
}

/** The realistic function's Lambda-like table; empty when the run has none of its rows. */
export function realisticLambdaLikeMarkdown(section: LambdaLikeSection | undefined): string[] {
  const rows = section?.variants.filter((v) => v.realistic === true) ?? [];
  if (section === undefined || rows.length === 0) return [];
  const ric = (packaging: 'zip' | 'image', key: 'firstResponseMs' | 'firstResponseCpuMs'): number | undefined =>
    find(section, `ric-realistic-${packaging}`)?.metrics[key]?.median;
  const out = [
    '## Realistic function, Lambda-like (issue 25): the package cold, as Lambda has it',
    '',
    'The realistic function (bench/realistic: S3 + DynamoDB DocumentClient, middy, Powertools logger; its first invoke sends PutObject and GetItem to bench/fake-aws.ts, checked on every start) ' +
      'in the same interleaved rounds and on the same package device as the hello-world Lambda-like rows above: zip-like, the unpacked zip (and layer) is cold, the managed node and AWS\'s client warm; ' +
      'image-like, every file of the image is cold (512 KiB read-ahead). Cells: median (min–max); ratios of medians to aws-lambda-ric\'s rows of this run. ' +
      'CPU: utime + stime of the process (all threads, 10 ms ticks) at its first response.',
    '',
    '| runtime | packaging | package (cold) | unpacked | spawn → first /next (ms) | spawn → first response (ms) | ÷ ric zip-like | ÷ ric image-like | CPU to first response (ms) | CPU ÷ ric zip-like | read (MiB) | read requests | 512 KiB chunks |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const v of rows) {
    const m = v.metrics;
    const broke = v.failure === undefined ? '' : ` (broke: ${v.failure.split('\n')[0]})`;
    const size = v.unpackedBytes >= MIB ? `${(v.unpackedBytes / MIB).toFixed(1)} MiB` : `${(v.unpackedBytes / 1024).toFixed(1)} KiB`;
    out.push(
      `| ${v.label}${broke} | ${v.packaging} | ${v.files} | ${size} | ${cell(m.firstNextMs, 1)} | ${cell(m.firstResponseMs, 1)} | ` +
        `${ratioText(m.firstResponseMs?.median, ric('zip', 'firstResponseMs'))} | ${ratioText(m.firstResponseMs?.median, ric('image', 'firstResponseMs'))} | ` +
        `${cell(m.firstResponseCpuMs, 0)} | ${ratioText(m.firstResponseCpuMs?.median, ric('zip', 'firstResponseCpuMs'))} | ${cell(m.readMiB, 2)} | ${cell(m.readRequests, 0)} | ${cell(m.chunks, 0)} |`,
    );
  }
  out.push('');
  return out;
}

/** Issue 25's targets, judged on this run's medians (warm = the "Realistic function" section, page cache warm). */
export function issue25Targets(results: BenchResults): string[] {
  const section = results.lambdaLike;
  const lambda = (id: string, key: 'firstResponseMs' | 'firstResponseCpuMs' = 'firstResponseMs'): number | undefined => find(section, id)?.metrics[key]?.median;
  const warmRow = (id: string) => results.realistic?.rows.find((r) => r.id === id && r.failure === undefined);
  const warm = (id: string): number | undefined => warmRow(id)?.firstResponseMs?.median;
  const warmCpu = (id: string): number | undefined => warmRow(id)?.firstResponseCpuMs?.median;
  const ms = (v: number | undefined): string => (v === undefined ? '—' : `${v.toFixed(1)} ms`);
  const verdict = (a: number | undefined, b: number | undefined, factor: number): string =>
    a === undefined || b === undefined ? 'not measured' : a <= factor * b ? 'met' : '**not met**';
  const out = ['### Targets (issue 25)', '', '| target | rows | measured (medians) | verdict |', '|---|---|---|---|'];
  const row = (target: string, rows: string, a: number | undefined, b: number | undefined, factor: number): void => {
    out.push(`| ${target} | ${rows} | ${ms(a)} vs ${ms(b)}: ${ratioText(a, b)} | ${verdict(a, b, factor)} |`);
  };
  row('snapshot executable ≤ Bun --compile --bytecode (first response)', 'warm page cache', warm('snapshot'), warm('bun-bytecode'), 1);
  row('snapshot executable ≤ Bun --compile --bytecode (first response)', 'Lambda-like, image-like', lambda('snapshot-realistic-image'), lambda('bun-bytecode-realistic-image'), 1);
  row('snapshot executable ≤ 0.35× aws-lambda-ric (first response)', 'warm page cache', warm('snapshot'), warm('ric'), 0.35);
  row('snapshot executable ≤ 0.35× aws-lambda-ric (first response)', 'Lambda-like, both image-like', lambda('snapshot-realistic-image'), lambda('ric-realistic-image'), 0.35);
  row('snapshot executable ≤ 0.35× aws-lambda-ric (first response)', 'Lambda-like, snapshot image-like vs ric zip-like (managed runtime warm)', lambda('snapshot-realistic-image'), lambda('ric-realistic-zip'), 0.35);
  row('snapshot executable, CPU to first response (for the breakdown)', 'warm page cache, ÷ ric', warmCpu('snapshot'), warmCpu('ric'), 0.35);
  // initbuild's row (issue 25 part 2), when the run has it.
  const initRow = results.realistic?.rows.find((r) => r.id.includes('init') && r.failure === undefined);
  row('with init at build ≤ 1.5× the hello-world floor', initRow === undefined ? 'warm page cache (no init-at-build row in this run)' : `warm page cache, ${initRow.label}`, initRow?.firstResponseMs?.median, warm('hello'), 1.5);
  row('with init at build ≤ 1.5× the hello-world floor', 'Lambda-like, image-like: dist/bootstrap hello world', lambda('snapshot-init-realistic-image'), lambda('binary-image'), 1.5);
  for (const id of ['wrapper-realistic-zip', 'wrapper-cache-realistic-zip', 'wrapper-bundled-realistic-zip', 'wrapper-bundled-cache-realistic-zip']) {
    const v = find(section, id);
    row('wrapper flavour ≤ 0.8× aws-lambda-ric (zip-like)', v?.label ?? id, lambda(id), lambda('ric-realistic-zip'), 0.8);
  }
  // Issue 25 part 4: each prefetch twin against its base, same rounds, same cold bytes.
  for (const twin of section?.variants.filter((v) => v.id.endsWith('-prefetch')) ?? []) {
    const base = twin.id.slice(0, -'-prefetch'.length);
    const a = lambda(twin.id);
    const b = lambda(base);
    out.push(`| recorded working-set prefetch wins (first response) | ${twin.label} vs without | ${ms(a)} vs ${ms(b)}: ${ratioText(a, b)} | ${a === undefined || b === undefined ? 'not measured' : a < b ? 'faster' : '**not faster**'} |`);
  }
  const binImage = lambda('binary-image');
  const bunImage = lambda('bun-image');
  const floorImage = lambda('floor-image');
  out.push(
    `| image-like hello world: the gap to Bun | dist/bootstrap vs bun --compile (image-like) | ${ms(binImage)} vs ${ms(bunImage)}: ${ratioText(binImage, bunImage)}, ` +
      `${binImage === undefined || bunImage === undefined ? '—' : `${(binImage - bunImage).toFixed(1)} ms`} | stated |`,
    `| image-like hello world: node's own start | node + a minimal client (image-like) vs Bun | ${ms(floorImage)} vs ${ms(bunImage)}: ${ratioText(floorImage, bunImage)}; ` +
      `node's own start minus Bun's: ${floorImage === undefined || bunImage === undefined ? '—' : `${(floorImage - bunImage).toFixed(1)} ms`}; ` +
      `dist/bootstrap minus node's own start (our runtime and the SEA): ${binImage === undefined || floorImage === undefined ? '—' : `${(binImage - floorImage).toFixed(1)} ms`} | stated |`,
    '',
  );
  return out;
}
