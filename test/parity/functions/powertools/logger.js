// Powertools Logger: structured JSON lines with the Lambda context and the X-Ray trace id.
import { Logger } from '@aws-lambda-powertools/logger';

const logger = new Logger({ serviceName: 'parity-orders' });
logger.info('logger ready');

export const handler = async (event, context) => {
  logger.addContext(context);
  logger.info('processing order', { orderId: event.orderId, items: event.items });
  logger.warn('stock is low', { orderId: event.orderId });
  if (event.reject === true) {
    const error = new Error(`order ${event.orderId} rejected`);
    logger.error('order failed', error);
    throw error;
  }
  return { accepted: event.orderId };
};
