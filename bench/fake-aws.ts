// The AWS endpoint the realistic function's first invoke sends to (AWS_ENDPOINT_URL): answers S3
// PutObject and DynamoDB GetItem the way the services do on success, on 127.0.0.1, so that the
// SDK's whole request path (credentials, signing, the HTTP handler, response parsing) runs without
// the network. Hand-written: two canned answers; a mock library would add its own start-up to the
// process under test, while this runs in the bench process.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const ITEM = JSON.stringify({ Item: { id: { S: 'counter' }, count: { N: '42' } } });

export class FakeAws {
  /** Requests answered, by kind: proves every start really sent. */
  readonly counts = { s3Put: 0, dynamoGet: 0, other: 0 };
  /** Method, path and SigV4 credential scope (…/<date>/<region>/<service>/aws4_request) of each request. */
  readonly requests: { method: string; path: string; scope: string | undefined }[] = [];
  private readonly server: Server;
  private constructor(server: Server) {
    this.server = server;
  }

  static async start(): Promise<FakeAws> {
    const server = createServer();
    const fake = new FakeAws(server);
    server.on('request', (req, res) => {
      const scope = /Credential=[^/]+\/([^,]+)/.exec(req.headers.authorization ?? '')?.[1];
      fake.requests.push({ method: req.method ?? '', path: req.url ?? '', scope });
      req.resume();
      req.on('end', () => {
        const target = req.headers['x-amz-target'];
        if (typeof target === 'string' && target.startsWith('DynamoDB_') && target.endsWith('.GetItem')) {
          fake.counts.dynamoGet++;
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'fake' }).end(ITEM);
        } else if (req.method === 'PUT') {
          fake.counts.s3Put++;
          res.writeHead(200, { etag: '"d41d8cd98f00b204e9800998ecf8427e"', 'x-amz-request-id': 'fake' }).end();
        } else {
          fake.counts.other++;
          res.writeHead(400, { 'content-type': 'application/xml' }).end('<Error><Code>NotImplemented</Code><Message>fake AWS answers PutObject and GetItem only</Message></Error>');
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
