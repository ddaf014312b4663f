// The function every runtime in the bench serves: hello world, no logging, no awaits, so that a
// round trip measures the runtime and not the handler.
export const handler = async () => ({ statusCode: 200, body: 'hello world' });
