// DynamoDB DocumentClient (AWS SDK v3) get/put through send(), CommonJS, against the parity
// suite's fake DynamoDB (AWS_ENDPOINT_URL) or a port nobody listens on.
const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand, PutCommand } = require('@aws-sdk/lib-dynamodb');

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const unreachable = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: process.env.PARITY_REFUSED_ENDPOINT }));

exports.handler = async (event, context) => {
  const client = event.refused === true ? unreachable : documents;
  const table = event.table ?? 'parity-table';
  if (event.op === 'put') {
    await client.send(new PutCommand({ TableName: table, Item: event.item }));
    console.log('put', event.item.pk);
    return { put: event.item.pk };
  }
  const out = await client.send(new GetCommand({ TableName: table, Key: { pk: event.pk } }));
  console.log('got', JSON.stringify(out.Item ?? null));
  return { item: out.Item ?? null, requestId: context.awsRequestId };
};
