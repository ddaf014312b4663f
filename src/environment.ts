// The environment variables the runtime reads, validated once at start-up.

export type TransportName = 'http' | 'net';

// Chosen by `make bench` (see README, "Transports").
export const DEFAULT_TRANSPORT: TransportName = 'net';

export interface RuntimeEnvironment {
  /** `host:port` of the Runtime API, no scheme. */
  runtimeApi: string;
  /** `_HANDLER`, e.g. `index.handler` or `src/app.main`. */
  handler: string;
  taskRoot: string;
  /** How many invocations may run at once (Lambda Managed Instances); 1 = the classic loop. */
  maxConcurrency: number;
  installGlobalAwsLambda: boolean;
  /** Register for SIGTERM even when no listener exists at the end of init. */
  forceGracefulShutdown: boolean;
  transport: TransportName;
  functionName: string | undefined;
  functionVersion: string | undefined;
  memorySizeMb: string | undefined;
  logGroupName: string | undefined;
  logStreamName: string | undefined;
}

/** A start-up problem in the environment: printed as is, then the process exits non-zero. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

export function readEnvironment(
  env: NodeJS.ProcessEnv,
  cwd: string,
): RuntimeEnvironment | EnvironmentError {
  const runtimeApi = env.AWS_LAMBDA_RUNTIME_API;
  if (!runtimeApi) {
    return new EnvironmentError(
      'AWS_LAMBDA_RUNTIME_API is not set. It must hold the host:port of the Lambda Runtime API ' +
        '(for example 127.0.0.1:9001, no scheme). Lambda sets it for you; when running locally, ' +
        'start the runtime through the emulator (make run, or npm run emulator -- --help) or set it yourself.',
    );
  }
  if (/^[a-z]+:\/\//i.test(runtimeApi) || /[\s/]/.test(runtimeApi)) {
    return new EnvironmentError(
      `AWS_LAMBDA_RUNTIME_API is '${runtimeApi}', but it must be host:port with no scheme or path ` +
        '(for example 127.0.0.1:9001).',
    );
  }
  const handler = env._HANDLER;
  if (!handler) {
    return new EnvironmentError(
      '_HANDLER is not set. It must name the handler as <module>.<export>, for example ' +
        "'index.handler' for the export 'handler' of index.js/index.mjs/index.ts in LAMBDA_TASK_ROOT. " +
        'Lambda sets it from the function\'s Handler setting (or the image CMD).',
    );
  }
  const maxConcurrency = parseConcurrency(env.AWS_LAMBDA_MAX_CONCURRENCY);
  if (maxConcurrency instanceof EnvironmentError) return maxConcurrency;
  const transport = parseTransport(env.LAMBDA_BOOTSTRAP_TRANSPORT);
  if (transport instanceof EnvironmentError) return transport;

  return {
    runtimeApi,
    handler,
    taskRoot: env.LAMBDA_TASK_ROOT || cwd,
    maxConcurrency,
    installGlobalAwsLambda: !isTrue(env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA),
    forceGracefulShutdown: isTrue(env.LAMBDA_BOOTSTRAP_GRACEFUL_SHUTDOWN),
    transport,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memorySizeMb: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
}

function isTrue(value: string | undefined): boolean {
  return value === '1' || value?.toLowerCase() === 'true';
}

function parseConcurrency(value: string | undefined): number | EnvironmentError {
  if (value === undefined || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    return new EnvironmentError(
      `AWS_LAMBDA_MAX_CONCURRENCY is '${value}', but it must be a whole number of at least 1.`,
    );
  }
  return n;
}

function parseTransport(value: string | undefined): TransportName | EnvironmentError {
  if (value === undefined || value === '') return DEFAULT_TRANSPORT;
  if (value === 'http' || value === 'net') return value;
  return new EnvironmentError(
    `LAMBDA_BOOTSTRAP_TRANSPORT is '${value}', but it must be 'http' or 'net' (default '${DEFAULT_TRANSPORT}').`,
  );
}
