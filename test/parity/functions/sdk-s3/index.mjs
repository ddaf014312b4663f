// S3 through AWS SDK v3 send(): the endpoint comes from AWS_ENDPOINT_URL (the parity suite's fake
// S3), credentials from the environment; a second client points at a port nobody listens on.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });
const unreachable = new S3Client({ forcePathStyle: true, endpoint: process.env.PARITY_REFUSED_ENDPOINT });
console.log('s3 client ready', await s3.config.region());

export const handler = async (event) => {
  const client = event.refused === true ? unreachable : s3;
  console.info('s3', event.op, event.key);
  if (event.op === 'put') {
    const out = await client.send(new PutObjectCommand({ Bucket: event.bucket ?? 'parity-bucket', Key: event.key, Body: event.body, ContentType: 'text/plain' }));
    return { etag: out.ETag, status: out.$metadata.httpStatusCode };
  }
  const out = await client.send(new GetObjectCommand({ Bucket: event.bucket ?? 'parity-bucket', Key: event.key }));
  const body = await out.Body.transformToString();
  return { body, contentType: out.ContentType, etag: out.ETag, length: out.ContentLength, status: out.$metadata.httpStatusCode };
};
