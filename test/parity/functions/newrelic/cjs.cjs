// New Relic's agent in serverless mode as its docs instrument a Node.js function by hand: the agent
// required first, the handler wrapped with newrelic.setLambdaHandler(). One outgoing HTTP request
// (an external segment), an error on request. The agent writes the invocation's payload to stdout
// (NR_LAMBDA_MONITORING) before the result goes back.
const newrelic = require('newrelic');
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

exports.handler = newrelic.setLambdaHandler(async (event) => {
  newrelic.addCustomAttribute('orderId', event.orderId);
  const status = await echo(event.orderId);
  if (event.fail === true) throw new TypeError(`order ${event.orderId} failed`);
  return { orderId: event.orderId, status, requireMain: require.main === undefined ? null : String(require.main.filename) };
});
