// A response-streaming handler (awslambda.streamifyResponse): an HTTP prelude, then pieces written
// over time through stream.pipeline; on request, it fails after the first piece (the error then
// travels in the response's trailers).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

async function* progress(n, functionName) {
  for (const word of ['packed', 'shipped', 'delivered']) {
    await sleep(5);
    yield `${word} `;
  }
  yield `(order ${n}, ${functionName})`;
}

export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'x-order': String(event.n) } });
  console.log('streaming order', event.n);
  stream.write(`order ${event.n}: `);
  await sleep(10);
  if (event.fail === true) throw new Error(`stream for order ${event.n} broke`);
  await pipeline(Readable.from(progress(event.n, context.functionName)), stream);
});
