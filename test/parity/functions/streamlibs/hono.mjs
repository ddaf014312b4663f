// Hono's streamHandle on a function URL event: streamText writes three pieces with pauses.
import { Hono } from 'hono';
import { streamHandle } from 'hono/aws-lambda';
import { streamText } from 'hono/streaming';

const app = new Hono();
app.get('/stream', (c) =>
  streamText(c, async (stream) => {
    for (let i = 0; i < 3; i++) {
      await stream.write(`piece ${i};`);
      await stream.sleep(20);
    }
  }),
);
app.get('/fail', () => {
  throw new Error('route failed');
});

export const handler = streamHandle(app);
