// `globalThis.awslambda`, which streaming handlers use without importing anything.

import { HttpResponseStream } from './response-stream.ts';
import type { UserHandler } from './handler-loader.ts';
import { registerAfterRestore, registerBeforeSnapshot } from './pre-init/snapstart.ts';

export const STREAMING_SYMBOL = Symbol.for('aws.lambda.runtime.handler.streaming');
export const HIGH_WATER_MARK_SYMBOL = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
export const STREAMING_RESPONSE = 'response';

interface StreamingOptions {
  highWaterMark?: number;
}

type MarkedHandler = UserHandler & { [STREAMING_SYMBOL]?: unknown; [HIGH_WATER_MARK_SYMBOL]?: unknown };

export function streamifyResponse<H extends UserHandler>(handler: H, options?: StreamingOptions): H {
  const marked = handler as H & MarkedHandler;
  marked[STREAMING_SYMBOL] = STREAMING_RESPONSE;
  if (options?.highWaterMark !== undefined) marked[HIGH_WATER_MARK_SYMBOL] = options.highWaterMark;
  return handler;
}

/** The stream options of a handler marked by streamifyResponse, or undefined for a buffered one. */
export function streamingOptions(handler: UserHandler): StreamingOptions | undefined {
  const marked = handler as MarkedHandler;
  if (marked[STREAMING_SYMBOL] !== STREAMING_RESPONSE) return undefined;
  const highWaterMark = marked[HIGH_WATER_MARK_SYMBOL];
  return typeof highWaterMark === 'number' ? { highWaterMark } : {};
}

/**
 * Puts streamifyResponse and HttpResponseStream on `globalThis.awslambda`, an ordinary extensible
 * object: AWS's own libraries add to it (@aws/lambda-invoke-store assigns `InvokeStore`), so an
 * object that already exists (the package's module code, or a preload, created it) is kept and
 * extended, never replaced or frozen. Source: contract §1; AWS's client v4 `setupGlobals`.
 */
export function installAwsLambdaGlobal(): void {
  const existing: unknown = (globalThis as { awslambda?: unknown }).awslambda;
  const awslambda = (typeof existing === 'object' && existing !== null ? existing : {}) as Record<string, unknown>;
  awslambda.streamifyResponse = streamifyResponse;
  awslambda.HttpResponseStream = HttpResponseStream;
  awslambda.registerBeforeSnapshot = registerBeforeSnapshot;
  awslambda.registerAfterRestore = registerAfterRestore;
  (globalThis as { awslambda?: unknown }).awslambda = awslambda;
}
