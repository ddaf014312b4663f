// The init limit under a debugger (issue 24; emulator/pause-clock.ts): like the function timeout it
// counts only the time the runtime is not held. The runtime under test (dist/bootstrap, or with
// BOOTSTRAP_TARGET=wrapper the wrapper layer on the managed node) starts with --inspect-brk in its
// NODE_OPTIONS and an init limit of 500 ms: the debugger attaches only after 1 s (waiting for it is
// not init time), then holds the handler module's top-level code at a breakpoint for 1 s more; init
// still ends, without an INIT_REPORT timeout, and the invoke answers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { attachAndBreak, freePort } from '../cli/cdp-client.ts';
import { describeOutcome, startFunction, stopAll, tempDir } from './harness.ts';

afterAll(stopAll);

// Line 2 (1-based) is top-level code: it runs in the init phase.
const MODULE = `const loadedAt = Date.now();
const greeting = 'hello';
export const handler = async () => ({ greeting, loadedAt });
`;
const INIT_LINE = 2;

describe('the init limit under --inspect-brk', () => {
  it('waiting for the debugger and a pause in the init code do not count against it', async () => {
    const dir = join(tempDir('debugger-init'), 'fn');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.mjs'), MODULE);
    const port = await freePort();
    const emulator = await startFunction(dir, 'index.handler', { NODE_OPTIONS: `--inspect-brk=127.0.0.1:${port}` }, {
      initTimeoutMs: 500,
      timeoutMs: 1000,
      debugging: { waitsForDebugger: true },
    });
    const outcome = emulator.invoke('{}');
    await sleep(1000); // the runtime waits for a debugger meanwhile
    const { cdp, at } = await attachAndBreak(port, `file://${join(dir, 'index.mjs')}`, INIT_LINE);
    expect(at.line).toBe(INIT_LINE);
    await sleep(1000);
    await cdp.send('Debugger.resume');
    const result = await outcome;
    cdp.close();
    expect(result.kind, describeOutcome(result, emulator)).toBe('response');
    expect((result.json() as { greeting: string }).greeting).toBe('hello');
    expect(emulator.output).not.toContain('Status: timeout');
  });
});
