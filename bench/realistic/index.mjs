// The realistic function of `make bench`: what a typical production function loads and builds at
// init (AWS SDK v3 S3 and DynamoDB DocumentClient, middy, Powertools logger), and a first invoke
// that really sends: one PutObject and one GetItem to the endpoint in AWS_ENDPOINT_URL (the bench's
// fake AWS on 127.0.0.1), so that the SDK's request path (signing, HTTP handler, parsing) runs.
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';

const logger = new Logger({ serviceName: 'bench-realistic' });
const s3 = new S3Client({ forcePathStyle: true });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const table = process.env.TABLE_NAME ?? 'bench-table';
const bucket = process.env.BUCKET_NAME ?? 'bench-bucket';

const main = async (event, context) => {
  const key = `events/${context.awsRequestId}.json`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(event) }));
  const { Item } = await documents.send(new GetCommand({ TableName: table, Key: { id: 'counter' } }));
  logger.debug('stored', { key });
  return { statusCode: 200, body: JSON.stringify({ key, item: Item ?? null }) };
};

export const handler = middy(main);
