// OpenTelemetry set up the way AWS's ADOT Lambda layer for Node.js sets it up (the OpenTelemetry
// Lambda layer's nodejs/packages/layer: scripts/otel-handler, src/init.mjs, src/wrapper.ts,
// src/loader.mjs, plus ADOT's X-Ray ID generator), for a function without the layer: the exec
// wrapper's part is in the case's environment (NODE_OPTIONS=--import <this file>,
// OTEL_RESOURCE_ATTRIBUTES=service.name=<function>, OTEL_PROPAGATORS=tracecontext,baggage,xray).
// In order, as the layer does it:
// 1. the instrumentations (aws-sdk with suppressInternalInstrumentation, aws-lambda, and of the
//    layer's default list the one this function uses, http) registered before any provider;
// 2. the resource from the AWS Lambda and env detectors (the layer's process detector is left out:
//    its attributes describe the runtime's own process, node or bootstrap, its pid and arguments);
// 3. a tracer provider with the X-Ray ID generator and a batch OTLP/HTTP span processor, registered
//    with the propagators OTEL_PROPAGATORS names; the instrumentations registered again with it;
// 4. import-in-the-middle's ESM hook, only when the handler is an ES module.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { resolve } from 'node:path';

const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = await import('@opentelemetry/core');
const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
const { AwsInstrumentation } = await import('@opentelemetry/instrumentation-aws-sdk');
const { AwsLambdaInstrumentation } = await import('@opentelemetry/instrumentation-aws-lambda');
const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');

const instrumentations = [new AwsInstrumentation({ suppressInternalInstrumentation: true }), new AwsLambdaInstrumentation({}), new HttpInstrumentation()];
registerInstrumentations({ instrumentations });

const { detectResources, envDetector } = await import('@opentelemetry/resources');
const { awsLambdaDetector } = await import('@opentelemetry/resource-detector-aws');
const { AWSXRayIdGenerator } = await import('@opentelemetry/id-generator-aws-xray');
const { AWSXRayPropagator } = await import('@opentelemetry/propagator-aws-xray');
const { BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');

const PROPAGATORS = { tracecontext: () => new W3CTraceContextPropagator(), baggage: () => new W3CBaggagePropagator(), xray: () => new AWSXRayPropagator() };
const names = (process.env.OTEL_PROPAGATORS ?? 'tracecontext,baggage').split(',').map((name) => name.trim().toLowerCase());
const propagator = new CompositePropagator({ propagators: names.filter((name) => name in PROPAGATORS).map((name) => PROPAGATORS[name]()) });

const resource = detectResources({ detectors: [awsLambdaDetector, envDetector] });
const provider = new NodeTracerProvider({ resource, idGenerator: new AWSXRayIdGenerator(), spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
provider.register({ propagator });
registerInstrumentations({ instrumentations, tracerProvider: provider });

// loader.mjs: the handler file from LAMBDA_TASK_ROOT and _HANDLER; .mjs (or a package of type
// module, which this function does not use) gets the hook.
const handler = process.env._HANDLER ?? '';
const base = handler.slice(0, handler.lastIndexOf('.'));
if (existsSync(resolve(process.env.LAMBDA_TASK_ROOT ?? '.', `${base}.mjs`))) register('import-in-the-middle/hook.mjs', import.meta.url);
console.log('adot started');
