// The environment a Lambda custom runtime starts with: a minimal base (not the caller's own
// environment), the variables the service sets, then the user's overrides.
import { randomBytes } from 'node:crypto';

export interface FunctionConfig {
  handler: string;
  taskRoot: string;
  functionName: string;
  functionVersion: string;
  memorySizeMb: number;
  maxConcurrency: number | undefined;
  /** SnapStart (a version being published): the init the service snapshots. Default false. */
  snapStart?: boolean;
  env: Record<string, string | undefined>;
}

export const REGION = 'us-east-1';

export function runtimeEnvironment(config: FunctionConfig, runtimeApi: string): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    _HANDLER: config.handler,
    LAMBDA_TASK_ROOT: config.taskRoot,
    AWS_LAMBDA_FUNCTION_NAME: config.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: config.functionVersion,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(config.memorySizeMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${config.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(new Date(), config.functionVersion),
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    // What the service sets on Lambda Managed Instances, where AWS_LAMBDA_MAX_CONCURRENCY comes
    // with it; agents (New Relic, Datadog) switch their Managed Instances mode on this value.
    // and 'snap-start' in the init Lambda snapshots, which tells a runtime to run the restore lifecycle.
    AWS_LAMBDA_INITIALIZATION_TYPE: initializationType(config),
  };
  if (config.maxConcurrency !== undefined) env.AWS_LAMBDA_MAX_CONCURRENCY = String(config.maxConcurrency);
  Object.assign(env, config.env);
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) result[name] = value;
  }
  return result;
}

/** AWS_LAMBDA_INITIALIZATION_TYPE: one of on-demand, provisioned-concurrency, snap-start,
 * lambda-managed-instances (AWS docs, "Defined runtime environment variables"). */
function initializationType(config: FunctionConfig): string {
  if (config.snapStart === true) return 'snap-start';
  return config.maxConcurrency === undefined ? 'on-demand' : 'lambda-managed-instances';
}

/** Lambda's log stream naming: `YYYY/MM/DD/[version]<32 hex>`. */
export function logStreamName(date: Date, version: string): string {
  const day = date.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[${version}]${randomBytes(16).toString('hex')}`;
}

/** The function's ARN, in the function's region (its AWS_REGION). */
export function defaultFunctionArn(functionName: string, region = REGION, accountId = '123456789012'): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}
