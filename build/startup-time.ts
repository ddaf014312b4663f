// Measures start-up of a runtime binary: spawn → its first GET /next, against a minimal
// Runtime API stand-in on 127.0.0.1; and, for comparison, spawn → exit of `node -e 0`.
// With --arch=arm64 the binary runs under qemu-user: a smoke figure, not a benchmark.
// Usage: node build/startup-time.ts [--arch=x86_64|arm64] <binary> <task-root> [runs=20] [handler=index.handler]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TARGETS, commandFor, isNative, parseArchitecture } from './arch.ts';
import type { ArchitectureTarget } from './arch.ts';
import { PINNED_NODE } from './sea.ts';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds from spawn to the first GET /next, one sample per run. */
export async function timeToFirstNext(
  binary: string,
  taskRoot: string,
  handler: string,
  runs: number,
  target: ArchitectureTarget = TARGETS.x86_64,
): Promise<number[]> {
  const runtime = commandFor(target, binary);
  if (runtime instanceof Error) throw runtime;
  let arrived: (() => void) | undefined;
  const server = createServer((req, res) => {
    if (req.url === '/2018-06-01/runtime/invocation/next') arrived?.();
    // Never answered: the measured process is killed while it waits.
    res.on('error', () => {});
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const samples: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const firstNext = new Promise<void>((ok) => (arrived = ok));
      const start = performance.now();
      const child = spawn(runtime.command, runtime.args, {
        cwd: taskRoot,
        stdio: 'ignore',
        env: {
          PATH: process.env.PATH,
          AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
          _HANDLER: handler,
          LAMBDA_TASK_ROOT: taskRoot,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
        },
      });
      const exited = new Promise<void>((ok, fail) => {
        child.on('exit', () => ok());
        child.on('error', fail);
      });
      const winner = await Promise.race([firstNext.then(() => 'next' as const), exited.then(() => 'exit' as const)]);
      samples.push(performance.now() - start);
      child.kill('SIGKILL');
      await exited;
      if (winner === 'exit') throw new Error(`${binary} exited before its first GET /next (run ${i + 1})`);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return samples;
}

/** Milliseconds from spawn to exit of `<node> -e 0`. */
export async function timeNodeNoop(node: string, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const child = spawn(node, ['-e', '0'], { stdio: 'ignore' });
    await new Promise<void>((ok) => child.on('exit', () => ok()));
    samples.push(performance.now() - start);
  }
  return samples;
}

async function main(argv: string[]): Promise<number> {
  const arch = parseArchitecture(argv.find((a) => a.startsWith('--arch='))?.slice('--arch='.length) ?? 'x86_64');
  const [binaryArg, taskRootArg, runsText, handler] = argv.filter((a) => !a.startsWith('--'));
  if (arch instanceof Error || !binaryArg || !taskRootArg) {
    console.error('usage: node build/startup-time.ts [--arch=x86_64|arm64] <binary> <task-root> [runs=20] [handler=index.handler]');
    return 2;
  }
  const target = TARGETS[arch];
  // The child runs in the task root, so relative paths must be resolved here.
  const binary = resolve(binaryArg);
  const taskRoot = resolve(taskRootArg);
  const runs = Number(runsText ?? 20);
  // Interleave nothing: one warm-up of each, then the measured runs back to back.
  await timeToFirstNext(binary, taskRoot, handler ?? 'index.handler', 1, target);
  await timeNodeNoop(PINNED_NODE, 1);
  const binaryMs = median(await timeToFirstNext(binary, taskRoot, handler ?? 'index.handler', runs, target));
  const nodeMs = median(await timeNodeNoop(PINNED_NODE, runs));
  const how = isNative(target) ? '' : ` (${target.name}, under ${target.emulator?.command ?? 'an emulator'})`;
  console.log(`startup: ${binary}${how}: spawn -> first GET /next: median ${binaryMs.toFixed(1)} ms of ${runs}`);
  console.log(`startup: node -e 0 (same Node ${PINNED_NODE}): spawn -> exit: median ${nodeMs.toFixed(1)} ms of ${runs}`);
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
