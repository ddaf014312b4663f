// The ES module twin of cjs.cjs, run with the agent's ESM loader preloaded
// (NODE_OPTIONS=--import newrelic/esm-loader.mjs, New Relic's set-up for ES modules).
import newrelic from 'newrelic';
import { request } from 'node:http';

function echo(orderId) {
  return new Promise((resolve, reject) => {
    const req = request(`${process.env.AWS_ENDPOINT_URL}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ orderId }));
  });
}

export const handler = newrelic.setLambdaHandler(async (event) => {
  newrelic.addCustomAttribute('orderId', event.orderId);
  const status = await echo(event.orderId);
  if (event.fail === true) throw new TypeError(`order ${event.orderId} failed`);
  return { orderId: event.orderId, status, main: import.meta.main ?? null };
});
