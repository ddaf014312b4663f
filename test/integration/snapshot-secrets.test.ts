// Snapshot executables and environment values (issue 20 part 4; ../shared/repros/snapshot-env-plaintext):
// the guard keeps salted digests, so neither the built `bootstrap` nor its SEA script holds a value
// the dependencies read; a mismatch names the variable, never a value, in the init error the
// invoker gets and in the log; a secret-looking value the dependencies would capture is refused
// unless allowed; AWS credentials are never built in. The built binary is searched for the value.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { SnapshotError, buildSnapshotExecutable } from '../../build/snapshot/snapshot.ts';
import type { SnapshotReport } from '../../build/snapshot/snapshot.ts';
import { Emulator } from '../../emulator/index.ts';
import { describeOutcome, errorBody } from './harness.ts';

const OLD_KEY = 'sk_live_OLD_SECRET_4242';
const NEW_KEY = 'sk_live_NEW_SECRET_9999';
const binaryOnly = describe.skipIf((process.env.BOOTSTRAP_TARGET ?? 'binary') !== 'binary' || process.env.BOOTSTRAP_ARCH === 'arm64');
const temporary: string[] = [];

afterAll(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/**
 * The repro's function (index.mjs imports secret-dep, which reads THIRD_PARTY_API_KEY at load and
 * keeps `Bearer <key>`), or, with `keeps: 'flag'`, a dependency that reads the key at load but
 * keeps only whether it is there, and a non-secret STAGE_NAME it keeps as it is.
 */
function functionDir(keeps: 'header' | 'flag'): string {
  const dir = tempDir('lambda-bootstrap-snapshot-secrets-');
  const dep = join(dir, 'node_modules', 'secret-dep');
  mkdirSync(dep, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "name": "fn", "version": "1.0.0", "type": "module", "dependencies": { "secret-dep": "1.0.0" } }\n');
  writeFileSync(join(dep, 'package.json'), '{ "name": "secret-dep", "version": "1.0.0", "main": "index.js" }\n');
  if (keeps === 'header') {
    // The repro's fn/index.mjs and secret-dep/index.js.
    writeFileSync(join(dir, 'index.mjs'), "import dep from 'secret-dep';\nexport const handler = async () => ({ hasAuth: dep.client.authorization.length > 10 });\n");
    writeFileSync(join(dep, 'index.js'), 'const apiKey = process.env.THIRD_PARTY_API_KEY;\nexports.client = { authorization: `Bearer ${apiKey}` };\n');
  } else {
    writeFileSync(join(dir, 'index.mjs'), "import dep from 'secret-dep';\nexport const handler = async () => ({ configured: dep.configured, stage: dep.stage });\n");
    writeFileSync(join(dep, 'index.js'), 'exports.configured = (process.env.THIRD_PARTY_API_KEY ?? "").length > 10;\nexports.stage = process.env.STAGE_NAME;\n');
  }
  return dir;
}

function copies(file: string, value: string): number {
  return readFileSync(file).toString('latin1').split(value).length - 1;
}

async function invoke(executable: string, taskRoot: string, env: Record<string, string>): Promise<{ text: string; log: string; ok: boolean; body: unknown }> {
  const emulator = await Emulator.start({ command: executable, handler: 'index.handler', taskRoot, env });
  try {
    const outcome = await emulator.invoke('{}');
    const ok = outcome.kind === 'response';
    const body = ok ? outcome.json() : errorBody(outcome);
    if (!ok) expect(outcome.kind, describeOutcome(outcome, emulator)).toBe('init-error');
    return { text: JSON.stringify(body), log: emulator.output, ok, body };
  } finally {
    await emulator.stop();
  }
}

binaryOnly('snapshot executable and environment values', () => {
  test('snapshot-env-plaintext: a dependency that captures a secret-looking value at load is refused, naming the variable, not the value; nothing is built', async () => {
    const out = tempDir('lambda-bootstrap-snapshot-secrets-out-');
    const lines: string[] = [];
    const built = await buildSnapshotExecutable({ functionDir: functionDir('header'), handler: 'index.handler', outDir: out, env: { THIRD_PARTY_API_KEY: OLD_KEY }, log: (line) => lines.push(line) });
    expect(built).toBeInstanceOf(SnapshotError);
    const message = (built as SnapshotError).message;
    expect(message).toContain('snapshot: refused: a value whose name looks secret would be built into the executable');
    expect(message).toContain('the dependencies read THIRD_PARTY_API_KEY while loading');
    expect(message).toContain('--allow-env-value THIRD_PARTY_API_KEY');
    expect(`${message}\n${lines.join('\n')}`).not.toContain(OLD_KEY);
    expect(existsSync(join(out, 'bootstrap'))).toBe(false);
  }, 300_000);

  test('AWS credentials are never built in, even when allowed', async () => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) {
      const built = await buildSnapshotExecutable({ functionDir: functionDir('flag'), handler: 'index.handler', outDir: tempDir('lambda-bootstrap-snapshot-secrets-out-'), env: { [name]: 'AKIDEXAMPLEVALUE0000' }, allowEnvValues: [name] });
      expect(built).toBeInstanceOf(SnapshotError);
      expect((built as SnapshotError).message).toContain(`snapshot: refused: --env ${name}: AWS credentials are never built into an executable`);
      expect((built as SnapshotError).message).not.toContain('AKIDEXAMPLEVALUE0000');
    }
  }, 300_000);

  let allowed: { report: SnapshotReport; dir: string; lines: string[] } | undefined;
  test('allowed, the guard keeps digests: the key is in neither the built bootstrap nor its script; the build names what is baked in', async () => {
    const dir = functionDir('flag');
    const lines: string[] = [];
    const built = await buildSnapshotExecutable({
      functionDir: dir,
      handler: 'index.handler',
      outDir: tempDir('lambda-bootstrap-snapshot-secrets-out-'),
      env: { THIRD_PARTY_API_KEY: OLD_KEY, STAGE_NAME: 'stage-prod-7731', UNREAD_SETTING: 'unread-value-5521' },
      allowEnvValues: ['THIRD_PARTY_API_KEY'],
      log: (line) => lines.push(line),
    });
    if (built instanceof SnapshotError) throw built;
    allowed = { report: built, dir, lines };
    expect(copies(built.executable, OLD_KEY), 'copies of the key in bootstrap').toBe(0);
    expect(copies(join(built.executable, '..', 'snapshot-main.js'), OLD_KEY), 'copies of the key in the SEA script').toBe(0);
    // A value passed to the build that no dependency reads is nowhere either.
    expect(copies(built.executable, 'unread-value-5521')).toBe(0);
    // What the dependency keeps is in the heap, as the build says.
    expect(copies(built.executable, 'stage-prod-7731')).toBeGreaterThan(0);
    expect(Object.keys(built.environment.reads)).toEqual(expect.arrayContaining(['STAGE_NAME', 'THIRD_PARTY_API_KEY']));
    expect(built.environment.reads.THIRD_PARTY_API_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(lines).toContain('snapshot: environment guard (checked at start, by SHA-256 digest): STAGE_NAME, THIRD_PARTY_API_KEY');
    expect(lines).toContain("snapshot: baked in: the dependencies read STAGE_NAME, THIRD_PARTY_API_KEY while loading, so what they made of the build's values is in the executable");
    expect(lines).toContain("snapshot: warning: THIRD_PARTY_API_KEY looks secret and its value is baked in (--allow-env-value): anyone who can download the function's code can read it");
    expect(lines.join('\n')).not.toContain(OLD_KEY);
  }, 300_000);

  test('the guard still tells a rotated key apart, and the init error and the log name it without either value', async () => {
    if (allowed === undefined) throw new Error('the previous test did not build the executable');
    const same = await invoke(allowed.report.executable, allowed.dir, { THIRD_PARTY_API_KEY: OLD_KEY, STAGE_NAME: 'stage-prod-7731' });
    expect(same.ok, same.text).toBe(true);
    expect(same.body).toEqual({ configured: true, stage: 'stage-prod-7731' });
    const rotated = await invoke(allowed.report.executable, allowed.dir, { THIRD_PARTY_API_KEY: NEW_KEY, STAGE_NAME: 'stage-prod-7731' });
    expect(rotated.ok).toBe(false);
    expect(rotated.body).toMatchObject({ errorType: 'Runtime.SnapshotEnvironmentMismatch' });
    expect(rotated.text).toContain('THIRD_PARTY_API_KEY (another value here than when it was built)');
    for (const text of [rotated.text, rotated.log]) {
      expect(text).not.toMatch(/sk_live_[A-Z_0-9]+/);
      expect(text).not.toContain('stage-prod-7731');
    }
    expect(rotated.log).toContain('Runtime.SnapshotEnvironmentMismatch');
  }, 120_000);
});
