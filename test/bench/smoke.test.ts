// The benchmark's 30-second smoke mode still runs end to end: it measures dist/bootstrap against
// the floor and whichever peers are installed, and writes a Markdown table, JSON and an SVG chart.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResults } from '../../bench/results.ts';
import { NODE24, REPO_ROOT, tempDir } from '../integration/harness.ts';

interface Run {
  code: number | null;
  output: string;
}

function runSmoke(out: string): Promise<Run> {
  const child = spawn(NODE24, [join(REPO_ROOT, 'bench', 'run.ts'), '--smoke', '--out', out], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('make bench-smoke', () => {
  // The smoke run itself takes ~20 s (the package device for the Lambda-like starts takes a few);
  // the margin is for a 2-core machine running other test files.
  it('writes latest.md, latest.json and latest.svg with dist/bootstrap measured', { timeout: 180_000 }, async () => {
    const out = tempDir('bench-smoke');
    const run = await runSmoke(out);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/^round 1\/\d+ \(warm-up, discarded\): first \/next ms: .*binary \d/m);

    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults;
    expect(results.settings.mode).toBe('smoke');
    expect(results.machine.cores).toBeGreaterThan(0);
    const binary = results.runtimes.find((r) => r.id === 'binary');
    expect(binary, JSON.stringify(results.unavailable)).toBeDefined();
    expect(binary?.failure).toBeUndefined();
    for (const key of ['firstNextMs', 'firstResponseMs', 'warmRoundTripUs', 'invocationsPerSecond', 'cpuPerInvokeMs', 'rssAfter3Mb', 'rssAfterAllMb'] as const) {
      const summary = binary?.metrics[key];
      expect(summary, key).toBeDefined();
      expect(summary!.median, key).toBeGreaterThan(0);
      expect(summary!.min, key).toBeLessThanOrEqual(summary!.median);
      expect(summary!.max, key).toBeGreaterThanOrEqual(summary!.median);
    }
    const floor = results.runtimes.find((r) => r.id === 'floor');
    expect(floor?.metrics.firstNextMs?.median).toBeGreaterThan(0);

    const markdown = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(markdown).toContain('| metric | dist/bootstrap |');
    expect(markdown).toContain('## Targets (issue 5)');
    const median = binary!.metrics.firstNextMs!.median.toFixed(1);
    expect(markdown).toContain(`**${median} (`);

    // Lambda-like section: the binary and the wrapper layer read cold from the package device
    // (needs root for losetup/mount; otherwise the section must say why it is missing).
    const lambda = results.lambdaLike;
    expect(lambda).toBeDefined();
    expect(markdown).toContain('## Lambda-like cold start');
    if (lambda!.unavailable === undefined) {
      const byId = new Map(lambda!.variants.map((v) => [v.id, v]));
      const binaryZip = byId.get('binary-zip');
      const wrapperZip = byId.get('wrapper-zip');
      expect(binaryZip?.failure, binaryZip?.failure).toBeUndefined();
      expect(wrapperZip?.failure, wrapperZip?.failure).toBeUndefined();
      expect(binaryZip!.metrics.firstResponseMs!.median).toBeGreaterThanOrEqual(binaryZip!.metrics.firstNextMs!.median);
      // The binary's start reads megabytes of a 100 MB file; the wrapper layer is tens of KiB in all.
      expect(binaryZip!.metrics.readMiB!.median).toBeGreaterThan(1);
      expect(binaryZip!.metrics.chunks!.median).toBeGreaterThan(2);
      expect(wrapperZip!.unpackedBytes).toBeLessThan(1024 * 1024);
      expect(wrapperZip!.metrics.readMiB!.median).toBeLessThan(1);
      expect(wrapperZip!.metrics.chunks!.median).toBeGreaterThanOrEqual(2);
    } else {
      expect(markdown).toContain(`Not measured: ${lambda!.unavailable}`);
    }

    const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('dist/bootstrap');
    expect(existsSync(join(out, 'latest.md'))).toBe(true);
  });
});
