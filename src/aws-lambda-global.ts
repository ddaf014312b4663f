// `globalThis.awslambda`, which streaming handlers use without importing anything.

import { HttpResponseStream } from './response-stream.ts';
import type { UserHandler } from './handler-loader.ts';
import { registerAfterRestore, registerBeforeSnapshot } from './snapstart.ts';

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

export function installAwsLambdaGlobal(): void {
  Object.defineProperty(globalThis, 'awslambda', {
    // Extensible: AWS's libraries add to it (InvokeStore), contract §1.
    value: { streamifyResponse, HttpResponseStream, registerBeforeSnapshot, registerAfterRestore },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
