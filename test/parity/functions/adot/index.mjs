// A handler the ADOT-style preload (adot.mjs) instruments: one S3 GetObject through send()
// (an aws-sdk span over an http span), and an error on request. The same as ../otel/index.mjs.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({ forcePathStyle: true });

export const handler = async (event) => {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'parity-bucket', Key: event.key ?? 'hello.txt' }));
  const body = await out.Body.transformToString();
  if (event.fail === true) throw new Error(`failed after reading ${body.length} bytes`);
  return { length: body.length, main: import.meta.main ?? null };
};
