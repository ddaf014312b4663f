// The emulator CLI with dist/bootstrap, as users run it: one-shot invokes print every line the
// handler wrote for the invocation (issue 11; inputs from ../shared/repros/oneshot-log-loss), and
// Ctrl-C / SIGTERM of serve mode runs Lambda's shutdown sequence, so a SIGTERM listener runs and
// is logged (inputs from ../shared/repros/cli-shutdown-sigterm).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NODE24, REPO_ROOT, bootstrapCommand, fixturePath, textLines, waitUntil } from './harness.ts';

const CLI = join(REPO_ROOT, 'emulator', 'cli.ts');
const running = new Set<ChildProcess>();

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): { child: ChildProcess; done: Promise<Run>; stderr: () => string } {
  const { command, args: runtimeArgs, env } = bootstrapCommand();
  // What the build under test needs in its environment (the wrapper flavour's managed-runtime paths).
  const envFlags = Object.entries(env ?? {}).flatMap(([name, value]) => ['--env', `${name}=${value}`]);
  const child = spawn(NODE24, [CLI, ...args, ...envFlags, '--', command, ...runtimeArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => {
      running.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, done, stderr: () => stderr };
}

describe('one-shot invoke (--invoke)', () => {
  test('a handler that logs before and after responding shows both lines, before REPORT, in 50 of 50 runs', async () => {
    const runs: Run[] = [];
    // Two at a time: the machine's two cores, as the repro ran it.
    for (let i = 0; i < 50; i += 2) {
      const batch = [0, 1].map(() =>
        cli(['--handler', 'index.handler', '--task-root', fixturePath('oneshot-log-loss'), '--invoke', '{"name":"you"}']).done,
      );
      runs.push(...(await Promise.all(batch)));
    }
    const complete = runs.filter((run) => {
      const lines = run.stderr.split('\n');
      const report = lines.findIndex((l) => l.startsWith('REPORT RequestId: '));
      const greeting = lines.findIndex((l) => /\tINFO\tgreeting you$/.test(l));
      const greeted = lines.findIndex((l) => /\tINFO\tgreeted you$/.test(l));
      return run.code === 0 && greeting >= 0 && greeted > greeting && report > greeted;
    });
    const failed = runs.find((run) => !complete.includes(run));
    expect(complete.length, failed?.stderr).toBe(50);
    for (const run of runs) expect(JSON.parse(run.stdout)).toEqual({ message: 'Hello, you!' });
  }, 300_000);
});

describe('serve mode ends with Lambda\'s shutdown sequence', () => {
  test.each(['SIGINT', 'SIGTERM'] as const)(
    '%s to the CLI: the runtime gets SIGTERM, its listener logs, the exit time is reported',
    async (signal) => {
      const run = cli(['--handler', 'index.handler', '--task-root', fixturePath('cli-shutdown-sigterm'), '--port', '0']);
      await waitUntil(() => /curl -d '\{\}' (http:\/\/\S+)\//.test(run.stderr()), 10_000, 'the serve banner');
      const url = /curl -d '\{\}' (http:\/\/\S+?)\/2015/.exec(run.stderr())?.[1] ?? '';
      const res = await fetch(`${url}/2015-03-31/functions/function/invocations`, { method: 'POST', body: '{"m":1}' });
      expect(await res.json()).toEqual({ buffered: 1 });
      await waitUntil(() => run.stderr().includes('REPORT RequestId: '), 5_000, 'the REPORT line');
      run.child.kill(signal);
      const { code, stderr } = await run.done;
      expect(code, stderr).toBe(0);
      const lines = textLines(stderr);
      const report = stderr.split('\n').find((l) => l.startsWith('REPORT RequestId: '));
      const requestId = /^REPORT RequestId: (\S+)/.exec(report ?? '')?.[1];
      expect(lines.find((l) => l.message === '[shutdown] flushing 1 buffered metrics'), stderr).toMatchObject({ level: 'INFO', requestId });
      expect(lines.find((l) => l.message === '[shutdown] done'), stderr).toMatchObject({ level: 'INFO' });
      const measured = new RegExp(`^emulator: ${signal}: SIGTERM sent; the runtime exited (\\d+\\.\\d) ms later$`, 'm').exec(stderr);
      expect(measured, stderr).not.toBeNull();
      // The listener waits 50 ms before process.exit(0); "exited" (not SIGKILL) means within the grace period.
      const exitMs = Number(measured?.[1]);
      expect(exitMs).toBeGreaterThanOrEqual(50);
      console.log(`${signal}: runtime exited ${exitMs} ms after SIGTERM`);
    },
  );
});
