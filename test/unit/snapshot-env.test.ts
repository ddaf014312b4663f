// build/snapshot/snapshot-env.ts: which environment values a snapshot executable may carry. The build's
// refusals name variables, never values; the guard holds digests.
import { describe, expect, test } from 'vitest';
import { credentialRefusal, looksSecret, planEnvironment } from '../../build/snapshot/snapshot-env.ts';
import { envDigest } from '../../src/pre-init/snapshot-modules.ts';

const SECRET = 'sk_live_SECRET_VALUE_1234';

describe('planEnvironment', () => {
  test('a secret-looking variable the dependencies read with a value is refused, naming it and the flag', () => {
    const plan = planEnvironment(['THIRD_PARTY_API_KEY', 'STAGE'], {}, { THIRD_PARTY_API_KEY: SECRET, STAGE: 'prod' }, []);
    expect(typeof plan).toBe('string');
    expect(plan).toContain('the dependencies read THIRD_PARTY_API_KEY while loading');
    expect(plan).toContain('--allow-env-value THIRD_PARTY_API_KEY');
    expect(plan).not.toContain(SECRET);
    expect(plan).not.toContain('STAGE');
  });

  test('a secret-looking variable the dependencies set at load is refused too', () => {
    const plan = planEnvironment([], { SDK_SESSION_TOKEN: SECRET }, {}, []);
    expect(plan).toContain('the dependencies set SDK_SESSION_TOKEN while loading');
    expect(plan).not.toContain(SECRET);
  });

  test('read while unset: guarded as unset, nothing baked in, nothing refused', () => {
    const plan = planEnvironment(['DB_PASSWORD'], {}, {}, []);
    if (typeof plan === 'string') throw new Error(plan);
    expect(plan.environment.reads).toEqual({ DB_PASSWORD: null });
    expect(plan.bakedIn).toEqual([]);
    expect(plan.unset).toEqual(['DB_PASSWORD']);
  });

  test('allowed: digests (salted per build) in the guard, the names baked in and the allowed secrets listed', () => {
    const plan = planEnvironment(['THIRD_PARTY_API_KEY', 'STAGE'], { AWS_SDK_UA_APP_ID: 'PT/x' }, { THIRD_PARTY_API_KEY: SECRET, STAGE: 'prod' }, ['THIRD_PARTY_API_KEY']);
    if (typeof plan === 'string') throw new Error(plan);
    const { salt, reads, writes } = plan.environment;
    expect(salt).toMatch(/^[0-9a-f]{32}$/);
    expect(reads).toEqual({ THIRD_PARTY_API_KEY: envDigest(salt, 'THIRD_PARTY_API_KEY', SECRET), STAGE: envDigest(salt, 'STAGE', 'prod') });
    expect(JSON.stringify(plan.environment)).not.toContain(SECRET);
    expect(writes).toEqual({ AWS_SDK_UA_APP_ID: 'PT/x' });
    expect(plan.bakedIn).toEqual(['STAGE', 'THIRD_PARTY_API_KEY']);
    expect(plan.allowedSecrets).toEqual(['THIRD_PARTY_API_KEY']);
    const again = planEnvironment(['STAGE'], {}, { STAGE: 'prod' }, []);
    if (typeof again === 'string') throw new Error(again);
    expect(again.environment.reads.STAGE).not.toBe(reads.STAGE);
  });

  test('AWS credentials cannot be allowed', () => {
    expect(planEnvironment(['AWS_SECRET_ACCESS_KEY'], {}, { AWS_SECRET_ACCESS_KEY: SECRET }, ['AWS_SECRET_ACCESS_KEY'])).toContain('AWS_SECRET_ACCESS_KEY');
    expect(credentialRefusal({ AWS_SESSION_TOKEN: SECRET, OTHER: 'x' })).toContain('--env AWS_SESSION_TOKEN: AWS credentials are never built into an executable');
    expect(credentialRefusal({ AWS_SESSION_TOKEN: SECRET })).not.toContain(SECRET);
    expect(credentialRefusal({ AWS_REGION: 'eu-west-1' })).toBeUndefined();
  });
});

test('looksSecret: the usual secret words anywhere in the name, any case', () => {
  for (const name of ['API_KEY', 'stripe_secret', 'GITHUB_TOKEN', 'DB_PASSWORD', 'PGPASSWD', 'SSH_PASSPHRASE', 'GOOGLE_APPLICATION_CREDENTIALS', 'PRIVATE_PEM', 'BASIC_AUTH', 'WEBHOOK_SIGNATURE', 'SESSION_COOKIE']) expect(looksSecret(name), name).toBe(true);
  for (const name of ['STAGE', 'AWS_REGION', 'TABLE_NAME', 'LOG_LEVEL', 'AWS_EXECUTION_ENV']) expect(looksSecret(name), name).toBe(false);
});
