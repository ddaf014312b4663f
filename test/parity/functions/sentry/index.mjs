// A handler Sentry's Lambda SDK wraps from its --import preload (@sentry/aws-serverless/awslambda-auto):
// an error on request, which Sentry must capture, with the invocation's request id, and flush
// before the invocation ends.
export const handler = async (event) => {
  if (event.fail === true) throw new TypeError(`order ${event.orderId} failed`);
  return { orderId: event.orderId, main: import.meta.main ?? null };
};
