// How much the full Emulator (emulator/) would change the numbers, measured on our binary in the
// same run: the same cold start and the same sequential invokes through Emulator.invoke(), against
// the lean driver's wall time per invoke. Justifies (or not) measuring with bench/driver.ts.
import { performance } from 'node:perf_hooks';
import { Emulator } from '../emulator/index.ts';
import { FUNCTION_DIR, HANDLER, MEMORY_SIZE_MB } from './runtimes.ts';
import type { Runtime } from './runtimes.ts';

export interface EmulatorSample {
  firstNextMs: number;
  firstResponseMs: number;
  /** Wall time per sequential invoke, as a caller of Emulator.invoke() sees it. */
  perInvokeUs: number;
}

export async function measureThroughEmulator(runtime: Runtime, invokes: number): Promise<EmulatorSample> {
  const launch = runtime.launch(runtime.files);
  const emulator = await Emulator.start({
    command: launch.command,
    args: launch.args,
    handler: HANDLER,
    taskRoot: FUNCTION_DIR,
    memorySizeMb: MEMORY_SIZE_MB,
    functionName: 'bench',
    env: runtime.env,
  });
  try {
    const spawnedAtMs = performance.now();
    const first = emulator.invoke('{"hello":"world"}');
    await emulator.waitForNext();
    const firstNextMs = performance.now() - spawnedAtMs;
    const outcome = await first;
    const firstResponseMs = performance.now() - spawnedAtMs;
    if (outcome.kind !== 'response') throw new Error(`${runtime.label} through the Emulator: ${outcome.kind} ${outcome.body.toString('utf8').slice(0, 300)}`);
    const loopStart = performance.now();
    for (let i = 0; i < invokes; i++) {
      const result = await emulator.invoke('{"hello":"world"}');
      if (result.kind !== 'response') throw new Error(`${runtime.label} through the Emulator: ${result.kind} ${result.body.toString('utf8').slice(0, 300)}`);
    }
    return { firstNextMs, firstResponseMs, perInvokeUs: ((performance.now() - loopStart) / invokes) * 1000 };
  } finally {
    await emulator.stop();
  }
}
