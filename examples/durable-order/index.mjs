// An order workflow as a Lambda durable function (@aws/durable-execution-sdk-js): reserve stock,
// let a day pass, wait for a person's approval (a callback another system answers with
// SendDurableExecutionCallbackSuccess), then charge the card — a payment step whose first
// attempt fails (the provider times out) and is retried by the SDK's retry strategy.
// Run it locally: docs/durable-functions.md.
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

export const handler = withDurableExecution(async (event, context) => {
  const orderId = typeof event?.orderId === 'string' ? event.orderId : 'order-1';
  const items = Array.isArray(event?.items) ? event.items : [];

  const reservation = await context.step('reserve-stock', async () => ({ orderId, reserved: items.length }));

  // A day for the customer to change their mind; the function is not running meanwhile.
  await context.wait('cool-off', { days: 1 });

  // The callback id goes to whoever approves; their answer (a JSON string) resumes the workflow.
  const approval = await context.waitForCallback(
    'approval',
    async (callbackId, ctx) => {
      ctx.logger.info(`approval requested for ${orderId}`, { callbackId });
    },
    { timeout: { hours: 1 } },
  );

  const charge = await context.step(
    'charge-card',
    async (step) => {
      if (step.attempt === 1) throw new Error('payment provider timed out');
      return { charged: true, attempt: step.attempt };
    },
    { retryStrategy: (error, attempt) => ({ shouldRetry: attempt < 3, delay: { seconds: 30 } }) },
  );

  return { orderId, reservation, approval: JSON.parse(approval), charge };
});
