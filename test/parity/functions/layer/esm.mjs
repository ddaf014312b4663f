// ESM never consults NODE_PATH: importing the layer's package by name fails at init, on the
// managed runtime as anywhere else.
import layerLib from 'parity-layer-lib';

export const handler = async (event) => ({ greeting: layerLib.greet(event.name) });
