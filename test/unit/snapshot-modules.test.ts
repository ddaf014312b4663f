// The pieces of src/pre-init/snapshot-modules.ts that need no snapshot: the environment guard and the
// generated re-export module (test/integration/snapshot.test.ts runs them inside the executable).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { SnapshotEnvironmentError, applySnapshotEnvironment, envDigest, reexportSource } from '../../src/pre-init/snapshot-modules.ts';

const dir = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-snapshot-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('applySnapshotEnvironment', () => {
  const salt = '00112233445566778899aabbccddeeff';
  const environment = {
    salt,
    reads: { AWS_EXECUTION_ENV: envDigest(salt, 'AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs24.x'), AWS_SDK_UA_APP_ID: null, API_KEY: envDigest(salt, 'API_KEY', 'sk_live_OLD') },
    writes: { AWS_SDK_UA_APP_ID: 'PT/x', GONE: null },
  };

  test('the guard holds salted SHA-256 digests: the same value under another name or salt differs', () => {
    expect(environment.reads.API_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(environment.reads.API_KEY).not.toBe(envDigest(salt, 'OTHER', 'sk_live_OLD'));
    expect(environment.reads.API_KEY).not.toBe(envDigest('ffeeddccbbaa99887766554433221100', 'API_KEY', 'sk_live_OLD'));
  });

  test('same values as at build: the writes are applied', () => {
    const env: NodeJS.ProcessEnv = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', API_KEY: 'sk_live_OLD', GONE: 'yes', OTHER: 'kept' };
    expect(applySnapshotEnvironment(environment, env, '@scope/pkg')).toBeUndefined();
    expect(env).toEqual({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', API_KEY: 'sk_live_OLD', AWS_SDK_UA_APP_ID: 'PT/x', OTHER: 'kept' });
  });

  test('a read variable that differs: an error naming each, never a value, and nothing written', () => {
    const env: NodeJS.ProcessEnv = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SDK_UA_APP_ID: 'mine', API_KEY: 'sk_live_NEW', GONE: 'yes' };
    const error = applySnapshotEnvironment(environment, env, '@scope/pkg');
    expect(error).toBeInstanceOf(SnapshotEnvironmentError);
    expect(error!.name).toBe('Runtime.SnapshotEnvironmentMismatch');
    expect(error!.message).toContain("Cannot import '@scope/pkg'");
    expect(error!.message).toContain('AWS_EXECUTION_ENV (another value here than when it was built)');
    expect(error!.message).toContain('AWS_SDK_UA_APP_ID (unset when it was built, set here)');
    expect(error!.message).toContain('API_KEY (another value here than when it was built)');
    for (const value of ['AWS_Lambda_nodejs2', 'mine', 'sk_live']) expect(error!.message).not.toContain(value);
    expect(env).toEqual({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SDK_UA_APP_ID: 'mine', API_KEY: 'sk_live_NEW', GONE: 'yes' });
  });

  test('a variable set at build and unset here is named as such', () => {
    const error = applySnapshotEnvironment(environment, { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }, 'pkg');
    expect(error!.message).toContain('API_KEY (set when it was built, unset here)');
    expect(error!.message).not.toContain('AWS_EXECUTION_ENV');
  });
});

test('reexportSource: named exports (identifiers and string names) and default, read from the registry', async () => {
  const namespace = { default: { kind: 'default' }, S3Client: class S3Client {}, 'not-an-identifier': 7, $x: 'dollar' };
  const registry = new Map<string, unknown>([['import:pkg', namespace]]);
  (globalThis as Record<string, unknown>).__snapshotModulesTest = registry;
  const file = join(dir, 'reexport.mjs');
  writeFileSync(file, reexportSource('__snapshotModulesTest', 'import:pkg', namespace));
  const imported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  expect(imported.default).toBe(namespace.default);
  expect(imported.S3Client).toBe(namespace.S3Client);
  expect(imported['not-an-identifier']).toBe(7);
  expect(imported.$x).toBe('dollar');
  expect(Object.keys(imported).sort()).toEqual(Object.keys(namespace).sort());
});
