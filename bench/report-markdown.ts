// bench/results/latest.md: the machine, one table (metrics × runtimes, ratios to dist/bootstrap),
// the issue's targets with their measured values, and how far the full Emulator would move them.
import { metrics } from './results.ts';
import type { BenchResults, LambdaLikeResult, LambdaLikeSection, Metric, MetricKey, RuntimeResult } from './results.ts';
import { ratioText } from './stats.ts';
import type { Summary } from './stats.ts';

const MIB = 1024 * 1024;

function num(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(summary: Summary | undefined, metric: Metric, reference: Summary | undefined, isReference: boolean): string {
  if (summary === undefined) return '—';
  const value = `${num(summary.median, metric.digits)} (${num(summary.min, metric.digits)}–${num(summary.max, metric.digits)})`;
  if (isReference) return `**${value}**`;
  if (reference === undefined || reference.median === 0) return value;
  return `${value} ×${(summary.median / reference.median).toFixed(2)}`;
}

/** Ours first, then the floor, then our variants, then the peers. */
export function orderedRuntimes(results: BenchResults): RuntimeResult[] {
  const rank = (r: RuntimeResult): number => (r.id === results.reference ? 0 : r.role === 'floor' ? 1 : r.role === 'ours' ? 2 : 3);
  return [...results.runtimes].sort((a, b) => rank(a) - rank(b));
}

function median(runtime: RuntimeResult | undefined, key: MetricKey): number | undefined {
  return runtime?.metrics[key]?.median;
}

function targets(results: BenchResults): string[] {
  const byId = new Map(results.runtimes.map((r) => [r.id, r]));
  const ours = byId.get(results.reference);
  const floor = byId.get('floor');
  const ric = byId.get('ric');
  const bun = byId.get('bun');
  const lines = ['| target | measured (median) | verdict |', '|---|---|---|'];
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : '**not met**');
  const f = (v: number | undefined, digits: number, unit: string): string => (v === undefined ? '—' : `${num(v, digits)} ${unit}`);

  const next = median(ours, 'firstNextMs');
  const floorNext = median(floor, 'firstNextMs');
  const ricNext = median(ric, 'firstNextMs');
  const bunNext = median(bun, 'firstNextMs');
  lines.push(
    `| spawn → first /next ≤ 1.3× \`node -e 0\` | ${f(next, 1, 'ms')} vs floor ${f(floorNext, 1, 'ms')}: ${ratioText(next, floorNext)} | ${verdict(next === undefined || floorNext === undefined ? undefined : next <= 1.3 * floorNext)} |`,
    `| spawn → first /next below aws-lambda-ric | ${f(next, 1, 'ms')} vs ric ${f(ricNext, 1, 'ms')}: ${ratioText(next, ricNext)}; vs bun ${f(bunNext, 1, 'ms')}: ${ratioText(next, bunNext)} | ${verdict(next === undefined || ricNext === undefined ? undefined : next < ricNext)} |`,
  );
  const cpu = median(ours, 'cpuPerInvokeMs');
  const ricCpu = median(ric, 'cpuPerInvokeMs');
  lines.push(
    `| CPU per no-op invoke ≤ aws-lambda-ric's | ${f(cpu, 3, 'ms')} vs ric ${f(ricCpu, 3, 'ms')}: ${ratioText(cpu, ricCpu)}; vs bun ${f(median(bun, 'cpuPerInvokeMs'), 3, 'ms')}: ${ratioText(cpu, median(bun, 'cpuPerInvokeMs'))} | ${verdict(cpu === undefined || ricCpu === undefined ? undefined : cpu <= ricCpu)} |`,
  );
  const rtt = median(ours, 'warmRoundTripUs');
  lines.push(
    `| warm round trip ≤ 200 µs | ${f(rtt, 0, 'µs')} (ric ${f(median(ric, 'warmRoundTripUs'), 0, 'µs')}: ${ratioText(rtt, median(ric, 'warmRoundTripUs'))}; bun ${f(median(bun, 'warmRoundTripUs'), 0, 'µs')}: ${ratioText(rtt, median(bun, 'warmRoundTripUs'))}) | ${verdict(rtt === undefined ? undefined : rtt <= 200)} |`,
  );
  const rss = median(ours, 'rssAfterAllMb');
  const full = results.settings.totalInvokes >= 20_000;
  lines.push(
    `| peak RSS after 20,000 invokes at ${results.settings.memorySizeMb} MB ≤ 100 MB | ${f(rss, 1, 'MiB')} after ${results.settings.totalInvokes} (ric ${f(median(ric, 'rssAfterAllMb'), 1, 'MiB')}: ${ratioText(rss, median(ric, 'rssAfterAllMb'))}; bun ${f(median(bun, 'rssAfterAllMb'), 1, 'MiB')}: ${ratioText(rss, median(bun, 'rssAfterAllMb'))}) | ${full ? verdict(rss === undefined ? undefined : (rss * MIB) / 1e6 <= 100) : 'not measured (fewer invokes)'} |`,
  );
  const zip = ours?.artifact.layerZipBytes;
  lines.push(
    `| layer zip ≤ 40 MiB | ${zip === undefined ? '—' : `${num(zip / MIB, 1)} MiB`} (bun ${bun?.artifact.layerZipBytes === undefined ? '—' : `${num(bun.artifact.layerZipBytes / MIB, 1)} MiB`}) | ${verdict(zip === undefined ? undefined : zip <= 40 * MIB)} |`,
  );
  return lines;
}

function summaryCell(summary: Summary | undefined, digits: number): string {
  return summary === undefined ? '—' : `${num(summary.median, digits)} (${num(summary.min, digits)}–${num(summary.max, digits)})`;
}

function lambdaVariant(section: LambdaLikeSection, id: string): LambdaLikeResult | undefined {
  return section.variants.find((v) => v.id === id && v.failure === undefined);
}

/** The Lambda-like table, the model's predictions beside lambda-perf, and issue 12's targets. */
export function lambdaLikeMarkdown(section: LambdaLikeSection | undefined): string[] {
  const out: string[] = ['## Lambda-like cold start (function package cold, managed runtime warm)', ''];
  if (section === undefined || section.unavailable !== undefined) {
    out.push(`Not measured: ${section?.unavailable ?? 'this run has no Lambda-like section'}.`, '');
    return out;
  }
  out.push(
    `Storage: ${section.storage}. The managed node and AWS's client stay warm (the runtime image Lambda caches on every worker); ` +
      'the package (function, layer, custom runtime; for an image, all of it) is cold. Bytes and requests: what the package device served by the first response; ' +
      'chunks: distinct 512 KiB chunks of the package files resident right after it (mincore). Cells: median (min–max).',
    '',
    '| runtime | package (cold) | unpacked | spawn → first /next (ms) | spawn → first response (ms) | read by first response (MiB) | read requests | 512 KiB chunks touched | resident (MiB) |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const v of section.variants.filter((v) => v.realistic !== true)) {
    const m = v.metrics;
    const broke = v.failure === undefined ? '' : ` (broke: ${v.failure.split('\n')[0]})`;
    out.push(
      `| ${v.label}${broke} | ${v.files} | ${bytesText(v.unpackedBytes)} | ${summaryCell(m.firstNextMs, 1)} | ${summaryCell(m.firstResponseMs, 1)} | ${summaryCell(m.readMiB, 2)} | ${summaryCell(m.readRequests, 0)} | ${summaryCell(m.chunks, 0)} | ${summaryCell(m.residentMiB, 1)} |`,
    );
  }
  out.push('', '### Predicted Lambda init (an estimate, not a measurement)', '');
  const model = section.model;
  if (model === undefined) {
    out.push(`Not predicted: ${section.modelError ?? 'no model'}.`, '');
  } else {
    out.push(
      `Model (bench/README.md): zip init ≈ s·T + k_zip·MiB read; image init ≈ s·T + k_img·chunks; T = warm spawn → first /next in this run. ` +
        `Fitted on ${model.source}: s = ${model.s.toFixed(2)}, k_zip = ${model.kZipMsPerMiB.toFixed(2)} ms/MiB, k_img = ${model.kImageMsPerChunk.toFixed(2)} ms/chunk. ` +
        `nodejs24.x zip and Bun zip are calibration points (reproduced exactly by construction); the image constant is one least-squares fit over two points, ` +
        `its residuals: nodejs24.x image ${signed(model.imageResiduals.nodejs24)} ms, Bun image ${signed(model.imageResiduals.bun)} ms.`,
      '',
      '| runtime | packaging | predicted Lambda init (ms) | lambda-perf p50 init (ms) |',
      '|---|---|---|---|',
    );
    for (const v of section.variants.filter((v) => v.realistic !== true)) {
      out.push(`| ${v.label} | ${v.packaging} | ${v.predictedInitMs === undefined ? '—' : `~${num(v.predictedInitMs, 0)}`} | ${v.publishedInitMs === undefined ? '— (not published)' : num(v.publishedInitMs, 0)} |`);
    }
    out.push('');
  }
  out.push('### Targets (issue 12)', '', '| target | measured (median) | verdict |', '|---|---|---|');
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : '**not met**');
  const wrapper = lambdaVariant(section, 'wrapper-zip')?.metrics.firstResponseMs?.median;
  const ricZip = lambdaVariant(section, 'ric-zip')?.metrics.firstResponseMs?.median;
  const floor = lambdaVariant(section, 'floor-zip')?.metrics.firstResponseMs?.median;
  const binImage = lambdaVariant(section, 'binary-image')?.metrics.firstResponseMs?.median;
  const ricImage = lambdaVariant(section, 'ric-image')?.metrics.firstResponseMs?.median;
  const ms = (v: number | undefined): string => (v === undefined ? '—' : `${num(v, 1)} ms`);
  out.push(
    `| wrapper layer spawn → first response ≤ 0.9× aws-lambda-ric's (zip-like) | ${ms(wrapper)} vs ${ms(ricZip)}: ${ratioText(wrapper, ricZip)} | ${verdict(wrapper === undefined || ricZip === undefined ? undefined : wrapper <= 0.9 * ricZip)} |`,
    `| (bound) the floor, managed bootstrap + node + a minimal client, ÷ aws-lambda-ric's (zip-like): no runtime on the managed node can go below it | ${ms(floor)} vs ${ms(ricZip)}: ${ratioText(floor, ricZip)} | ${floor === undefined || ricZip === undefined ? 'not measured' : floor <= 0.9 * ricZip ? 'the 0.9× target is above the floor' : '**the 0.9× target is below the floor**'} |`,
    `| dist/bootstrap image-like ≤ the managed runtime's image-like (spawn → first response) | ${ms(binImage)} vs ${ms(ricImage)}: ${ratioText(binImage, ricImage)} | ${verdict(binImage === undefined || ricImage === undefined ? undefined : binImage <= ricImage)} |`,
    '',
  );
  return out;
}

function signed(n: number): string {
  return `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(0)}`;
}

function bytesText(n: number): string {
  return n >= MIB ? `${num(n / MIB, 1)} MiB` : `${num(n / 1024, 1)} KiB`;
}

export function writeMarkdown(results: BenchResults): string {
  const { machine, settings } = results;
  const runtimes = orderedRuntimes(results);
  const reference = results.runtimes.find((r) => r.id === results.reference);
  const out: string[] = [];
  out.push(`# Cold-start benchmark (${settings.mode} run)`, '');
  out.push(
    `${results.date.slice(0, 16).replace('T', ' ')} UTC · ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB · ` +
      `Linux ${machine.kernel} (${machine.os}) · Node ${machine.node} · load average ${machine.loadAverage.start.toFixed(2)} → ${machine.loadAverage.end?.toFixed(2) ?? '?'}`,
    '',
    `${settings.rounds} rounds, the first discarded; runtimes interleaved in a new random order each round. ` +
      `Function memory ${settings.memorySizeMb} MB, hello-world handler, Runtime API on 127.0.0.1 (${settings.driver}). ` +
      `Cells: median (min–max) ×ratio to dist/bootstrap's median. Took ${results.durationS} s.`,
    '',
  );
  out.push(`| metric | ${runtimes.map((r) => r.label.replaceAll('|', '\\|')).join(' | ')} |`);
  out.push(`|---|${runtimes.map(() => '---').join('|')}|`);
  for (const metric of metrics(settings)) {
    const ref = reference?.metrics[metric.key];
    out.push(`| ${metric.label} (${metric.unit}) | ${runtimes.map((r) => cell(r.metrics[metric.key], metric, ref, r.id === results.reference)).join(' | ')} |`);
  }
  const bytes = (n: number | undefined): string => (n === undefined ? '—' : n >= MIB ? `${num(n / MIB, 1)} MiB` : `${num(n / 1024, 1)} KiB`);
  out.push(`| artifact size | ${runtimes.map((r) => `${bytes(r.artifact.bytes)} (${r.artifact.what})`).join(' | ')} |`);
  out.push(`| layer zip size | ${runtimes.map((r) => bytes(r.artifact.layerZipBytes)).join(' | ')} |`);
  out.push('');
  out.push('## Targets (issue 5)', '', ...targets(results), '');
  out.push(...lambdaLikeMarkdown(results.lambdaLike));

  const check = results.emulatorCheck;
  if (check !== undefined) {
    const s = (v: Summary | undefined, d: number): string => (v === undefined ? '—' : `${num(v.median, d)} (${num(v.min, d)}–${num(v.max, d)})`);
    out.push(
      '## Driver check: the full Emulator vs the lean driver (dist/bootstrap)',
      '',
      '| | lean driver (bench/driver.ts) | Emulator (emulator/) |',
      '|---|---|---|',
      `| spawn → first /next (ms) | ${s(reference?.metrics.firstNextMs, 1)} | ${s(check.emulator.firstNextMs, 1)} |`,
      `| spawn → first response (ms) | ${s(reference?.metrics.firstResponseMs, 1)} | ${s(check.emulator.firstResponseMs, 1)} |`,
      `| wall time per sequential invoke (µs) | ${s(check.leanPerInvokeUs, 0)} | ${s(check.emulator.perInvokeUs, 0)} (over ${check.invokes}) |`,
      '',
    );
  }
  const failures = results.runtimes.filter((r) => r.failure !== undefined);
  if (results.unavailable.length > 0 || failures.length > 0) {
    out.push('## Not measured', '');
    for (const u of results.unavailable) out.push(`- ${u.label}: ${u.reason.split('\n')[0]}`);
    for (const r of failures) out.push(`- ${r.label} broke: ${(r.failure ?? '').split('\n')[0]}`);
    out.push('');
  }
  out.push('## Notes', '', ...results.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
