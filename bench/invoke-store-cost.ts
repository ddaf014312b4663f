// The InvokeStore's share of the hot path, in isolation: what the loop and the logger do per
// invocation with AWS's store (store.run with the three protected keys, one getContext and one
// getXRayTraceId) against what the runtime did before it (a plain variable), and the
// AsyncLocalStorage kind used on Managed Instances. CPU-bound, no I/O; numbers are ns per
// invocation on this machine, under whatever else it is running (the load average is printed).
// Usage: node bench/invoke-store-cost.ts [iterations=2000000]
import { loadavg } from 'node:os';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';

const { REQUEST_ID, X_RAY_TRACE_ID, TENANT_ID } = InvokeStoreBase.PROTECTED_KEYS;
const iterations = Number(process.argv[2] ?? 2_000_000);
const invocation = { requestId: '8476a536-e9f4-11e8-9739-2dfe598c3fcd', traceId: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1', tenantId: undefined as string | undefined };

function withStore(store: InvokeStoreBase): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    sink += store.run({ [REQUEST_ID]: invocation.requestId, [X_RAY_TRACE_ID]: invocation.traceId, [TENANT_ID]: invocation.tenantId }, () => {
      const id = store.getContext()?.[REQUEST_ID] as string;
      return id.length + (store.getXRayTraceId() === undefined ? 0 : 1);
    });
  }
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  return sink === 0 ? Number.NaN : ns;
}

function withPlainVariable(): number {
  let current: typeof invocation | undefined;
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    current = invocation;
    sink += ((scope: typeof invocation | undefined) => (scope?.requestId.length ?? 0) + (scope?.traceId === undefined ? 0 : 1))(current);
  }
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  return sink === 0 ? Number.NaN : ns;
}

const single = await InvokeStore.getInstanceAsync();
console.log(`invoke-store-cost: ${iterations} iterations per figure, load average ${loadavg()[0]?.toFixed(2)}`);
for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}: single store ${withStore(single).toFixed(0)} ns/invoke, plain variable (before) ${withPlainVariable().toFixed(0)} ns/invoke`);
}
// The multi kind (Managed Instances) makes the same AsyncLocalStorage calls; the package keeps one
// instance per process, so it is rebuilt here from those calls.
const { AsyncLocalStorage } = await import('node:async_hooks');
const storage = new AsyncLocalStorage<Record<symbol, unknown>>();
const multi = Object.assign(Object.create(InvokeStoreBase.prototype) as InvokeStoreBase, {
  run: <T>(context: Record<symbol, unknown>, fn: () => T): T => storage.run(context, fn),
  getContext: () => storage.getStore(),
  get: (key: symbol) => storage.getStore()?.[key],
});
console.log(`AsyncLocalStorage kind: ${withStore(multi).toFixed(0)} ns/invoke`);
