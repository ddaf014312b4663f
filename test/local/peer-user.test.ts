// A local server answers only the local user (emulator/peer-user.ts): on a machine shared by
// several users, another user's process that connects to 127.0.0.1 — to the function URL front
// door, the Invoke API or the Runtime API — is closed before anything is read. Run against
// dist/bootstrap served by LocalServer; the other user is `nobody` (uid 65534), so the refusal
// cases need root (to start a process as another user) and are skipped otherwise.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { createConnection, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import { peerUid } from '../../emulator/peer-user.ts';
import { startFunction, stopAll } from '../integration/harness.ts';

const servers: LocalServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await stopAll();
});

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

/** A request from a process running as `uid`: 'answered <status>' or 'refused <code>'. Not
 * spawnSync: the servers run in this process and must answer meanwhile. */
async function requestAs(uid: number, url: string, body = '{}'): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}, { method: 'POST', body: ${JSON.stringify(body)} }).then((r) => console.log('answered', r.status), (e) => console.log('refused', e.cause?.code ?? e.message));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { uid, gid: uid, encoding: 'utf8', cwd: '/' });
  return stdout.trim();
}

describe('peerUid: the uid of the client end of a connection from this machine', () => {
  for (const host of ['127.0.0.1', '::1']) {
    it(`over ${host}: this process's uid`, async () => {
      const server = createServer();
      server.listen(0, host);
      await once(server, 'listening');
      const accepted = once(server, 'connection') as Promise<[Socket]>;
      const port = (server.address() as { port: number }).port;
      const client = createConnection({ host, port });
      const [socket] = await accepted;
      expect(peerUid(socket)).toBe(process.getuid?.());
      client.destroy();
      socket.destroy();
      server.close();
    });
  }
});

describe.skipIf(!asRoot)('another user on this machine is not answered', () => {
  it("the front door, the Invoke API and the Runtime API close another user's connection unread; this user's requests are answered", async () => {
    const emulator = await startFunction('local-security', 'index.secret', {}, { functionName: 'fn' });
    const server = await LocalServer.start(emulator, { functionName: 'fn', port: 0, log: () => {} });
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    const invoke = `${base}/2015-03-31/functions/fn/invocations`;
    const event = JSON.stringify({ secret: 'visible-to-owner' });
    expect(await requestAs(NOBODY, invoke, event)).toMatch(/^refused /);
    expect(await requestAs(NOBODY, `${base}/`)).toMatch(/^refused /);
    expect(await requestAs(NOBODY, `http://${emulator.runtimeApi}/2018-06-01/runtime/invocation/next`)).toMatch(/^refused /);
    // This user (the same uid, another process) is answered as before.
    expect(await requestAs(process.getuid!(), invoke, event)).toBe('answered 200');
    const own = await fetch(invoke, { method: 'POST', body: event });
    expect(own.status).toBe(200);
  }, 120_000);
});
