// Response streams that outlive the handler's promise (issue 18; ../shared/repros/stream-end-after-return).
// AWS's client 4.0.2 awaits the handler, then the Runtime API's answer to the streamed POST (which
// comes once the body has ended), and only then checks the stream: the invocation lasts until the
// stream ends, or until the function timeout. Expected values are what `RIC=1` prints for the repro.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import {
  TRANSPORTS,
  describeOutcome,
  errorBody,
  outputSettles,
  startFunction,
  stopAll,
  tempDir,
  textLines,
} from './harness.ts';

afterAll(stopAll);

const FIXTURE = 'streaming';
const INVALID_STREAMING_OPERATION = 'Runtime.InvalidStreamingOperation';
// Short, so that the cases that must run into it do so quickly; long enough for a cold start.
const FUNCTION_TIMEOUT_MS = 3_000;

function streamedText(outcome: InvocationOutcome): string {
  return Buffer.concat(outcome.chunks.map((c) => c.data)).toString('utf8');
}

function trailerError(outcome: InvocationOutcome): { errorType: string; errorMessage: string } {
  const encoded = outcome.trailers['lambda-runtime-function-error-body'];
  if (encoded === undefined) throw new Error(`no error body trailer: ${JSON.stringify(outcome.trailers)}`);
  return JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { errorType: string; errorMessage: string };
}

function postsTo(emulator: Emulator, suffix: string): number {
  return emulator.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix)).length;
}

describe.each(TRANSPORTS)('a stream that ends after the handler returned (transport %s)', (transport) => {
  const start = (handler: string): Promise<Emulator> =>
    startFunction(FIXTURE, `index.${handler}`, {}, { transport, timeoutMs: FUNCTION_TIMEOUT_MS });

  describe.concurrent('the whole body arrives', () => {
    test('laterEnd (astuyve/lambda-stream#15): write, return, write and end() from a timer: "Hello World", no error', async () => {
      const emulator = await start('laterEnd');
      const outcome = await emulator.invoke('{}', { requestId: `later-end-${transport}` });
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.streaming).toBe(true);
      expect(outcome.body.toString('utf8')).toBe('Hello World');
      expect(outcome.trailers).toEqual({});
      expect(outcome.headers['content-type']).toBe('text/plain');
      // The line logged after the handler returned belongs to this invocation.
      await outcome.logsComplete;
      const late = textLines(emulator.output).find((l) => l.message.startsWith('late line'));
      expect(late, emulator.output).toMatchObject({ level: 'INFO', requestId: `later-end-${transport}` });
      expect(postsTo(emulator, '/error')).toBe(0);
    });

    test('pipeNoAwait: Readable.from(gen).pipe(responseStream) not awaited: all five chunks, 40 bytes', async () => {
      const emulator = await start('pipeNoAwait');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.toString('utf8')).toBe('chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n');
      expect(outcome.body.length).toBe(40);
    });

    test('end() from an fs.readFile callback after the handler returned: the file, byte for byte', async () => {
      const file = join(tempDir('stream-callback'), 'body.txt');
      writeFileSync(file, 'from a callback\n'.repeat(1000));
      const emulator = await start('endFromCallback');
      const outcome = await emulator.invoke(JSON.stringify({ file }));
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.toString('utf8')).toBe('from a callback\n'.repeat(1000));
    });

    test('endNoWait (honojs/hono#5333): 2 MiB written ignoring back-pressure, end(), returned before finish', async () => {
      const emulator = await start('endNoWait');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.length).toBe(2 * 1024 * 1024);
      expect(outcome.body.every((byte) => byte === 0x61)).toBe(true);
    });

    test('the runtime goes on: the invocation after a late end() is served normally', async () => {
      const emulator = await start('laterEnd');
      for (let i = 0; i < 3; i++) {
        const outcome = await emulator.invoke('{}');
        expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
        expect(outcome.body.toString('utf8')).toBe('Hello World');
      }
    });
  });

  describe.concurrent('a stream that never ends runs into the function timeout', () => {
    test('noEnd: written to, never ended: what was written arrives, then Sandbox.Timedout', async () => {
      const emulator = await start('noEnd');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('timeout');
      expect(streamedText(outcome)).toBe('partial');
      expect(outcome.recordedErrorType).toBe('Sandbox.Timedout');
      expect(postsTo(emulator, '/error')).toBe(0);
    });

    test('returning before writing anything, never ending: Sandbox.Timedout (the process does not exit)', async () => {
      const emulator = await start('returnsEarlyNothingWritten');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('timeout');
      expect(outcome.recordedErrorType).toBe('Sandbox.Timedout');
      expect(postsTo(emulator, '/error')).toBe(0);
      expect(postsTo(emulator, '/response')).toBe(0);
    });

    test('returning after a write, never ending: "half" arrives, then Sandbox.Timedout', async () => {
      const emulator = await start('returnsEarlyAfterWrite');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('timeout');
      expect(streamedText(outcome)).toBe('half');
    });
  });

  describe.concurrent('errors after the handler returned', () => {
    test('an un-awaited pipeline() whose source fails: the bytes so far, then the error in trailers', async () => {
      const emulator = await start('failAfterReturn');
      const outcome = await emulator.invoke('{}', { requestId: `fail-after-return-${transport}` });
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(outcome.streaming).toBe(true);
      expect(streamedText(outcome)).toBe('one;two;');
      expect(outcome.trailers['lambda-runtime-function-error-type']).toBe('RangeError');
      expect(trailerError(outcome)).toMatchObject({
        errorType: 'RangeError',
        errorMessage: 'source failed after the handler returned',
      });
      await outputSettles(emulator, (o) => textLines(o).some((l) => l.message.startsWith('Invoke Error')));
      const logged = textLines(emulator.output).find((l) => l.message.startsWith('Invoke Error'));
      expect(logged, emulator.output).toMatchObject({ level: 'ERROR', requestId: `fail-after-return-${transport}` });
      // Not a crash: the same runtime serves the next invocation.
      const pid = emulator.pid;
      const next = await emulator.invoke('{}');
      expect(next.kind, describeOutcome(next, emulator)).toBe('error');
      expect(emulator.pid).toBe(pid);
    });

    test('destroy() without an error after returning: "Response stream is not finished." in the trailers', async () => {
      const emulator = await start('destroyAfterReturn');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(streamedText(outcome)).toBe('begun;');
      expect(trailerError(outcome)).toMatchObject({
        errorType: INVALID_STREAMING_OPERATION,
        errorMessage: 'Response stream is not finished.',
      });
    });

    test('end() from a callback that destroys with an error instead (missing file): the error on /error', async () => {
      const emulator = await start('endFromCallback');
      const outcome = await emulator.invoke(JSON.stringify({ file: join(tempDir('stream-missing'), 'absent.txt') }));
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('error');
      expect(outcome.streaming).toBe(false);
      expect(errorBody(outcome)).toMatchObject({ errorType: 'Error' });
      expect(errorBody(outcome).errorMessage).toContain('ENOENT');
    });

    test('the handler rejects after its body ended: the body is delivered, the error logged', async () => {
      const emulator = await start('rejectAfterEnd');
      const outcome = await emulator.invoke('{}');
      expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
      expect(outcome.body.toString('utf8')).toBe('complete');
      await outputSettles(emulator, (o) => o.includes('rejected after the body was complete'));
      const logged = textLines(emulator.output).find((l) => l.message.startsWith('Invoke Error'));
      expect(logged, emulator.output).toMatchObject({ level: 'ERROR' });
    });
  });
});
