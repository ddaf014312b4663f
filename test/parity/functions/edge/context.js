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
    event,
  };
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'renamed-by-the-handler';
  return seen;
};
