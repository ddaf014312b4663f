// A function that cannot start: log it, tell the Runtime API (which answers the first invoke
// with it), and exit so Lambda can retry the init.

import { toErrorBody } from './errors.ts';
import { logRuntimeError } from './logging.ts';
import type { RuntimeApiClient } from './runtime-api/runtime-api.ts';
import { RuntimeApiError } from './runtime-api/runtime-api.ts';
import { UNCAUGHT_EXCEPTION_EXIT_CODE } from './process-failures.ts';

export async function failInit(client: RuntimeApiClient, error: unknown): Promise<never> {
  logRuntimeError('Init Error', error);
  const posted = await client.initError(toErrorBody(error));
  if (posted instanceof RuntimeApiError) {
    console.error(`The Runtime API did not accept the init error: ${posted.message}`);
  }
  process.exit(UNCAUGHT_EXCEPTION_EXIT_CODE);
}
