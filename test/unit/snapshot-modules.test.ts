// The pieces of src/snapshot-modules.ts that need no snapshot: the environment guard and the
// generated re-export module (test/integration/snapshot.test.ts runs them inside the executable).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { SnapshotEnvironmentError, applySnapshotEnvironment, reexportSource } from '../../src/snapshot-modules.ts';

const dir = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-snapshot-modules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('applySnapshotEnvironment', () => {
  const environment = { reads: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_SDK_UA_APP_ID: null }, writes: { AWS_SDK_UA_APP_ID: 'PT/x', GONE: null } };

  test('same values as at build: the writes are applied', () => {
    const env: NodeJS.ProcessEnv = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', GONE: 'yes', OTHER: 'kept' };
    expect(applySnapshotEnvironment(environment, env, '@scope/pkg')).toBeUndefined();
    expect(env).toEqual({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_SDK_UA_APP_ID: 'PT/x', OTHER: 'kept' });
  });

  test('a read variable that differs: an error naming each, and nothing written', () => {
    const env: NodeJS.ProcessEnv = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SDK_UA_APP_ID: 'mine', GONE: 'yes' };
    const error = applySnapshotEnvironment(environment, env, '@scope/pkg');
    expect(error).toBeInstanceOf(SnapshotEnvironmentError);
    expect(error!.name).toBe('Runtime.SnapshotEnvironmentMismatch');
    expect(error!.message).toContain("Cannot import '@scope/pkg'");
    expect(error!.message).toContain('AWS_EXECUTION_ENV ("AWS_Lambda_nodejs24.x" when it was built, "AWS_Lambda_nodejs22.x" here)');
    expect(error!.message).toContain('AWS_SDK_UA_APP_ID (unset when it was built, "mine" here)');
    expect(env).toEqual({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', AWS_SDK_UA_APP_ID: 'mine', GONE: 'yes' });
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
