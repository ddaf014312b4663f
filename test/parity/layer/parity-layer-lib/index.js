// A layer's shared package: CommonJS, as layers under /opt/nodejs/node_modules usually are.
exports.greet = (name) => `hello ${name}, from the layer`;
