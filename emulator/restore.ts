// SnapStart's two Runtime API routes, served only when the function starts with
// AWS_LAMBDA_INITIALIZATION_TYPE=snap-start (RIE's rapi/router.go mounts them only for InitCaching):
//   GET  /2018-06-01/runtime/restore/next   the runtime's init is done: the service takes the
//        snapshot, and answers 200 (empty body) once the sandbox has been restored from it;
//        a second call is 403 InvalidStateTransition (rapi/handler/restorenext.go: RestoreReady).
//   POST /2018-06-01/runtime/restore/error  an after-restore hook failed: 202 {"status":"OK"}, the
//        error type kept as the service keeps it (rapi/handler/restoreerror.go); 403 unless restored.
// Nothing can snapshot a process here: `restore()` is the moment a restored copy resumes.
import type http from 'node:http';
import { ACCEPTED, apiError, invalidStateTransition, recordedErrorType } from './service-errors.ts';

export const RESTORE_NEXT_PATH = '/2018-06-01/runtime/restore/next';
export const RESTORE_ERROR_PATH = '/2018-06-01/runtime/restore/error';

type Phase = 'initializing' | 'snapshot' | 'restored' | 'restore-failed';

export interface RestoreError {
  errorType: string;
  body: string;
}

/** The restore side of one sandbox's life; the Emulator makes a new one per runtime process. */
export class RestoreGate {
  phase: Phase = 'initializing';
  restoreError: RestoreError | undefined;
  private release: (() => void) | undefined;
  private readonly snapshotWaiters: (() => void)[] = [];

  /** Resolves when the runtime has asked for restore/next (its init is complete: the snapshot point). */
  snapshotTaken(): Promise<void> {
    if (this.phase !== 'initializing') return Promise.resolve();
    return new Promise((resolve) => this.snapshotWaiters.push(resolve));
  }

  /** Answers the pending restore/next: the sandbox resumes as a restored copy. */
  restore(): void {
    if (this.phase !== 'snapshot' || this.release === undefined) throw new Error('RestoreGate.restore: the runtime has not asked for restore/next yet');
    this.phase = 'restored';
    this.release();
    this.release = undefined;
  }

  /** Serves one request on a restore route; `status` and `responseBody` are returned for the record. */
  async handle(method: string, path: string, body: Buffer, headers: Record<string, string>, res: http.ServerResponse): Promise<{ status: number; responseBody: string }> {
    if (method === 'GET' && path === RESTORE_NEXT_PATH) {
      if (this.phase !== 'initializing') return answer(res, 403, invalidStateTransition(`RestoreReady from ${this.phase}`));
      this.phase = 'snapshot';
      const released = new Promise<void>((resolve) => {
        this.release = resolve;
      });
      for (const waiter of this.snapshotWaiters.splice(0)) waiter();
      await released;
      return answer(res, 200, '');
    }
    if (method === 'POST' && path === RESTORE_ERROR_PATH) {
      if (this.phase !== 'restored') return answer(res, 403, invalidStateTransition(`RestoreError from ${this.phase}`));
      this.phase = 'restore-failed';
      this.restoreError = { errorType: recordedErrorType(headers['lambda-runtime-function-error-type']), body: body.toString('utf8') };
      return answer(res, 202, ACCEPTED);
    }
    return answer(res, 404, apiError('NotFound', `Unknown Runtime API path: ${method} ${path}`));
  }
}

function answer(res: http.ServerResponse, status: number, body: string): { status: number; responseBody: string } {
  if (!res.destroyed) {
    res.writeHead(status, status === 200 ? { 'Content-Length': '0' } : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  }
  return { status, responseBody: body };
}
