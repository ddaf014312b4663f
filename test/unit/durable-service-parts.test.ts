// Unit tests of the local durable service's small parts (emulator/durable/); the service end to
// end is test/integration/durable-order.test.ts.
import { describe, expect, it } from 'vitest';
import { durableFunctionEnv, endpointFor } from '../../emulator/durable/function-endpoint.ts';
import { parseTimeScale, realDelayMs } from '../../emulator/durable/time-scale.ts';
import { toWireJson, withoutPayloads } from '../../emulator/durable/wire.ts';

describe('time scale', () => {
  const now = Date.UTC(2026, 0, 1);
  const day = new Date(now + 86_400_000);
  it('real time by default, at once with skipTime, N times faster with timeScale', () => {
    expect(realDelayMs(day, {}, now)).toBe(86_400_000);
    expect(realDelayMs(day, { skipTime: true }, now)).toBe(0);
    expect(realDelayMs(day, { timeScale: 86_400 }, now)).toBe(1000);
    expect(realDelayMs(new Date(now - 5), {}, now)).toBe(0);
    expect(realDelayMs(undefined, {}, now)).toBe(0);
  });
  it('--time-scale takes a positive number, and says what it means otherwise', () => {
    expect(parseTimeScale('86400')).toBe(86_400);
    expect(parseTimeScale('0.5')).toBe(0.5);
    for (const bad of ['0', '-2', 'fast', '']) expect(() => parseTimeScale(bad)).toThrow(/--time-scale must be a positive number \(86400 makes a day pass in a second\)/);
  });
});

describe('wire format', () => {
  it('timestamps are epoch seconds, as the AWS SDKs read REST-JSON timestamps', () => {
    expect(JSON.parse(toWireJson({ StartTimestamp: new Date(1_700_000_000_500), Nested: [{ At: new Date(0) }] }))).toEqual({ StartTimestamp: 1_700_000_000.5, Nested: [{ At: 0 }] });
  });
  it('history without IncludeExecutionData has no payloads', () => {
    const events = [{ EventType: 'StepSucceeded', StepSucceededDetails: { Result: { Payload: '"secret"', Truncated: false } }, EventTimestamp: new Date(0) }];
    expect(withoutPayloads(events)).toEqual([{ EventType: 'StepSucceeded', StepSucceededDetails: { Result: { Truncated: false } }, EventTimestamp: new Date(0) }]);
  });
});

describe('the function environment', () => {
  it('points the SDK at the local service and keeps the caller\'s own credentials and endpoint', () => {
    expect(durableFunctionEnv({ AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'S', AWS_SESSION_TOKEN: 'T' }, 'http://127.0.0.1:9')).toEqual({
      AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'A',
      AWS_SECRET_ACCESS_KEY: 'S',
      AWS_SESSION_TOKEN: 'T',
    });
    expect(durableFunctionEnv({ AWS_ENDPOINT_URL_LAMBDA: 'http://elsewhere' }, 'http://127.0.0.1:9').AWS_ENDPOINT_URL_LAMBDA).toBe('http://elsewhere');
  });
  it('gives placeholder credentials only when there are none (the SDK will not send unsigned requests)', () => {
    const env = durableFunctionEnv({ AWS_SESSION_TOKEN: 'stray' }, 'http://127.0.0.1:9');
    expect(env.AWS_ACCESS_KEY_ID).toBe('local-durable');
    expect(env.AWS_SECRET_ACCESS_KEY).toBe('local-durable');
    expect(env.AWS_SESSION_TOKEN).toBeUndefined();
  });
  it('reaches a wildcard bind on loopback', () => {
    expect(endpointFor('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080');
    expect(endpointFor('::', 8080)).toBe('http://[::1]:8080');
    expect(endpointFor('::1', 8080)).toBe('http://[::1]:8080');
    expect(endpointFor('localhost', 8080)).toBe('http://localhost:8080');
  });
});
