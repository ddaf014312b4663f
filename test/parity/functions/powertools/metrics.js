// Powertools Metrics: one CloudWatch EMF line per invocation on stdout.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const metrics = new Metrics({ namespace: 'Parity', serviceName: 'parity-orders' });

export const handler = async (event) => {
  metrics.addDimension('channel', event.channel);
  metrics.addMetric('ordersPlaced', MetricUnit.Count, event.count);
  metrics.addMetadata('orderId', event.orderId);
  metrics.publishStoredMetrics();
  return { published: event.count };
};
