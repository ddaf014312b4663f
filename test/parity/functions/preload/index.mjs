// Reports which preloads ran before this module loaded, and whether node:http is instrumented.
import http from 'node:http';

const preloadsAtLoad = [...(globalThis.__parityPreloads ?? [])];
globalThis.__parityHandlerLoaded = true;

function get(url) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (d) => (body += d)).on('end', () => resolve(JSON.parse(body)));
    });
    request.on('error', reject);
    request.end();
  });
}

export const handler = async () => {
  const seen = await get(`${process.env.AWS_ENDPOINT_URL}/echo`);
  return { preloadsAtLoad, requirePreloadEnv: process.env.PARITY_REQUIRE_PRELOAD_RAN ?? null, serverSaw: seen.preload };
};
