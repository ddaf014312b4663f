// The durable-execution API of Lambda (API version 2025-12-01) on the local server's port, and the
// Invoke API's durable side (X-Amz-Durable-Execution-Name in, X-Amz-Durable-Execution-Arn out).
// Source of the shapes, paths and status codes: the Lambda API reference and the service model
// @aws-sdk/client-lambda is generated from (CheckpointDurableExecution POST …/checkpoint 200,
// GetDurableExecutionState GET …/state 200, GetDurableExecution GET /2025-12-01/durable-executions/{Arn}
// 200, GetDurableExecutionHistory GET …/history 200, ListDurableExecutionsByFunction
// GET /2025-12-01/functions/{FunctionName}/durable-executions 200, StopDurableExecution POST …/stop
// 200, SendDurableExecutionCallbackSuccess/Failure/Heartbeat POST
// /2025-12-01/durable-execution-callbacks/{CallbackId}/succeed|fail|heartbeat 200).
// The checkpoint logic is AWS's own (checkpoint-worker.ts); each execution's driving is execution.ts.
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { LocalFunction } from '../invoke/lambda-invoke-api.ts';
import { functionNotFound, resolveFunctionName, sendServiceError } from '../invoke/lambda-invoke-api.ts';
import type { ServiceError } from '../invoke/lambda-invoke-api.ts';
import { MAX_EVENT_REQUEST_BYTES, MAX_SYNC_REQUEST_BYTES } from '../limits.ts';
import { header, safeDecode } from '../listening.ts';
import { defaultFunctionArn } from '../runtime-environment.ts';
import { Emulator } from '../emulator.ts';
import type { EmulatorOptions } from '../emulator.ts';
import { chainedExecutionName, namesLocalFunction, notLocalFunction, plainOutcome } from './chained-invoke.ts';
import type { ChainedOutcome, ChainedRun } from './chained-invoke.ts';
import { CheckpointWorker } from './checkpoint-worker.ts';
import type { Operation } from './checkpoint-worker.ts';
import { DurableExecution } from './execution.ts';
import type { ErrorObject, ExecutionStatus } from './execution.ts';
import type { DurableClock } from './time-scale.ts';
import { PageError, markerPosition, maxItemsOf, page } from './history-view.ts';
import { parseObject, sendJson, withoutPayloads } from './wire.ts';

/** The durable configuration the local service runs the function with, and what may be chained. */
export interface DurableSettings extends DurableClock {
  /** Functions context.invoke may call besides this one (`--chained-function`), by name: each runs
   * in a runtime of its own, started at its first invoke, as a plain invocation. */
  chainedFunctions?: ReadonlyMap<string, EmulatorOptions>;
}

export interface DurableServiceOptions extends DurableSettings {
  /** The one function this server knows (its Invoke API name). */
  functionName: string;
  log?: (line: string) => void;
}

const PREFIX = '/2025-12-01/';
const EXECUTION_PATH = /^\/2025-12-01\/durable-executions\/([^/]+)(?:\/(checkpoint|state|history|stop|pause|resume))?\/?$/;
const CALLBACK_PATH = /^\/2025-12-01\/durable-execution-callbacks\/([^/]+)\/(succeed|fail|heartbeat)\/?$/;
const LIST_PATH = /^\/2025-12-01\/functions\/([^/]+)\/durable-executions\/?$/;
const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'PAUSING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED'];

export class DurableService {
  private readonly fn: LocalFunction;
  private readonly functionName: string;
  private readonly clock: DurableClock;
  private readonly log: (line: string) => void;
  private worker: CheckpointWorker | undefined;
  private readonly executions = new Map<string, DurableExecution>();
  private readonly byName = new Map<string, DurableExecution>();
  /** Each execution's place in start order: ListDurableExecutionsByFunction's paging position. */
  private readonly startOrder = new Map<DurableExecution, number>();
  private readonly executionTimeout: number | undefined;
  private readonly chainedFunctions: ReadonlyMap<string, EmulatorOptions>;
  /** The chained functions' runtimes, started at their first invoke. */
  private readonly chainedRuntimes = new Map<string, Promise<Emulator>>();

  constructor(fn: LocalFunction, options: DurableServiceOptions) {
    this.fn = fn;
    this.functionName = options.functionName;
    this.clock = { skipTime: options.skipTime, timeScale: options.timeScale };
    this.executionTimeout = options.executionTimeout;
    this.chainedFunctions = options.chainedFunctions ?? new Map();
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** True for a path of the durable-execution API (the caller routes the request here). */
  static matches(path: string): boolean {
    return path.startsWith(PREFIX);
  }

  /** The function's qualified ARN, as executions name it. */
  get functionArn(): string {
    return `${defaultFunctionArn(this.functionName)}:$LATEST`;
  }

  /** Every execution started here, oldest first. */
  list(): DurableExecution[] {
    return [...this.executions.values()];
  }

  async close(): Promise<void> {
    for (const runtime of this.chainedRuntimes.values()) await (await runtime.catch(() => undefined))?.stop();
    this.chainedRuntimes.clear();
    await this.worker?.close();
    this.worker = undefined;
  }

  /**
   * Invoke on a durable function: starts an execution (or joins the one of the same
   * DurableExecutionName and input) and answers as Lambda does: RequestResponse waits for the
   * execution's end (its result, or its error as a function error), Event answers 202 at once;
   * both carry X-Amz-Durable-Execution-Arn. A name reused with another input is
   * DurableExecutionAlreadyStartedException (409).
   */
  async handleInvoke(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer, rawName: string): Promise<void> {
    const requestId = randomUUID();
    const fail = (error: ServiceError): void => sendServiceError(res, error, requestId);
    if (req.method !== 'POST') return fail({ status: 405, type: 'UnknownOperationException', message: `${req.method} is not an operation of ${url.pathname}: the Invoke API takes POST` });
    const target = resolveFunctionName(safeDecode(rawName), url.searchParams.get('Qualifier'));
    if (target.name !== this.functionName || (target.qualifier !== undefined && target.qualifier !== '$LATEST')) return fail(functionNotFound(target.name, target.qualifier));
    const invocationType = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (!['Event', 'RequestResponse', 'DryRun'].includes(invocationType)) {
      return fail({ status: 400, type: 'ValidationException', message: `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]` });
    }
    const limit = invocationType === 'Event' ? MAX_EVENT_REQUEST_BYTES : MAX_SYNC_REQUEST_BYTES;
    if (body.length > limit) return fail({ status: 413, type: 'RequestTooLargeException', message: `Request must be smaller than ${limit} bytes for the InvokeFunction operation` });
    const input = body.length === 0 ? '{}' : body.toString('utf8');
    try {
      JSON.parse(input);
    } catch (error) {
      return fail({ status: 400, type: 'InvalidRequestContentException', message: `Could not parse request body into json: ${(error as Error).message}` });
    }
    const name = header(req, 'x-amz-durable-execution-name') ?? randomUUID();
    if (!NAME.test(name)) {
      return fail({ status: 400, type: 'InvalidParameterValueException', message: `DurableExecutionName must be 1 to 64 letters, digits, hyphens or underscores, got "${name}"` });
    }
    if (invocationType === 'DryRun') {
      res.writeHead(204, { 'X-Amzn-RequestId': requestId });
      return void res.end();
    }
    let execution = this.byName.get(name);
    if (execution !== undefined && execution.input !== input) {
      return fail({ status: 409, type: 'DurableExecutionAlreadyStartedException', message: `A durable execution named ${name} has already been started with a different input: ${execution.arn}` });
    }
    if (execution === undefined) {
      try {
        execution = await this.startExecution(name, input);
      } catch (error) {
        return fail({ status: 500, type: 'ServiceException', message: `The local durable-execution service could not start the execution: ${(error as Error).message}` });
      }
    }
    const arnHeader = { 'X-Amzn-RequestId': requestId, 'X-Amz-Durable-Execution-Arn': execution.arn, 'X-Amz-Executed-Version': '$LATEST' };
    if (invocationType === 'Event') {
      res.writeHead(202, { ...arnHeader, 'Content-Length': '0' });
      return void res.end();
    }
    await execution.done;
    if (execution.status === 'SUCCEEDED') {
      const result = Buffer.from(execution.result ?? 'null');
      res.writeHead(200, { ...arnHeader, 'Content-Type': 'application/json', 'Content-Length': String(result.length) });
      return void res.end(result);
    }
    const error = Buffer.from(
      JSON.stringify({
        errorType: execution.error?.ErrorType ?? `Execution${execution.status === 'TIMED_OUT' ? 'TimedOut' : execution.status === 'STOPPED' ? 'Stopped' : 'Failed'}`,
        errorMessage: execution.error?.ErrorMessage ?? `The durable execution ended ${execution.status}`,
      }),
    );
    res.writeHead(200, { ...arnHeader, 'Content-Type': 'application/json', 'Content-Length': String(error.length), 'X-Amz-Function-Error': 'Unhandled' });
    res.end(error);
  }

  /** Starts an execution named `name` with `input` (JSON text); returns once its first invocation is under way. */
  async startExecution(name: string, input: string): Promise<DurableExecution> {
    this.worker ??= new CheckpointWorker();
    const arn = `${this.functionArn}/durable-execution/${name}/${randomUUID()}`;
    const execution = new DurableExecution({
      arn,
      name,
      functionArn: this.functionArn,
      input,
      worker: this.worker,
      clock: this.clock,
      log: this.log,
      executionTimeout: this.executionTimeout,
      chainedInvoke: (request) => this.chainedInvoke(request),
      invoke: async (payload, requestId) => {
        const outcome = await this.fn.invoke(payload, { requestId });
        this.log(outcome.report);
        return { requestId: outcome.requestId, body: outcome.body, functionError: outcome.kind !== 'response' };
      },
    });
    this.executions.set(arn, execution);
    this.byName.set(name, execution);
    this.startOrder.set(execution, this.startOrder.size + 1);
    this.log(`durable: ${name}: started ${arn}`);
    await execution.start();
    return execution;
  }

  /** A chained invoke (chained-invoke.ts): this function runs as a new durable execution, named
   * for the caller's operation; any other function fails the operation with what to do. */
  private async chainedInvoke(request: { callerArn: string; operationId: string; functionName: string; payload: string | undefined }): Promise<ChainedRun> {
    if (!namesLocalFunction(request.functionName, this.functionName)) {
      const other = [...this.chainedFunctions.keys()].find((name) => namesLocalFunction(request.functionName, name));
      if (other === undefined) return { done: Promise.resolve({ status: 'FAILED', error: notLocalFunction(request.functionName, this.functionName, [...this.chainedFunctions.keys()]) }) };
      return { done: this.invokeChained(other, request.payload ?? '{}') };
    }
    const name = chainedExecutionName(request.callerArn, request.operationId);
    const execution = this.byName.get(name) ?? (await this.startExecution(name, request.payload ?? '{}'));
    const done = execution.done.then((): ChainedOutcome => {
      const status = execution.status === 'SUCCEEDED' || execution.status === 'TIMED_OUT' || execution.status === 'STOPPED' ? execution.status : 'FAILED';
      if (status === 'SUCCEEDED') return { status, result: execution.result };
      return { status, error: execution.error ?? { ErrorType: `Execution${status === 'TIMED_OUT' ? 'TimedOut' : status === 'STOPPED' ? 'Stopped' : 'Failed'}`, ErrorMessage: `the invoked durable execution ended ${status}: ${execution.arn}` } };
    });
    return { durableExecutionArn: execution.arn, done };
  }

  /** Invokes chained function `name` once (its runtime started the first time), plainly. */
  private async invokeChained(name: string, payload: string): Promise<ChainedOutcome> {
    let runtime = this.chainedRuntimes.get(name);
    if (runtime === undefined) {
      runtime = Emulator.start({ echoOutput: 'stderr', ...(this.chainedFunctions.get(name) as EmulatorOptions) });
      this.chainedRuntimes.set(name, runtime);
    }
    try {
      const outcome = await (await runtime).invoke(payload);
      this.log(outcome.report);
      return plainOutcome(outcome);
    } catch (error) {
      return { status: 'FAILED', error: { ErrorType: 'ServiceException', ErrorMessage: `the local runtime of ${name} could not be invoked: ${(error as Error).message}` } };
    }
  }

  /** Answers one request under /2025-12-01/. Never throws for a bad request. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<void> {
    const requestId = randomUUID();
    const fail = (error: ServiceError): void => sendServiceError(res, error, requestId);
    const ok = (value: unknown, status = 200): void => sendJson(res, value, status, { 'X-Amzn-RequestId': requestId });
    try {
      const callback = CALLBACK_PATH.exec(url.pathname);
      if (callback !== null && req.method === 'POST') return await this.callback(safeDecode(callback[1] ?? ''), callback[2] ?? '', body, ok, fail);
      const list = LIST_PATH.exec(url.pathname);
      if (list !== null && req.method === 'GET') return this.listExecutions(safeDecode(list[1] ?? ''), url, ok, fail);
      const match = EXECUTION_PATH.exec(url.pathname);
      if (match !== null) {
        const arn = safeDecode(match[1] ?? '');
        const action = match[2];
        const execution = this.executions.get(arn);
        if (execution === undefined) return fail({ status: 404, type: 'ResourceNotFoundException', message: `Durable execution not found: ${arn}` });
        if (action === 'checkpoint' && req.method === 'POST') return await this.checkpoint(execution, body, ok, fail);
        if (action === 'state' && req.method === 'GET') return await this.state(execution, url, ok, fail);
        if (action === 'history' && req.method === 'GET') return this.history(execution, url, ok, fail);
        if (action === 'stop' && req.method === 'POST') return await this.stop(execution, body, ok, fail);
        if (action === undefined && req.method === 'GET') return ok(describe(execution, url.searchParams.get('IncludeExecutionData') !== 'false'));
        if (action === undefined && req.method === 'DELETE') return this.delete(execution, ok, fail);
        if ((action === 'pause' || action === 'resume') && req.method === 'POST') return this.pauseOrResume(execution, action, body, ok, fail);
      }
      return fail({ status: 404, type: 'UnknownOperationException', message: `Unknown operation: ${req.method} ${url.pathname}` });
    } catch (error) {
      if (error instanceof PageError) return fail({ status: 400, type: error.type, message: error.message });
      return fail(workerError(error));
    }
  }

  private async checkpoint(execution: DurableExecution, body: Buffer, ok: (value: unknown) => void, fail: (error: ServiceError) => void): Promise<void> {
    const input = parseObject(body);
    if (input === undefined) return fail({ status: 400, type: 'InvalidRequestContentException', message: 'Could not parse request body into json: CheckpointDurableExecution takes a JSON object' });
    const token = input.CheckpointToken;
    if (typeof token !== 'string' || token === '') return fail({ status: 400, type: 'InvalidParameterValueException', message: 'CheckpointToken is required' });
    if (!execution.isLiveToken(token)) {
      return fail({
        status: 400,
        type: 'InvalidParameterValueException',
        message: execution.terminal
          ? `Invalid Checkpoint Token: the execution has ended (${execution.status})`
          : 'Invalid Checkpoint Token: it was already used, or belongs to an earlier invocation; each checkpoint must carry the token the last one returned',
      });
    }
    const updates = Array.isArray(input.Updates) ? input.Updates : [];
    const answer = await this.call<{ CheckpointToken: string; NewExecutionState: { Operations: Operation[]; NextMarker?: string } }>('CheckpointDurableExecutionState', {
      DurableExecutionArn: execution.arn,
      CheckpointToken: token,
      Updates: updates,
      ClientToken: input.ClientToken,
    });
    execution.advanceToken(answer.CheckpointToken);
    ok({ CheckpointToken: answer.CheckpointToken, NewExecutionState: { Operations: answer.NewExecutionState.Operations } });
  }

  private async state(execution: DurableExecution, url: URL, ok: (value: unknown) => void, fail: (error: ServiceError) => void): Promise<void> {
    const token = url.searchParams.get('CheckpointToken');
    if (token === null || !execution.isIssuedToken(token)) {
      return fail({ status: 400, type: 'InvalidParameterValueException', message: 'Invalid Checkpoint Token: GetDurableExecutionState takes a token of this execution' });
    }
    const answer = await this.call<{ Operations: Operation[] }>('GetDurableExecutionState', { DurableExecutionArn: execution.arn });
    ok({ Operations: answer.Operations });
  }

  /** GetDurableExecutionHistory: oldest first unless ReverseOrder; MaxItems a page (default 100,
   * at most 1000) and NextMarker for the next; payloads unless IncludeExecutionData is false (its
   * default is true in the API reference). */
  private history(execution: DurableExecution, url: URL, ok: (value: unknown) => void, fail: (error: ServiceError) => void): void {
    const reverse = url.searchParams.get('ReverseOrder') === 'true';
    const max = maxItemsOf(url.searchParams.get('MaxItems'));
    const from = markerPosition('history', url.searchParams.get('Marker'));
    let events = execution.history();
    if (reverse) events = events.reverse();
    const { items, nextMarker } = page(events, (e) => e.EventId ?? 0, 'history', max, from, reverse);
    if (items.length === 0 && from !== undefined && events.length > 0 && !events.some((e) => (reverse ? (e.EventId ?? 0) <= from : (e.EventId ?? 0) >= from))) {
      return fail({ status: 400, type: 'InvalidParameterValueException', message: 'Invalid Marker: it is past the end of the history' });
    }
    ok({ Events: url.searchParams.get('IncludeExecutionData') === 'false' ? withoutPayloads(items) : items, NextMarker: nextMarker });
  }

  private async stop(execution: DurableExecution, body: Buffer, ok: (value: unknown) => void, fail: (error: ServiceError) => void): Promise<void> {
    const error = parseObject(body);
    if (error === undefined) return fail({ status: 400, type: 'InvalidRequestContentException', message: 'Could not parse request body into json: StopDurableExecution takes an ErrorObject' });
    if (execution.terminal) {
      return fail({ status: 409, type: 'ResourceConflictException', message: `The durable execution has already ended (${execution.status}): ${execution.arn}` });
    }
    const stopped = await execution.stop(Object.keys(error).length === 0 ? undefined : (error as ErrorObject));
    ok({ StopTimestamp: stopped });
  }

  /** PauseDurableExecution / ResumeDurableExecution: 202 with an empty body; an ended execution
   * (pause) or one not paused (resume) is ResourceConflictException (409). */
  private pauseOrResume(execution: DurableExecution, action: 'pause' | 'resume', body: Buffer, ok: (value: unknown, status?: number) => void, fail: (error: ServiceError) => void): void {
    const input = parseObject(body);
    if (input === undefined) return fail({ status: 400, type: 'InvalidRequestContentException', message: `Could not parse request body into json: ${action === 'pause' ? 'Pause' : 'Resume'}DurableExecution takes a JSON object` });
    try {
      if (action === 'pause') {
        execution.pause({
          ExecutionTimeoutPaused: typeof input.ExecutionTimeoutPaused === 'boolean' ? input.ExecutionTimeoutPaused : undefined,
          Reason: typeof input.Reason === 'string' ? input.Reason : undefined,
        });
      } else {
        execution.resume(typeof input.Reason === 'string' ? input.Reason : undefined);
      }
    } catch (error) {
      return fail({ status: 409, type: 'ResourceConflictException', message: (error as Error).message });
    }
    ok({}, 202);
  }

  /** DeleteDurableExecution: only an ended execution (SUCCEEDED, FAILED, STOPPED, TIMED_OUT) may be
   * deleted, else ResourceConflictException (409); 202 with DeletionRequestTimestamp. */
  private delete(execution: DurableExecution, ok: (value: unknown, status?: number) => void, fail: (error: ServiceError) => void): void {
    if (!execution.terminal) {
      return fail({ status: 409, type: 'ResourceConflictException', message: `The durable execution is still ${execution.status}: stop it or let it end before deleting it: ${execution.arn}` });
    }
    this.executions.delete(execution.arn);
    this.startOrder.delete(execution);
    if (this.byName.get(execution.name) === execution) this.byName.delete(execution.name);
    ok({ DeletionRequestTimestamp: new Date() }, 202);
  }

  private listExecutions(rawName: string, url: URL, ok: (value: unknown) => void, fail: (error: ServiceError) => void): void {
    const target = resolveFunctionName(rawName, url.searchParams.get('Qualifier'));
    if (target.name !== this.functionName) return fail(functionNotFound(target.name, target.qualifier));
    const statuses = url.searchParams.getAll('Statuses').filter((s) => s !== '');
    const unknown = statuses.find((s) => !(STATUSES as readonly string[]).includes(s));
    if (unknown !== undefined) return fail({ status: 400, type: 'InvalidParameterValueException', message: `Unknown status ${unknown}: one of ${STATUSES.join(', ')}` });
    const name = url.searchParams.get('DurableExecutionName');
    const after = timeParam(url, 'StartedAfter');
    const before = timeParam(url, 'StartedBefore');
    let executions = this.list().filter(
      (e) =>
        (statuses.length === 0 || statuses.includes(e.status)) &&
        (name === null || e.name === name) &&
        (after === undefined || e.startTimestamp.getTime() > after) &&
        (before === undefined || e.startTimestamp.getTime() < before),
    );
    // Newest first; ReverseOrder: oldest first (API reference, ListDurableExecutionsByFunction).
    const oldestFirst = url.searchParams.get('ReverseOrder') === 'true';
    if (!oldestFirst) executions = executions.reverse();
    const position = (e: DurableExecution): number => this.startOrder.get(e) ?? 0;
    const listed = page(executions, position, 'list', maxItemsOf(url.searchParams.get('MaxItems')), markerPosition('list', url.searchParams.get('Marker')), !oldestFirst);
    ok({
      NextMarker: listed.nextMarker,
      DurableExecutions: listed.items.map((e) => ({
        DurableExecutionArn: e.arn,
        DurableExecutionName: e.name,
        FunctionArn: e.functionArn,
        Status: e.status,
        StartTimestamp: e.startTimestamp,
        EndTimestamp: e.endTimestamp,
      })),
    });
  }

  private async callback(callbackId: string, action: string, body: Buffer, ok: (value: unknown) => void, fail: (error: ServiceError) => void): Promise<void> {
    const known = this.callbackExecution(callbackId);
    if (known === undefined) return fail({ status: 400, type: 'InvalidParameterValueException', message: `Unknown callback id: ${callbackId}` });
    const { execution, operation } = known;
    if (operation !== undefined && operation.Status === 'TIMED_OUT') {
      return fail({ status: 400, type: 'CallbackTimeoutException', message: `The callback timed out: ${callbackId}` });
    }
    if (execution.terminal || (operation !== undefined && operation.Status !== 'STARTED')) {
      return fail({ status: 400, type: 'InvalidParameterValueException', message: `The callback has already completed: ${callbackId}` });
    }
    if (action === 'succeed') {
      // The Result is the request body itself (an httpPayload blob), up to 256 KB on Lambda.
      await this.call('SendDurableExecutionCallbackSuccess', { CallbackId: callbackId, Result: body.length === 0 ? undefined : new Uint8Array(body) });
    } else if (action === 'fail') {
      const error = parseObject(body);
      if (error === undefined) return fail({ status: 400, type: 'InvalidRequestContentException', message: 'Could not parse request body into json: SendDurableExecutionCallbackFailure takes an ErrorObject' });
      await this.call('SendDurableExecutionCallbackFailure', { CallbackId: callbackId, Error: error });
    } else {
      await this.call('SendDurableExecutionCallbackHeartbeat', { CallbackId: callbackId });
    }
    // Answer once the execution has recorded the callback's end, so that a history read after
    // this answer shows it (the checkpoint server tells the execution a moment later).
    if (action !== 'heartbeat' && operation !== undefined) await execution.operationSettled(operation.Id);
    ok({});
  }

  /** The execution (and callback operation, if seen) a callback id belongs to. The checkpoint
   * server's ids are base64 JSON naming the execution and the operation. */
  private callbackExecution(callbackId: string): { execution: DurableExecution; operation: Operation | undefined } | undefined {
    let data: unknown;
    try {
      data = JSON.parse(Buffer.from(callbackId, 'base64').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof data !== 'object' || data === null) return undefined;
    const { executionId, operationId } = data as { executionId?: unknown; operationId?: unknown };
    if (typeof executionId !== 'string') return undefined;
    const execution = this.executions.get(executionId);
    if (execution === undefined) return undefined;
    const operation = execution.operation(typeof operationId === 'string' ? operationId : '');
    return { execution, operation };
  }

  private call<T>(api: Parameters<CheckpointWorker['call']>[0], params: object): Promise<T> {
    this.worker ??= new CheckpointWorker();
    return this.worker.call<T>(api, params);
  }
}

/** GetDurableExecution's answer. */
function describe(execution: DurableExecution, includeData: boolean): Record<string, unknown> {
  return {
    DurableExecutionArn: execution.arn,
    DurableExecutionName: execution.name,
    FunctionArn: execution.functionArn,
    StartTimestamp: execution.startTimestamp,
    Status: execution.status,
    InputPayload: includeData ? execution.input : undefined,
    Result: includeData ? execution.result : undefined,
    Error: execution.error,
    EndTimestamp: execution.endTimestamp,
    Version: '$LATEST',
    // PauseDetails.Reason: only with IncludeExecutionData (API reference, PauseDetails).
    PauseDetails: execution.pauseDetails === undefined ? undefined : includeData ? execution.pauseDetails : { ...execution.pauseDetails, Reason: undefined },
  };
}

/** A timestamp query parameter (ISO 8601, or epoch seconds) in epoch milliseconds; refused when it is neither. */
function timeParam(url: URL, name: string): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const ms = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new PageError('InvalidParameterValueException', `${name} must be a timestamp (ISO 8601), got "${raw}"`);
  return ms;
}

/** A checkpoint-server error as the service's: its validations are InvalidParameterValueException (400). */
function workerError(error: unknown): ServiceError {
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'Execution not found') return { status: 404, type: 'ResourceNotFoundException', message };
  return { status: 400, type: 'InvalidParameterValueException', message };
}
