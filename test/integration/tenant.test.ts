// Tenant isolation: Lambda-Runtime-Aws-Tenant-Id → context.tenantId (undefined when absent, ''
// when empty) and a tenantId field in JSON logs when non-empty, also per invocation under Managed
// Instances; the emulator's invoke endpoint maps X-Amz-Tenant-Id onto it.
import { afterAll, describe, expect, test } from 'vitest';
import { InvokeEndpoint } from '../../emulator/index.ts';
import type { Emulator, InvocationOutcome } from '../../emulator/index.ts';
import { TRANSPORTS, describeOutcome, jsonLines, outputSettles, startFunction, stopAll } from './harness.ts';

const endpoints: InvokeEndpoint[] = [];
afterAll(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
  await stopAll();
});

const FIXTURE = 'tenant';
const INVOKE = '/2015-03-31/functions/function/invocations';

interface Seen {
  requestId: string;
  tenantIdType: string;
  tenantId: string | null;
}

function seen(outcome: InvocationOutcome, emulator: Emulator): Seen {
  expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('response');
  return outcome.json() as Seen;
}

/** The JSON log records of one invocation, once both of its lines have arrived. */
async function recordsOf(emulator: Emulator, requestId: string): Promise<Record<string, unknown>[]> {
  const mine = (output: string): Record<string, unknown>[] => jsonLines(output).filter((r) => r.requestId === requestId);
  await outputSettles(emulator, (o) => mine(o).length >= 2);
  return mine(emulator.output);
}

describe.each(TRANSPORTS)('context.tenantId (transport %s)', (transport) => {
  test.concurrent.each([
    ['absent', undefined, 'undefined', null],
    ['empty', '', 'string', ''],
    ['set', 'tenant-blue', 'string', 'tenant-blue'],
  ])('header %s', async (_label, tenantId, type, value) => {
    const emulator = await startFunction(FIXTURE, 'index.handler', {}, { transport });
    const options = tenantId === undefined ? {} : { tenantId };
    const result = seen(await emulator.invoke('{}', options), emulator);
    expect(result.tenantIdType).toBe(type);
    expect(result.tenantId).toBe(value);
  });
});

describe.concurrent('tenantId in JSON logs', () => {
  test('present on every line of an invocation with a tenant; absent when the header is missing or empty', async () => {
    const emulator = await startFunction(FIXTURE, 'index.handler', { AWS_LAMBDA_LOG_FORMAT: 'JSON' });
    seen(await emulator.invoke('{}', { requestId: 'with-tenant', tenantId: 'acme' }), emulator);
    seen(await emulator.invoke('{}', { requestId: 'empty-tenant', tenantId: '' }), emulator);
    seen(await emulator.invoke('{}', { requestId: 'no-tenant' }), emulator);

    const withTenant = await recordsOf(emulator, 'with-tenant');
    expect(withTenant, emulator.output).toEqual([
      expect.objectContaining({ level: 'INFO', tenantId: 'acme', message: 'hello from tenant' }),
      expect.objectContaining({ level: 'INFO', tenantId: 'acme', message: { step: 'after await' } }),
    ]);
    for (const requestId of ['empty-tenant', 'no-tenant']) {
      const records = await recordsOf(emulator, requestId);
      expect(records, emulator.output).toHaveLength(2);
      for (const record of records) expect(record).not.toHaveProperty('tenantId');
    }
  });

  test('under Managed Instances every line carries its own invocation tenant', async () => {
    const emulator = await startFunction(FIXTURE, 'index.handler', { AWS_LAMBDA_LOG_FORMAT: 'JSON' }, { maxConcurrency: 4 });
    const tenants = ['red', 'green', 'blue', 'amber'];
    const outcomes = await Promise.all(
      tenants.map((tenantId) => emulator.invoke('{"ms":200}', { requestId: `mi-${tenantId}`, tenantId })),
    );
    tenants.forEach((tenantId, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined) throw new Error('missing outcome');
      expect(seen(outcome, emulator)).toMatchObject({ requestId: `mi-${tenantId}`, tenantId });
    });
    for (const tenantId of tenants) {
      const records = await recordsOf(emulator, `mi-${tenantId}`);
      expect(records.map((r) => r.tenantId), emulator.output).toEqual([tenantId, tenantId]);
    }
  });
});

describe('the invoke endpoint maps X-Amz-Tenant-Id', () => {
  test.each([
    ['a tenant', { 'X-Amz-Tenant-Id': 'org-42' }, 'org-42'],
    ['an empty header', { 'X-Amz-Tenant-Id': '' }, ''],
    ['no header', {}, null],
  ])('%s', async (_label, headers: Record<string, string>, expected) => {
    const emulator = await startFunction(FIXTURE, 'index.handler');
    const endpoint = await InvokeEndpoint.start(emulator, { port: 0, log: () => {} });
    endpoints.push(endpoint);
    const res = await fetch(`${endpoint.url}${INVOKE}`, { method: 'POST', body: '{}', headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amz-function-error')).toBeNull();
    const body = (await res.json()) as Seen;
    expect(body.tenantId).toBe(expected);
    expect(body.tenantIdType).toBe(expected === null ? 'undefined' : 'string');
  });
});
