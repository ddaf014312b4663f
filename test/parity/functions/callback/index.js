// A callback-style handler (three parameters), as pre-async code and older libraries write them.
exports.handler = (event, context, callback) => {
  setTimeout(() => console.log('timer after the callback'), 20);
  if (event.fail === true) return callback(new Error(`callback failure ${event.n}`));
  callback(null, { n: event.n, remaining: typeof context.getRemainingTimeInMillis() });
};
