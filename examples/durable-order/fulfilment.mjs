// The order's fulfilment as a second durable function beside index.mjs: each item picked in its
// own branch (`map`), the label and the invoice made at once (`parallel`), shipping booked in a
// child context with its own steps and a short wait — and a carrier that refuses an address ends
// the execution with that failure (a step with retries switched off).
import { withDurableExecution } from '@aws/durable-execution-sdk-js';

export const handler = withDurableExecution(async (event, context) => {
  const items = Array.isArray(event?.items) ? event.items : [];

  const picked = await context.map('pick', items, async (ctx, item, index) =>
    ctx.step(`pick-${index}`, async () => ({ item, shelf: `S${index + 1}` })),
  );

  const paperwork = await context.parallel('paperwork', [
    { name: 'label', func: async (ctx) => ctx.step('print-label', async () => `label for ${items.length} items`) },
    { name: 'invoice', func: async (ctx) => ctx.step('make-invoice', async () => ({ lines: items.length })) },
  ]);

  const shipment = await context.runInChildContext('shipping', async (ctx) => {
    const quote = await ctx.step('quote', async () => ({ carrier: 'parcel-co', days: 2 }));
    await ctx.wait('pickup-window', { hours: 4 });
    return ctx.step(
      'book',
      async () => {
        if (event?.address === 'nowhere') throw new Error('the carrier refuses the address: nowhere');
        return { ...quote, booked: true };
      },
      { retryStrategy: () => ({ shouldRetry: false }) },
    );
  });

  return { picked: picked.getResults(), paperwork: paperwork.getResults(), shipment };
});
