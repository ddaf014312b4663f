// The CLI: one-shot invocations (as `make` uses them), help and bad flags.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { writeStandIn } from './test-helpers.ts';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'cli.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Serve mode until `stop()`: the port it printed, and stderr so far. */
function serveCli(args: string[]): Promise<{ port: number; stderr: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const stop = (): Promise<void> => new Promise((resolve) => (child.exitCode !== null ? resolve() : (child.once('close', () => resolve()), child.kill('SIGTERM'))));
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      const port = /http:\/\/[^:]+:(\d+)\/2015-03-31/.exec(stderr)?.[1];
      if (port !== undefined) {
        clearInterval(poll);
        resolve({ port: Number(port), stderr: () => stderr, stop });
      }
    }, 20);
    child.once('close', (code) => (clearInterval(poll), reject(new Error(`the CLI exited ${code}: ${stderr}`))));
  });
}

describe('cli', () => {
  test('serve mode: --host beyond loopback warns; --allowed-host admits that name; a foreign Host or a cross-site browser POST is 403', async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const served = await serveCli(['--handler', 'index.whoami', '--task-root', join(root, 'test/fixtures/local-security'), '--port', '0',
      '--host', '0.0.0.0', '--allowed-host', 'dev.example', '--', join(root, 'dist/bootstrap')]);
    try {
      expect(served.stderr()).toMatch(/emulator: warning: listening on 0\.0\.0\.0:\d+: the function runs with the AWS credentials of this shell/);
      const invoke = (headers: Record<string, string>): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: served.port, method: 'POST', path: '/2015-03-31/functions/function/invocations', headers }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end('{"origin":"cli-test"}');
        });
      expect((await invoke({ host: `dev.example:${served.port}` })).status).toBe(200);
      expect((await invoke({ host: `127.0.0.1:${served.port}` })).status).toBe(200);
      const foreign = await invoke({ host: 'evil.example' });
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body)).toMatchObject({ errorType: 'Forbidden', errorMessage: expect.stringContaining('--allowed-host evil.example') });
      expect((await invoke({ host: `127.0.0.1:${served.port}`, origin: 'http://attacker.example', 'content-type': 'text/plain' })).status).toBe(403);
      expect(served.stderr()).toContain('emulator: refused POST /2015-03-31/functions/function/invocations');
    } finally {
      await served.stop();
    }
  });

  test('--invoke prints the response on stdout, output and REPORT on stderr, exits 0', async () => {
    const { dir, script } = writeStandIn();
    const run = await cli(['--handler', 'index.handler', '--task-root', dir, '--memory', '256', '--env', 'GREETING=hi',
      '--invoke', '{"action":"echo"}', '--', process.execPath, script]);
    expect(run.code, run.stderr).toBe(0);
    const echo = JSON.parse(run.stdout) as { env: Record<string, string> };
    expect(echo.env.GREETING).toBe('hi');
    expect(echo.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE).toBe('256');
    expect(run.stderr).toMatch(/^REPORT RequestId: \S+\tDuration: .*\tMemory Size: 256 MB\t/m);
  });

  test('--event-file with a function error exits 1', async () => {
    const { dir, script } = writeStandIn();
    const eventFile = join(dir, 'event.json');
    writeFileSync(eventFile, '{"action":"error","type":"Function.Nope","message":"no"}');
    const run = await cli(['--handler', 'h.h', '--task-root', dir, '--event-file', eventFile, '--', process.execPath, script]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ errorType: 'Function.Nope' });
  });

  test('--help exits 0 with usage; bad flags exit 2 with a clear message', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: node emulator/cli.ts');
    const unknown = await cli(['--handler', 'a.b', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const missing = await cli(['--task-root', '/tmp', '--', process.execPath]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--handler is required');
    const badNumber = await cli(['--handler', 'a.b', '--task-root', '/tmp', '--timeout', 'soon', '--', process.execPath]);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain("--timeout expects a positive number, got 'soon'");
  });
});
