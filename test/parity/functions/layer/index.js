// CommonJS: a package that is not in the function's own node_modules, but in a layer
// (/opt/nodejs/node_modules on Lambda), found through NODE_PATH.
const layerLib = require('parity-layer-lib');

exports.handler = async (event) => ({ greeting: layerLib.greet(event.name), from: require.resolve('parity-layer-lib') });
