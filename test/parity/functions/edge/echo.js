// Echoes its event: the case sends one that is not JSON.
exports.handler = async (event) => ({ event });
