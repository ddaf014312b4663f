// The init phase with external extensions (emulator/sandbox/external-extensions.ts, emulator.ts): Lambda
// starts them, waits for each to register, then starts the runtime (rapid.go doInitExtensions,
// AwaitExternalAgentsRegistered). An extension that never registers holds the runtime back until
// the init limit; the runtime never starts, init is retried inside the invoke, which times out;
// stop() ends the wait at once.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStandIn, stopAll, tempDir } from '../test-helpers.ts';

afterAll(stopAll);

/** An executable that never registers (and says so on its stderr). */
function silentExtension(): string {
  const path = join(tempDir('silent-ext'), 'silent');
  writeFileSync(path, `#!/bin/sh\necho "started, never registering" >&2\nexec sleep 600\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('external extensions start before the runtime', () => {
  it('one that never registers: the runtime is never started; init times out, the retry inside the invoke times out', async () => {
    const emulator = await startStandIn({ externalExtensions: [{ path: silentExtension() }], initTimeoutMs: 300, timeoutMs: 500 });
    const outcome = await emulator.invoke('{}');
    expect(outcome.kind).toBe('timeout');
    expect(emulator.output).toContain('[silent] started, never registering');
    expect(emulator.output).toContain('INIT_REPORT Init Duration: 300.00 ms\tPhase: init\tStatus: timeout');
    // No runtime process ran: nothing asked the Runtime API for work.
    expect(emulator.requests.filter((r) => r.path.includes('/runtime/invocation/next'))).toEqual([]);
  });

  it('stop() while the runtime waits for an extension to register ends the wait (not the init limit)', async () => {
    // An init limit past the test's own timeout: only stop() can end this wait in time.
    const emulator = await startStandIn({ externalExtensions: [{ path: silentExtension() }], initTimeoutMs: 600_000 });
    const spawned = emulator.spawn();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(emulator.pid).toBeUndefined();
    await emulator.stop();
    await expect(spawned).resolves.toBeUndefined();
  });
});
