// The npm tool's small rules, on their own: a multi-line record's `\r` on a terminal
// (cli/src/terminal-logs.ts), Lambda's ranges for --memory/--timeout (cli/src/lambda-limits.ts) and
// watch's log line naming the changed files (cli/src/watch.ts). The packed tool runs them for
// real in test/cli/tool-lifecycle.test.ts.
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { MEMORY_MB, TIMEOUT_S, lambdaRange } from '../../cli/src/lambda-limits.ts';
import { CONTINUATION_INDENT, RecordRenderer } from '../../cli/src/terminal-logs.ts';
import { describePaths } from '../../cli/src/watch.ts';

const RECORD = '2026-12-05T10:00:00.000Z\tc0ffee\tERROR\tError: boom\r    at deep (file:///fn/index.mjs:1:25)\r    at handler (file:///fn/index.mjs:2:43)\n';

describe('RecordRenderer (a terminal shows each line of a record)', () => {
  it('turns each record-internal \\r into a newline and an indent, and keeps \\n and \\r\\n line breaks', () => {
    const out = new RecordRenderer().push(RECORD + 'plain\r\nnext\n');
    expect(out).toBe(
      `2026-12-05T10:00:00.000Z\tc0ffee\tERROR\tError: boom\n${CONTINUATION_INDENT}    at deep (file:///fn/index.mjs:1:25)\n` +
        `${CONTINUATION_INDENT}    at handler (file:///fn/index.mjs:2:43)\nplain\nnext\n`,
    );
    expect(out).not.toContain('\r');
  });

  it('gives the same text whatever the chunk boundaries, also between \\r and \\n', () => {
    const whole = new RecordRenderer().push(RECORD + 'a\r\nb\rc\r');
    for (let size = 1; size <= 7; size++) {
      const renderer = new RecordRenderer();
      let out = '';
      const text = RECORD + 'a\r\nb\rc\r';
      for (let i = 0; i < text.length; i += size) out += renderer.push(text.slice(i, i + size));
      out += renderer.flush();
      expect(out, `chunks of ${size}`).toBe(whole + '\n');
    }
  });
});

describe("Lambda's ranges for --memory and --timeout", () => {
  const memory = lambdaRange('--memory', 'memorySize', MEMORY_MB, 'MB');
  const timeout = lambdaRange('--timeout', 'timeout', TIMEOUT_S, 'seconds');

  it('accepts the ends of the ranges', () => {
    expect([memory('128'), memory('10240'), timeout('1'), timeout('900')]).toEqual([128, 10240, 1, 900]);
  });

  it("refuses values outside them with Lambda's validation message", () => {
    expect(() => memory('64')).toThrow(
      new InvalidArgumentError(
        "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128 (Lambda accepts 128-10240 MB)",
      ),
    );
    expect(() => memory('20000')).toThrow("Value '20000' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240");
    expect(() => timeout('901')).toThrow("Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900");
  });

  it('refuses what is not a whole number as before', () => {
    for (const bad of ['lots', '', '1.5', '-3', '0']) expect(() => memory(bad)).toThrow(`--memory expects a whole number of at least 1, got '${bad}'`);
  });
});

describe("watch's log line", () => {
  it('names up to three changed files, then how many more', () => {
    expect(describePaths(['index.mjs'])).toBe('index.mjs');
    expect(describePaths(['a', 'b', 'c'])).toBe('a, b, c');
    expect(describePaths(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
  });
});
