// OpenTelemetry set up as @opentelemetry/instrumentation-aws-lambda's README asks for Node.js 24
// runtimes (NODE_OPTIONS="--import <this file>"): the ESM hook registered with module.register(),
// then the Node SDK with the aws-lambda, http and aws-sdk instrumentations, the X-Ray Lambda
// propagator (the invocation's span continues the trace of its X-Amzn-Trace-Id) and OTLP/HTTP
// export to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the parity suite's collector stub on 127.0.0.1).
import { register } from 'node:module';
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

const { NodeSDK } = await import('@opentelemetry/sdk-node');
const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
const { AwsLambdaInstrumentation } = await import('@opentelemetry/instrumentation-aws-lambda');
const { AwsInstrumentation } = await import('@opentelemetry/instrumentation-aws-sdk');
const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
const { AWSXRayLambdaPropagator } = await import('@opentelemetry/propagator-aws-xray-lambda');

const sdk = new NodeSDK({
  serviceName: 'parity-otel',
  traceExporter: new OTLPTraceExporter(),
  textMapPropagator: new AWSXRayLambdaPropagator(),
  instrumentations: [new AwsLambdaInstrumentation(), new HttpInstrumentation(), new AwsInstrumentation()],
  // No resource detectors: the host and process ones differ between any two runs.
  resourceDetectors: [],
});
sdk.start();
console.log('otel started');
