// An OpenTelemetry-style ESM preload (NODE_OPTIONS=--import): it must run before the handler
// module loads, and it instruments node:http the way @opentelemetry/instrumentation-http does,
// by replacing the module's request function with one that adds a header.
import http from 'node:http';

await Promise.resolve(); // a real SDK's start-up awaits (resource detection) before patching
const original = http.request;
http.request = function instrumentedRequest(...args) {
  const request = original.apply(this, args);
  request.setHeader('x-parity-preload', `import;handlerLoaded=${globalThis.__parityHandlerLoaded === true}`);
  return request;
};
(globalThis.__parityPreloads ??= []).push(`import:${import.meta.url.split('/').pop()}`);
