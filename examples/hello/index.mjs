// The example function `make` builds and invokes: greets the caller and shows the context.
export const handler = async (event, context) => {
  const name = typeof event?.name === 'string' ? event.name : 'world';
  console.log(`greeting ${name}`);
  return {
    message: `Hello, ${name}!`,
    requestId: context.awsRequestId,
    remainingTimeMs: context.getRemainingTimeInMillis(),
    node: process.version,
  };
};
