// src/shutdown.ts signalExtensionReady: the internal extension's GET /2020-01-01/extension/event/next
// never keeps the process alive, and an answer from the service (an event, or a refusal) breaks
// nothing. A real HTTP server on 127.0.0.1 plays the service; a real Node 24 process runs the call.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { NODE24, REPO_ROOT } from '../integration/harness.ts';
import { signalExtensionReady } from '../../src/shutdown.ts';

const ID = '2b4c1d6e-6a57-4a3c-9f0e-3c1f4b7a9d21';
const servers: http.Server[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(
    servers.splice(0).map((s) => {
      const closed = new Promise((r) => s.close(r));
      s.closeAllConnections();
      return closed;
    }),
  );
});

/** A service that records event/next calls and answers them with `answer` (or never). */
async function service(answer: ((res: http.ServerResponse) => void) | undefined): Promise<{ api: string; seen: http.IncomingMessage[] }> {
  const seen: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req);
    answer?.(res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { api: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}

describe('signalExtensionReady', () => {
  test('sends GET event/next with the identifier', async () => {
    const { api, seen } = await service(undefined);
    signalExtensionReady(api, ID);
    await until(() => seen.length === 1);
    expect(seen[0]?.method).toBe('GET');
    expect(seen[0]?.url).toBe('/2020-01-01/extension/event/next');
    expect(seen[0]?.headers['lambda-extension-identifier']).toBe(ID);
    seen[0]?.socket.destroy();
  });

  test('an event from the service is read and dropped, nothing is logged', async () => {
    let answered = false;
    const { api } = await service((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"eventType":"SHUTDOWN","deadlineMs":1,"shutdownReason":"spindown"}', () => (answered = true));
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    signalExtensionReady(api, ID);
    await until(() => answered);
    await new Promise((r) => setTimeout(r, 50));
    expect(warn).not.toHaveBeenCalled();
  });

  test('a refusal is logged once with the status and body', async () => {
    const { api } = await service((res) => {
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end('{"errorMessage":"Unknown extension x","errorType":"Extension.UnknownExtensionIdentifier"}\n');
    });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    signalExtensionReady(api, ID);
    await until(() => warn.mock.calls.length > 0);
    expect(String(warn.mock.calls[0]?.[0])).toContain('answered GET /2020-01-01/extension/event/next');
    expect(String(warn.mock.calls[0]?.[0])).toContain('403 {"errorMessage":"Unknown extension x"');
  });

  test('the open request never keeps the process alive: a process with nothing else to do exits by itself', async () => {
    const { api, seen } = await service(undefined);
    const script = `import { signalExtensionReady } from ${JSON.stringify(join(REPO_ROOT, 'src', 'shutdown.ts'))};
signalExtensionReady(${JSON.stringify(api)}, ${JSON.stringify(ID)});
setTimeout(() => process.stdout.write('idle\\n'), 200);`;
    const child = spawn(NODE24, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    // It sent the request, held it open, and still ended on its own once its own work was done.
    expect(seen).toHaveLength(1);
    expect(stdout).toBe('idle\n');
    expect(code).toBe(0);
  });
});
