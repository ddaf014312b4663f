// Datadog set up in the function's code, as its docs show for a function without the layer's
// redirect handler: dd-trace initialised first, the handler wrapped with datadog(). The CommonJS
// twin of index.mjs.
const tracer = require('dd-trace').init();
const { datadog, sendDistributionMetric } = require('datadog-lambda-js');
const { request } = require('node:http');

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

exports.handler = datadog(async (event) => {
  // Before any await (see index.mjs).
  sendDistributionMetric('parity.orders', 1, `order:${event.orderId}`);
  const status = await tracer.trace('parity.work', async () => echo(event.orderId));
  if (event.fail === true) throw new TypeError(`order ${event.orderId} failed`);
  return { orderId: event.orderId, status, requireMain: require.main === undefined ? null : String(require.main.filename) };
});
