// The CommonJS twin of index.mjs.
const { GetObjectCommand, S3Client } = require('@aws-sdk/client-s3');

const s3 = new S3Client({ forcePathStyle: true });

exports.handler = async (event) => {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'parity-bucket', Key: event.key ?? 'hello.txt' }));
  const body = await out.Body.transformToString();
  if (event.fail === true) throw new Error(`failed after reading ${body.length} bytes`);
  return { length: body.length, requireMain: require.main === undefined ? null : String(require.main.filename) };
};
