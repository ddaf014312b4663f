// The CommonJS twin of index.mjs, wrapped from a --require preload.
exports.handler = async (event) => {
  if (event.fail === true) throw new TypeError(`order ${event.orderId} failed`);
  return { orderId: event.orderId, requireMain: require.main === undefined ? null : String(require.main.filename) };
};
