// Powertools batch processing of an SQS event: failed records come back as batchItemFailures.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';

const recordHandler = async (record) => {
  const body = JSON.parse(record.body);
  if (body.fail === true) throw new Error(`cannot process order ${body.orderId}`);
  console.log('processed order', body.orderId);
  return body.orderId;
};

export const handler = async (event, context) => {
  // One processor per invocation: it keeps per-batch state, and invocations may overlap.
  const processor = new BatchProcessor(EventType.SQS);
  return processPartialResponse(event, recordHandler, processor, { context });
};
