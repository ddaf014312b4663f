// One invocation as the emulator sees it: what the caller asked for, where it is in its life
// (queued → in flight → settled), the streamed pieces that arrived, and the outcome it settles with.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export interface InvokeOptions {
  /** Default: a random UUID. */
  requestId?: string;
  /** Lambda-Runtime-Trace-Id; default a generated `Root=1-...;Parent=...;Sampled=0`. */
  traceId?: string;
  /** Send no trace header at all. */
  omitTraceId?: boolean;
  /** Raw JSON string for Lambda-Runtime-Client-Context. */
  clientContext?: string;
  /** Raw JSON string for Lambda-Runtime-Cognito-Identity. */
  cognitoIdentity?: string;
  /** Lambda-Runtime-Aws-Tenant-Id. */
  tenantId?: string;
  /** Absolute epoch ms; default: the moment /next delivers it + timeoutMs. */
  deadlineMs?: number;
  /** Default arn:aws:lambda:us-east-1:123456789012:function:<name>. */
  invokedFunctionArn?: string;
  /** Called when the runtime starts a streaming response POST (its request headers, lower-cased). */
  onResponseStart?: (headers: Record<string, string>) => void;
  /** Called for every piece of a streamed response body as it arrives. A returned promise holds
   * back the runtime's further bytes until it settles (the back-pressure of a slow caller); any
   * other return value is ignored. */
  onChunk?: (data: Buffer, atMs: number) => unknown;
}

export type OutcomeKind = 'response' | 'error' | 'init-error' | 'exited' | 'timeout';

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface Chunk {
  /** performance.now() when the piece arrived. */
  atMs: number;
  data: Buffer;
}

export interface InvocationOutcome {
  requestId: string;
  kind: OutcomeKind;
  body: Buffer;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  chunks: Chunk[];
  /** Exactly as the runtime sent it (header/trailer, else body.errorType). */
  errorType: string | undefined;
  /** What the Lambda service would record: a type not matching (Runtime|Function).Xxx becomes *.Unknown. */
  recordedErrorType: string | undefined;
  streaming: boolean;
  durationMs: number;
  initDurationMs: number | undefined;
  maxMemoryUsedMb: number | undefined;
  exit: ProcessExit | undefined;
  report: string;
  /** Resolves once the runtime asked for its next event (or exited) and its output up to then has
   * been read: Lambda attributes everything written until then to this invocation. */
  logsComplete: Promise<void>;
  json(): unknown;
}

/** How an invocation ended, before the emulator adds timings, memory and the REPORT line. */
export interface Settlement {
  kind: OutcomeKind;
  body: Buffer;
  headers?: Record<string, string>;
  trailers?: Record<string, string>;
  errorType?: string | undefined;
  recordedErrorType?: string | undefined;
  streaming?: boolean;
  exit?: ProcessExit | undefined;
}

export type InvocationState = 'queued' | 'in-flight' | 'settled';

export class Invocation {
  readonly requestId: string;
  readonly payload: Buffer;
  readonly options: InvokeOptions;
  readonly traceId: string | undefined;
  readonly invokedFunctionArn: string;
  readonly outcome: Promise<InvocationOutcome>;
  readonly chunks: Chunk[] = [];
  state: InvocationState = 'queued';
  /** performance.now() when /next handed it to the runtime. */
  deliveredAtMs: number | undefined;
  /** Epoch ms sent as Lambda-Runtime-Deadline-Ms. */
  deadlineMs: number | undefined;
  /** Lambda-Runtime-Invocation-Id of its current delivery (each delivery is a new attempt);
   * undefined before delivery, or when the emulator issues none. */
  invocationId: string | undefined;
  initDurationMs: number | undefined;
  /** A result POST for it is being received (a stream in progress): a second one is refused. */
  resultInProgress = false;
  timedOut = false;
  private resolveOutcome: (outcome: InvocationOutcome) => void = () => {};

  constructor(payload: Buffer, options: InvokeOptions, defaultArn: string) {
    this.payload = payload;
    this.options = options;
    this.requestId = options.requestId ?? randomUUID();
    this.traceId = options.omitTraceId === true ? undefined : (options.traceId ?? generateTraceId());
    this.invokedFunctionArn = options.invokedFunctionArn ?? defaultArn;
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve;
    });
  }

  /** Records a piece; a promise back means the caller wants no more bytes until it settles. */
  addChunk(data: Buffer): unknown {
    const atMs = performance.now();
    this.chunks.push({ atMs, data });
    return this.options.onChunk?.(data, atMs);
  }

  /** Joins the streamed pieces into one body and points each chunk at its slice of it, so the
   * bytes are held once. */
  joinChunks(): Buffer {
    const body = Buffer.concat(this.chunks.map((c) => c.data));
    let offset = 0;
    for (const chunk of this.chunks) {
      const length = chunk.data.length;
      chunk.data = body.subarray(offset, offset + length);
      offset += length;
    }
    return body;
  }

  /** Settles once; later calls are ignored and return false. */
  resolve(outcome: InvocationOutcome): boolean {
    if (this.state === 'settled') return false;
    this.state = 'settled';
    this.resolveOutcome(outcome);
    return true;
  }
}

/** An X-Ray style trace header: Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0. */
export function generateTraceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}
