// FunctionOutput's bounds and attribution without a runtime process: the windows cap is a count,
// so it is tested here deterministically (the end-to-end retention test is test/local/own-data.test.ts).
import { describe, expect, it } from 'vitest';
import { FunctionOutput } from './function-output.ts';
import { ANSWERED_LOG_WINDOWS, INVOCATION_LOG_HISTORY } from '../limits.ts';

const record = (id: string, text: string): string => `2026-12-05T20:00:00.000Z\t${id}\tINFO\t${text}\n`;

describe('FunctionOutput: answered windows waiting for quiet pipes', () => {
  it(`keeps at most ${ANSWERED_LOG_WINDOWS} answered windows open however many are answered before their pipes go quiet; the oldest closes first, with its lines`, () => {
    const output = new FunctionOutput();
    const ids = Array.from({ length: ANSWERED_LOG_WINDOWS + 5 }, (_, i) => `id-${i}`);
    for (const id of ids) {
      output.begin(id);
      output.capture(record(id, `line of ${id}`), 'stdout');
      output.answered(id);
    }
    // ANSWERED_LOG_WINDOWS open + the 5 closed early; nothing beyond.
    expect(output.retention().invocationLogs).toBe(ids.length);
    for (const id of ids) expect(output.logOf(id)).toBe(record(id, `line of ${id}`));
    // A late record of a window closed early still reaches it; its later end() changes nothing.
    output.capture(record('id-0', 'late line'), 'stdout');
    expect(output.logOf('id-0')).toBe(record('id-0', 'line of id-0') + record('id-0', 'late line'));
    output.end('id-0');
    expect(output.logOf('id-0')).toBe(record('id-0', 'line of id-0') + record('id-0', 'late line'));
  });

  it('a tight loop of answered invocations holds the history plus the cap, not one window per invocation', () => {
    const output = new FunctionOutput();
    for (let i = 0; i < 500; i++) {
      output.begin(`id-${i}`);
      output.capture(record(`id-${i}`, 'x'.repeat(100)), 'stdout');
      output.answered(`id-${i}`);
    }
    expect(output.retention().invocationLogs).toBe(INVOCATION_LOG_HISTORY + ANSWERED_LOG_WINDOWS);
  });

  it('a raw line (no request id) goes to the one window still running once the answered ones closed', () => {
    const output = new FunctionOutput();
    output.begin('a');
    output.answered('a');
    output.begin('b');
    output.end('a');
    output.capture('raw write\n', 'stdout');
    expect(output.logOf('b')).toBe('raw write\n');
    expect(output.logOf('a')).toBe('');
  });
});
