// A result just over the Runtime API's 6,291,556-byte limit for buffered responses.
exports.handler = async (event) => (event.big === true ? 'x'.repeat(6_291_556) : { small: true });
