// bench/results/latest.svg: one small horizontal bar chart per headline metric (median, with a
// whisker from min to max), dist/bootstrap highlighted. Plain SVG text, no dependencies.
import { orderedRuntimes } from './report-markdown.ts';
import { metrics } from './results.ts';
import type { BenchResults, MetricKey } from './results.ts';

const CHARTED: MetricKey[] = ['firstNextMs', 'firstResponseMs', 'coldFirstNextMs', 'warmRoundTripUs', 'cpuPerInvokeMs', 'rssAfterAllMb'];
const PANEL_WIDTH = 520;
const LABEL_WIDTH = 190;
const BAR_HEIGHT = 16;
const ROW = 22;
const COLUMNS = 2;
const COLORS = { ours: '#e8590c', reference: '#c92a2a', floor: '#868e96', peer: '#1c7ed6' };

function escape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

export function writeSvg(results: BenchResults): string {
  const runtimes = orderedRuntimes(results);
  const catalog = metrics(results.settings).filter((m) => CHARTED.includes(m.key));
  const panelHeight = 40 + runtimes.length * ROW;
  const rows = Math.ceil(catalog.length / COLUMNS);
  const width = PANEL_WIDTH * COLUMNS + 20;
  const height = 70 + rows * panelHeight;
  const m = results.machine;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">lambda-bootstrap cold-start benchmark (${escape(results.settings.mode)}), ${escape(results.date.slice(0, 10))}</text>`,
    `<text x="10" y="42" fill="#495057">${escape(`${m.cpu}, ${m.cores} cores, Linux ${m.kernel}, Node ${m.node}; median of ${results.settings.rounds - 1} rounds, bar = median, line = min–max; shorter is better`)}</text>`,
  ];
  catalog.forEach((metric, index) => {
    const x0 = 10 + (index % COLUMNS) * PANEL_WIDTH;
    const y0 = 60 + Math.floor(index / COLUMNS) * panelHeight;
    const values = runtimes.map((r) => r.metrics[metric.key]);
    const scaleMax = Math.max(...values.map((v) => v?.max ?? 0), 1e-9);
    const barSpace = PANEL_WIDTH - LABEL_WIDTH - 90;
    parts.push(`<text x="${x0}" y="${y0 + 16}" font-weight="bold">${escape(`${metric.label} (${metric.unit})`)}</text>`);
    runtimes.forEach((runtime, row) => {
      const y = y0 + 26 + row * ROW;
      const summary = values[row];
      const color = runtime.id === results.reference ? COLORS.reference : COLORS[runtime.role];
      parts.push(`<text x="${x0 + LABEL_WIDTH - 6}" y="${y + 12}" text-anchor="end">${escape(runtime.label)}</text>`);
      if (summary === undefined) {
        parts.push(`<text x="${x0 + LABEL_WIDTH}" y="${y + 12}" fill="#adb5bd">not measured</text>`);
        return;
      }
      const w = (v: number): number => Math.max(1, (v / scaleMax) * barSpace);
      const bx = x0 + LABEL_WIDTH;
      parts.push(`<rect x="${bx}" y="${y}" width="${w(summary.median).toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"/>`);
      parts.push(`<line x1="${(bx + w(summary.min)).toFixed(1)}" x2="${(bx + w(summary.max)).toFixed(1)}" y1="${y + BAR_HEIGHT / 2}" y2="${y + BAR_HEIGHT / 2}" stroke="#212529" stroke-width="1.5"/>`);
      const label = summary.median.toFixed(metric.digits);
      parts.push(`<text x="${(bx + w(summary.max) + 6).toFixed(1)}" y="${y + 12}">${escape(label)}</text>`);
    });
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}
