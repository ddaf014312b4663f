// nodejs22.x-era code: a two-parameter handler that returns nothing and completes later through
// context.succeed / context.fail (as aws-serverless-express and similar proxies do).
exports.handler = (event, context) => {
  setTimeout(() => {
    if (event.fail === true) context.fail(new Error(`legacy failure ${event.n}`));
    else context.succeed({ late: event.n });
  }, 20);
};
