// Assertions the fault suite makes again and again: which result posts the runtime made for an
// invocation, whether a process is still alive, and what it logged.
import type { Emulator, ProcessExit, RecordedRequest } from '../../emulator/index.ts';

export const FIXTURE = 'faults';
export const NEXT_PATH = '/2018-06-01/runtime/invocation/next';

/** Every POST /response or /error the runtime made for `requestId` (URL-encoded as it must be). */
export function resultPosts(emulator: Emulator, requestId: string): RecordedRequest[] {
  const prefix = `/2018-06-01/runtime/invocation/${encodeURIComponent(requestId)}/`;
  return emulator.requests.filter(
    (r) => r.method === 'POST' && (r.path === `${prefix}response` || r.path === `${prefix}error`),
  );
}

/** `[path suffix, status]` of each result post for `requestId`, e.g. `[['response', 202]]`. */
export function postSummary(emulator: Emulator, requestId: string): [string, number][] {
  return resultPosts(emulator, requestId).map((r) => [r.path.slice(r.path.lastIndexOf('/') + 1), r.status]);
}

export function nextCount(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.method === 'GET' && r.path === NEXT_PATH).length;
}

/** The output with long runs of one character shortened, for readable assertion messages. */
export function readable(output: string, max = 3_000): string {
  return output.replace(/(.)\1{200,}/g, (run, c: string) => `${c}…(${run.length} times)`).slice(-max);
}

/** The process's exit if it comes within `ms`, else 'still running' (a test must not hang on it). */
export async function exitWithin(emulator: Emulator, ms: number): Promise<ProcessExit | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  try {
    return await Promise.race([emulator.processExit(), late]);
  } finally {
    clearTimeout(timer);
  }
}
