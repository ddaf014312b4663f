// The machine a result was measured on, as the report prints it.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';
import { PINNED_NODE } from './runtimes.ts';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  os: string;
  node: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews numbers. */
  loadAverage: { start: number; end: number | undefined };
}

function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return match?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    kernel: release(),
    os: osName(),
    node: execFileSync(PINNED_NODE, ['--version'], { encoding: 'utf8' }).trim(),
    loadAverage: { start: loadavg()[0] ?? 0, end: undefined },
  };
}
