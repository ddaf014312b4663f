// Unit tests of the chained-invoke parts (emulator/durable/chained-invoke.ts, cli/src/durable.ts
// --chained-function); test/integration/durable-service.test.ts and test/cli/durable.test.ts run them for real.
import { describe, expect, it } from 'vitest';
import { parseChainedFunction } from '../../cli/src/durable.ts';
import { chainedExecutionName, namesLocalFunction, notLocalFunction } from '../../emulator/durable/chained-invoke.ts';

describe('--chained-function', () => {
  it('takes NAME=FOLDER with an optional :module.export', () => {
    expect(parseChainedFunction('pricing=./pricing')).toEqual({ name: 'pricing', dir: './pricing', handler: 'index.handler' });
    expect(parseChainedFunction('pricing=./pricing:app.main')).toEqual({ name: 'pricing', dir: './pricing', handler: 'app.main' });
    expect(parseChainedFunction('p=/srv/a:b/fn')).toEqual({ name: 'p', dir: '/srv/a:b/fn', handler: 'index.handler' });
    expect(() => parseChainedFunction('./pricing')).toThrow(/--chained-function takes NAME=FOLDER\[:module\.export\]/);
    expect(() => parseChainedFunction('bad name=./x')).toThrow(/1-64 letters, digits, - or _/);
  });
});

describe('which function a chained invoke names', () => {
  it('the name, its ARN or partial ARN, unqualified or $LATEST', () => {
    for (const name of ['orders', 'arn:aws:lambda:us-east-1:123456789012:function:orders', '123456789012:function:orders', 'orders:$LATEST']) {
      expect(namesLocalFunction(name, 'orders'), name).toBe(true);
    }
    expect(namesLocalFunction('orders:3', 'orders')).toBe(false);
    expect(namesLocalFunction('billing', 'orders')).toBe(false);
  });

  it('names the child execution stably within DurableExecutionName’s limits; says what to do for another function', () => {
    const name = chainedExecutionName('arn:x', 'op-1');
    expect(name).toBe(chainedExecutionName('arn:x', 'op-1'));
    expect(name).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
    expect(notLocalFunction('billing', 'orders', ['pricing']).ErrorMessage).toBe(
      'Function not found: billing. The local durable service runs "orders": context.invoke can call it (by name or ARN, unqualified or $LATEST) and the functions registered with --chained-function ("pricing"). Run the other function beside it with --chained-function billing=<its folder>[:<module.export>] (docs/durable-functions.md#chained-invokes)',
    );
  });
});
