// The training run of a snapshot executable (issue 25, part 1; docs/pre-initialised.md): after the
// dependencies are evaluated at build, run what a first invocation runs with them — build the
// clients a handler builds, send one request of each kind through the SDK's real middleware stack
// (serialise, endpoint, sign, retry, deserialise), wrap a handler with middy and call it, log
// through the Powertools logger — then drop every object made, so that the snapshot keeps the
// bytecode V8 compiled for those functions and none of the objects.
//
// What is NOT real: the HTTP hop. node:http cannot be loaded while a snapshot is built (its parser
// is a native handle V8 cannot serialise: build/snapshot/snapshot.ts DEFERRED_BUILTINS), so the clients get
// an in-memory request handler that answers like AWS on 127.0.0.1 would (bench/fake-aws.ts's two
// answers). The credentials are obviously fake constants, never the build machine's; the SDK's
// shared config files are pointed at a path that does not exist while training, so nothing of the
// build machine's ~/.aws is read (and cached by the SDK's file loader) into the heap.
//
// Training is by shape, not by name lists of the handler: a module export that is a class with a
// `send` method and a name ending in `Client` is an SDK client (constructed, and sent the commands
// of TRAINING_REQUESTS when its module has them), `DynamoDBDocumentClient.from` is trained with the
// DynamoDB client, a function default export named `middy` is middy, a class named `Logger` with
// `info` is the Powertools logger. A step that throws is reported and skipped: training is an
// optimisation, never a reason to fail the build or change an answer.

/** Fake, recognisable credentials: never the build machine's. */
export const TRAINING_CREDENTIALS = { accessKeyId: 'AKIDLAMBDABOOTSTRAPTRAINING', secretAccessKey: 'lambda-bootstrap-training-not-a-secret' } as const;
/** Where the training points the SDK's shared config and credentials files: nowhere. */
export const TRAINING_MISSING_FILE = '/nonexistent/lambda-bootstrap-training/aws-config';

interface TrainingRequest {
  command: string;
  input: Record<string, unknown>;
  response: { statusCode: number; headers: Record<string, string>; body: string };
}

/** Per client export: the commands a typical first invocation sends, with AWS's success answers. */
export const TRAINING_REQUESTS: Record<string, TrainingRequest[]> = {
  S3Client: [
    { command: 'PutObjectCommand', input: { Bucket: 'training-bucket', Key: 'training.json', Body: '{"training":true}' }, response: { statusCode: 200, headers: { etag: '"d41d8cd98f00b204e9800998ecf8427e"', 'x-amz-request-id': 'training' }, body: '' } },
  ],
  DynamoDBClient: [
    {
      command: 'GetItemCommand',
      input: { TableName: 'training-table', Key: { id: { S: 'training' } } },
      response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'training' }, body: '{"Item":{"id":{"S":"training"},"count":{"N":"1"}}}' },
    },
  ],
};

/** The document client's commands, sent through DynamoDBDocumentClient.from(<trained DynamoDBClient>). */
const DOCUMENT_REQUESTS: TrainingRequest[] = [
  {
    command: 'GetCommand',
    input: { TableName: 'training-table', Key: { id: 'training' } },
    response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'training' }, body: '{"Item":{"id":{"S":"training"},"count":{"N":"1"}}}' },
  },
];

export interface TrainingReport {
  /** Steps that ran, e.g. "S3Client PutObjectCommand". */
  trained: string[];
  /** Steps that threw: "<step>: <message>" (the build goes on without them). */
  skipped: string[];
}

type Constructor = new (...args: unknown[]) => Record<string, unknown>;
type SendingClient = { send(command: unknown): Promise<unknown>; destroy?(): void; middlewareStack?: unknown };

function isClass(value: unknown): value is Constructor {
  return typeof value === 'function' && typeof (value as { prototype?: unknown }).prototype === 'object';
}

/** The request handler the clients get: answers each request with `next` without a socket. */
function stubHandler(answers: TrainingRequest['response'][]): { handle(request: unknown): Promise<{ response: unknown }>; updateHttpClientConfig(): void; httpHandlerConfigs(): object; destroy(): void } {
  return {
    async handle() {
      const answer = answers.shift() ?? { statusCode: 500, headers: {}, body: '' };
      // The SDK's HttpResponse.isInstance is structural (statusCode number, headers object), and
      // collectBody takes a Uint8Array as it is.
      return { response: { statusCode: answer.statusCode, reason: 'OK', headers: { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) }, body: new Uint8Array(Buffer.from(answer.body)) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

function clientConfig(answers: TrainingRequest['response'][]): Record<string, unknown> {
  return {
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { ...TRAINING_CREDENTIALS },
    forcePathStyle: true,
    maxAttempts: 1,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    requestHandler: stubHandler(answers),
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs the training against the evaluated dependency modules (`modules`: the registry's values,
 * module namespaces or module.exports). Resolves when every step has settled; holds no reference
 * to what it made once it resolves. Writes to process.stdout/stderr are swallowed while it runs.
 */
export async function trainDependencies(modules: Iterable<unknown>): Promise<TrainingReport> {
  const report: TrainingReport = { trained: [], skipped: [] };
  const env = process.env;
  const saved = { AWS_CONFIG_FILE: env.AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE: env.AWS_SHARED_CREDENTIALS_FILE };
  env.AWS_CONFIG_FILE = TRAINING_MISSING_FILE;
  env.AWS_SHARED_CREDENTIALS_FILE = TRAINING_MISSING_FILE;
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const swallow = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = swallow;
  process.stderr.write = swallow;
  // node:http, https and http2 must stay unloaded (their native handles would abort the snapshot);
  // the dependencies reach them through build/snapshot/snapshot.ts's stand-ins, which load them with
  // process.getBuiltinModule: a step that needs them fails here instead, and is skipped.
  const getBuiltinModule = process.getBuiltinModule;
  process.getBuiltinModule = ((id: string) => {
    if (/^(node:)?(http|https|http2)$/.test(id)) throw new Error(`${id} cannot be loaded while a snapshot is built (from ${new Error().stack?.split('\n').slice(2, 6).join(' < ')})`);
    return getBuiltinModule(id);
  }) as typeof process.getBuiltinModule;
  const step = async (name: string, run: () => Promise<unknown> | unknown): Promise<void> => {
    try {
      await run();
      report.trained.push(name);
    } catch (error) {
      report.skipped.push(`${name}: ${describeError(error)}`);
    }
  };
  try {
    const exportsOf = [...modules].flatMap((m) => {
      if (typeof m !== 'object' && typeof m !== 'function') return [];
      const entries = Object.entries(m as Record<string, unknown>);
      const fallback = (m as { default?: unknown }).default;
      // CommonJS packages imported as ESM have their exports under default too.
      if (typeof fallback === 'object' && fallback !== null) for (const e of Object.entries(fallback)) entries.push(e);
      return [Object.fromEntries(entries)];
    });
    let dynamo: Constructor | undefined;
    for (const exported of exportsOf) {
      for (const [name, value] of Object.entries(exported)) {
        if (!/^[A-Z]\w*Client$/.test(name) || !isClass(value) || typeof value.prototype.send !== 'function' || name === 'DynamoDBDocumentClient') continue;
        if (name === 'DynamoDBClient') dynamo = value;
        // A snapshot narrowed to the function's imports (build/snapshot/used-exports.ts) holds only
        // the commands the function sends itself; the others are not there to train.
        const requests = (TRAINING_REQUESTS[name] ?? []).filter((r) => r.command in exported);
        await step(`${name} ${requests.map((r) => r.command).join(', ') || '(constructed)'}`, async () => {
          const client = new value(clientConfig(requests.map((r) => r.response))) as unknown as SendingClient;
          try {
            for (const request of requests) {
              const Command = exported[request.command];
              if (!isClass(Command)) throw new Error(`no ${request.command} export`);
              await client.send(new Command(request.input));
            }
          } finally {
            client.destroy?.();
          }
        });
      }
    }
    for (const exported of exportsOf) {
      const Document = exported.DynamoDBDocumentClient as { from?: (client: unknown) => SendingClient } | undefined;
      if (dynamo === undefined || typeof Document?.from !== 'function') continue;
      const Base = dynamo;
      const requests = DOCUMENT_REQUESTS.filter((r) => r.command in exported);
      await step(`DynamoDBDocumentClient ${requests.map((r) => r.command).join(', ') || '(constructed)'}`, async () => {
        const documents = Document.from!(new Base(clientConfig(requests.map((r) => r.response))));
        try {
          for (const request of requests) {
            const Command = exported[request.command];
            if (!isClass(Command)) throw new Error(`no ${request.command} export`);
            await documents.send(new Command(request.input));
          }
        } finally {
          documents.destroy?.();
        }
      });
    }
    for (const exported of exportsOf) {
      const Logger = exported.Logger;
      if (isClass(Logger) && typeof Logger.prototype.info === 'function') {
        await step('Logger info, warn, error', () => {
          const logger = new Logger({ serviceName: 'lambda-bootstrap-training', logLevel: 'DEBUG' }) as unknown as Record<string, (...args: unknown[]) => void>;
          logger.appendKeys?.({ training: true });
          logger.debug?.('training', { key: 'value' });
          logger.info!('training', { key: 'value' });
          logger.warn?.('training');
          logger.error?.('training', new Error('training'));
        });
      }
      const middy = exported.default ?? exported.middy;
      if (typeof middy === 'function' && middy.name === 'middy') {
        await step('middy handler', async () => {
          const wrapped = (middy as (handler: unknown) => (event: unknown, context: unknown) => Promise<unknown>)(async () => ({ statusCode: 200 }));
          await wrapped({ training: true }, { awsRequestId: 'training', functionName: 'training', getRemainingTimeInMillis: () => 60_000 });
        });
      }
    }
  } finally {
    process.getBuiltinModule = getBuiltinModule;
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
  }
  return report;
}
