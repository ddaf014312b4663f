// lambda-stream (astuyve/lambda-stream): its streamifyResponse hands over to awslambda's; the
// handler writes, returns, and ends the stream from a timer (astuyve/lambda-stream#15).
const { streamifyResponse } = require('lambda-stream');

exports.handler = streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType('text/plain');
  responseStream.write(`Hello ${event.name} `);
  setTimeout(() => {
    responseStream.write('World');
    responseStream.end();
  }, 100);
});
