// The context a handler gets, and whether it follows later changes to the environment.
exports.handler = async (event, context) => {
  const seen = {
    functionName: context.functionName,
    functionVersion: context.functionVersion,
    memoryLimitInMB: context.memoryLimitInMB,
    logGroupName: context.logGroupName,
    logStreamName: context.logStreamName,
    invokedFunctionArn: context.invokedFunctionArn,
    awsRequestId: context.awsRequestId,
    callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
    remainingIsNumber: typeof context.getRemainingTimeInMillis() === 'number',
    traceEnv: process.env._X_AMZN_TRACE_ID ?? null,
    // What node was started with: the managed runtime's --expose-gc and --max-http-header-size.
    gc: typeof globalThis.gc,
    maxHeaderSize: require('node:http').maxHeaderSize,
    // The store's W3C getters (newer @aws/lambda-invoke-store than AWS's client bundles).
    storeTraceparentGetter: typeof globalThis.awslambda?.InvokeStore?.getTraceparent,
    event,
  };
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'renamed-by-the-handler';
  return seen;
};
