// The floor of the Lambda-like section's managed-node rows: the least a runtime client started by
// the managed bootstrap (build/managed-runtime/bootstrap, as /var/runtime/index.mjs) can do before
// its first response. It imports the handler, asks for one event and posts one result over a raw
// node:net socket: no error handling, no logging, no second invocation. Nothing ships it; it only
// shows how much of aws-lambda-ric's and the wrapper layer's start is node and the bootstrap script.
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const [file, name] = process.env._HANDLER.split('.');
const handler = (await import(pathToFileURL(join(process.env.LAMBDA_TASK_ROOT, `${file}.mjs`)).href))[name];

function exchange(head, body = '') {
  return new Promise((resolve) => {
    const socket = connect(Number(port), host);
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: *(\d+)/i.exec(text.slice(0, end));
      if (end >= 0 && text.length - end - 4 >= Number(length?.[1] ?? 0)) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.write(`${head}\r\nHost: ${host}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

const next = await exchange('GET /2018-06-01/runtime/invocation/next HTTP/1.1');
const requestId = /lambda-runtime-aws-request-id: *(\S+)/i.exec(next)[1];
const event = JSON.parse(next.slice(next.indexOf('\r\n\r\n') + 4));
const result = await handler(event, { awsRequestId: requestId });
await exchange(`POST /2018-06-01/runtime/invocation/${requestId}/response HTTP/1.1`, JSON.stringify(result));
