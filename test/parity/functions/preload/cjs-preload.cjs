// A CommonJS preload (NODE_OPTIONS=--require), as APM agents ship them.
(globalThis.__parityPreloads ??= []).push('require:cjs-preload.cjs');
process.env.PARITY_REQUIRE_PRELOAD_RAN = 'yes';
