// The checkpoint logic of AWS's own local durable-execution service, run as it runs for
// `LocalDurableTestRunner`: the checkpoint server of `@aws/durable-execution-sdk-js-testing`, in a
// worker thread, spoken to with its message protocol ({type: 'API_REQUEST', data: {requestId, type,
// params}} in, {type: 'API_RESPONSE', data: {requestId, type, response | error}} out).
// Why this and not our own: it is the code AWS keeps in step with the SDK (operation validation,
// status transitions, the history events of every operation type, callback ids and timeouts), so a
// workflow that passes under AWS's test runner behaves the same here. What we add around it
// (execution.ts, durable-service.ts) is what the test runner does in-process and the service does
// on Lambda: ARNs, checkpoint-token order, re-invoking the function, the HTTP API.
// The worker file is not in the package's `exports`: it is started by path, as the package itself
// starts it (CheckpointWorkerManager.getWorkerPath). The version is pinned exactly in package.json
// because the protocol is the package's internal one.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { WorkerTimers, executionOfRequest, workerPreamble } from './worker-timers.ts';

/** The worker's API names (ApiType in the package's tagged-strings.mjs). */
export type WorkerApi =
  | 'StartDurableExecution'
  | 'StartInvocation'
  | 'CompleteInvocation'
  | 'UpdateCheckpointData'
  | 'PollCheckpointData'
  | 'GetDurableExecutionState'
  | 'CheckpointDurableExecutionState'
  | 'SendDurableExecutionCallbackSuccess'
  | 'SendDurableExecutionCallbackFailure'
  | 'SendDurableExecutionCallbackHeartbeat';

/** An operation as the checkpoint server holds it (Lambda's Operation shape; timestamps are Dates). */
export interface Operation {
  Id: string;
  ParentId?: string;
  Name?: string;
  Type: string;
  SubType?: string;
  Status: string;
  StartTimestamp?: Date;
  EndTimestamp?: Date;
  StepDetails?: { Attempt?: number; NextAttemptTimestamp?: Date; Result?: string; Error?: unknown };
  WaitDetails?: { ScheduledEndTimestamp?: Date };
  CallbackDetails?: { CallbackId?: string; Result?: string; Error?: unknown };
  [member: string]: unknown;
}

/** A history event (Lambda's Event shape); EventId orders them within an execution. */
export interface HistoryEvent {
  EventId?: number;
  EventType?: string;
  Id?: string;
  EventTimestamp?: Date;
  [member: string]: unknown;
}

/** An operation with every history event recorded for it so far. */
export interface OperationEvents {
  operation: Operation;
  events: HistoryEvent[];
}

/** An OperationUpdate the SDK checkpointed (undefined for the service's own transitions). */
export interface OperationUpdate {
  Id?: string;
  Type?: string;
  Action?: string;
  Payload?: string;
  Error?: unknown;
  [member: string]: unknown;
}

/** What StartDurableExecution and StartInvocation answer: the data of one invocation's event. */
export interface InvocationStart {
  checkpointToken: string;
  executionId: string;
  invocationId: string;
  operationEvents: OperationEvents[];
  updatedOperationIds: string[];
}

/** A message the worker could not serve (structured-cloned: the class is lost, message and name stay). */
export class CheckpointWorkerError extends Error {}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  /** The execution the request is about (its timers go to that execution's clock). */
  execution: string | undefined;
}

/** The minimum Node.js of AWS's durable execution SDKs (their `engines`: node >=22). */
export const DURABLE_SDK_MIN_NODE_MAJOR = 22;

/**
 * Why the checkpoint server cannot run, and what to do. The npm tool lists the durable SDKs as
 * optional dependencies so that it installs on Node 20; their `engines` say >=22, which npm 11
 * only warns about (EBADENGINE) when it can fetch them: the SDK may be installed on a Node it does
 * not support, where the execution started but never ran (its first invocation never came). So
 * `--durable` refuses a Node before 22 whether or not the package is there.
 * `nodeVersion`: process.versions.node ("20.20.2").
 */
export function checkpointServerMissing(nodeVersion: string): string {
  const major = Number(nodeVersion.split('.')[0]);
  if (major < DURABLE_SDK_MIN_NODE_MAJOR) {
    return (
      `durable functions need Node.js ${DURABLE_SDK_MIN_NODE_MAJOR} or later for AWS's durable execution SDK (@aws/durable-execution-sdk-js-testing, ` +
      `its checkpoint server), which does not run on Node.js ${nodeVersion}; run lambda-bootstrap on Node ${DURABLE_SDK_MIN_NODE_MAJOR}+ (and \`npm install\` there if npm skipped the SDK)`
    );
  }
  return 'durable functions need @aws/durable-execution-sdk-js-testing (its checkpoint server): it is not installed; run `npm install` (or `npm ci`) in the project';
}

/** Where the package keeps its checkpoint server; throws with what to do when it is not installed. */
export function checkpointWorkerPath(): string {
  if (Number(process.versions.node.split('.')[0]) < DURABLE_SDK_MIN_NODE_MAJOR) throw new Error(checkpointServerMissing(process.versions.node));
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('@aws/durable-execution-sdk-js-testing');
  } catch {
    throw new Error(checkpointServerMissing(process.versions.node));
  }
  // dist-cjs/index.js → dist/checkpoint-server/index.mjs
  const path = join(dirname(entry), '..', 'dist', 'checkpoint-server', 'index.mjs');
  if (!existsSync(path)) {
    throw new Error(`@aws/durable-execution-sdk-js-testing has no checkpoint server at ${path}: install the version package.json pins`);
  }
  return path;
}

/** One checkpoint server (all executions of one local server), in its own worker thread. */
export class CheckpointWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<string, Pending>();
  private failure: Error | undefined;
  /** The checkpoint server's callback and heartbeat timers, on each execution's clock (worker-timers.ts). */
  readonly timers: WorkerTimers;

  constructor() {
    this.worker = new Worker(workerPreamble(checkpointWorkerPath()), { eval: true });
    this.timers = new WorkerTimers((message) => this.worker.postMessage(message));
    this.worker.on('message', (message: { type?: string; data?: { requestId?: string; response?: unknown; error?: unknown; op?: unknown; id?: unknown; ms?: unknown } }) => {
      const data = message.data;
      if (message.type === 'LOCAL_TIMER' && data !== undefined) return this.timers.onTimerMessage(data);
      if (data?.requestId === undefined) return;
      const waiting = this.pending.get(data.requestId);
      if (waiting === undefined) return;
      this.pending.delete(data.requestId);
      this.timers.onAnswer(waiting.execution);
      if ('error' in data && data.error !== undefined) {
        const error = data.error as { message?: unknown; name?: unknown };
        const failure = new CheckpointWorkerError(typeof error.message === 'string' ? error.message : String(data.error));
        if (typeof error.name === 'string') failure.name = error.name;
        waiting.reject(failure);
      } else {
        waiting.resolve(data.response);
      }
    });
    const fail = (error: Error): void => {
      this.failure = error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the checkpoint server's worker thread exited (code ${code})`)));
    // A local server idle between invokes must still be able to exit on SIGINT: the worker does
    // not hold the event loop open by itself.
    this.worker.unref();
  }

  /** Sends one request; resolves with the worker's answer, rejects with its error. */
  call<T>(api: WorkerApi, params: object): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const requestId = randomUUID();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(requestId, { resolve: resolve as (value: unknown) => void, reject, execution: executionOfRequest(params as Record<string, unknown>) });
      this.worker.postMessage({ type: 'API_REQUEST', data: { requestId, type: api, params } });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
