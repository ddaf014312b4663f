// What the kernel knows about a process and a file: CPU time and peak RSS from /proc, and the
// page cache (evict, count resident pages) through vmtouch.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;
const PAGE_BYTES = 4096;

/** utime + stime of the whole process (all threads), in ms. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`cannot read utime/stime from /proc/${pid}/stat: ${stat}`);
  return ((utime + stime) * 1000) / CLOCK_TICKS;
}

/** VmHWM (peak resident set size) in MiB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** Drops the files' clean pages from the page cache (posix_fadvise DONTNEED). */
export function evict(vmtouch: string, files: string[]): void {
  execFileSync(vmtouch, ['-q', '-e', ...files]);
}

/** MiB of the files resident in the page cache (mincore). */
export function residentMb(vmtouch: string, files: string[]): number {
  const out = execFileSync(vmtouch, files, { encoding: 'utf8' });
  const match = /Resident Pages:\s+(\d+)\//.exec(out);
  if (match?.[1] === undefined) throw new Error(`unexpected vmtouch output: ${out}`);
  return (Number(match[1]) * PAGE_BYTES) / 1024 / 1024;
}
