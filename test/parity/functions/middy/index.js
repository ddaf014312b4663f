// A middy HTTP handler: the JSON body parser and the HTTP error handler around a plain async handler.
import middy from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';

const greet = async (event, context) => {
  console.log('greeting', event.body.name);
  if (event.body.name === 'crash') throw new Error('greeter crashed');
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hello: event.body.name, fn: context.functionName }) };
};

export const handler = middy().use(httpJsonBodyParser()).use(httpErrorHandler()).handler(greet);
