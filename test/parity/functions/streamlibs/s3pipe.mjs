// pipeline() from an S3 GetObject body into the response stream (the fake S3 of the parity suite).
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });

export const handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'parity-bucket', Key: event.key }));
  responseStream.setContentType(out.ContentType ?? 'application/octet-stream');
  if (event.awaited === false) {
    // Not awaited: the invocation lasts until the stream ends.
    out.Body.pipe(responseStream);
    return;
  }
  await pipeline(out.Body, responseStream);
});
