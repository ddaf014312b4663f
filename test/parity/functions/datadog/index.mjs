// A plain ESM handler that Datadog's redirect handler wraps: the function's handler is
// datadog-lambda-js's own (node_modules/datadog-lambda-js/dist/handler.handler, the layer's
// /opt/nodejs/node_modules/datadog-lambda-js/handler.handler) and DD_LAMBDA_HANDLER names this one.
// One outgoing HTTP request (a dd-trace http span under the invocation's aws.lambda span), a custom
// distribution metric, an error on request.
import { request } from 'node:http';
import { sendDistributionMetric } from 'datadog-lambda-js';

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

export const handler = async (event) => {
  // Before any await: datadog-lambda-js sends a metric through the invocation in flight, a
  // process-wide variable the first invocation to end clears; one sent after that waits for the
  // next invocation (lost when there is none) — a race between overlapping invocations on Managed
  // Instances that is the library's, not the runtime's.
  sendDistributionMetric('parity.orders', 1, `order:${event.orderId}`);
  const status = await echo(event.orderId);
  if (event.fail === true) throw new TypeError(`order ${event.orderId} failed`);
  return { orderId: event.orderId, status, main: import.meta.main ?? null };
};
