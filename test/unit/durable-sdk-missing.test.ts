// What --durable says when AWS's checkpoint server (@aws/durable-execution-sdk-js-testing) is not
// installed or cannot run: before Node 22 (the SDK's engines say >=22; npm 11 installs the optional
// dependency anyway when it can fetch it) the message names the Node version needed; on Node 22+
// it was left out some other way.
// The installed tool on this machine's Node checks the real case (test/cli/installed-tool.test.ts).
import { describe, expect, it } from 'vitest';
import { checkpointServerMissing, DURABLE_SDK_MIN_NODE_MAJOR } from '../../emulator/durable/checkpoint-worker.ts';

describe('checkpointServerMissing', () => {
  it('before Node 22: names the minimum, the running version and what to do', () => {
    expect(DURABLE_SDK_MIN_NODE_MAJOR).toBe(22);
    expect(checkpointServerMissing('20.20.2')).toBe(
      "durable functions need Node.js 22 or later for AWS's durable execution SDK (@aws/durable-execution-sdk-js-testing, its checkpoint server), " +
        'which does not run on Node.js 20.20.2; run lambda-bootstrap on Node 22+ (and `npm install` there if npm skipped the SDK)',
    );
    expect(checkpointServerMissing('21.7.3')).toContain('which does not run on Node.js 21.7.3');
  });

  it('on Node 22 and later: the package is simply missing; install it', () => {
    for (const version of ['22.0.0', '24.21.0', '26.12.1']) {
      expect(checkpointServerMissing(version)).toBe(
        'durable functions need @aws/durable-execution-sdk-js-testing (its checkpoint server): it is not installed; run `npm install` (or `npm ci`) in the project',
      );
    }
  });
});
