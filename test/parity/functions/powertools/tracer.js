// Powertools Tracer with its middy middleware: the X-Ray SDK sends the handler's subsegment and a
// traced S3 call to AWS_XRAY_DAEMON_ADDRESS (the parity suite's UDP listener).
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';

const tracer = new Tracer({ serviceName: 'parity-orders' });
const s3 = tracer.captureAWSv3Client(new S3Client({ forcePathStyle: true }));

const lambdaHandler = async (event) => {
  tracer.putAnnotation('orderId', event.orderId);
  tracer.putMetadata('order', { orderId: event.orderId });
  const out = await s3.send(new GetObjectCommand({ Bucket: 'parity-bucket', Key: 'hello.txt' }));
  const text = await out.Body.transformToString();
  if (event.fail === true) throw new Error(`tracing order ${event.orderId} failed`);
  return { text, rootTraceId: tracer.getRootXrayTraceId() ?? null, sampled: tracer.isTraceSampled() };
};

export const handler = middy(lambdaHandler).use(captureLambdaHandler(tracer));
