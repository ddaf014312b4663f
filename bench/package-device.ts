// The storage the Lambda-like cold starts read the function package from: an ext4 image in
// bench/.work, attached as OUR OWN loop device with direct I/O (every read the file system asks
// for goes to this machine's virtual disk; the image file itself never enters the page cache)
// and with the read-ahead set on that device only. Each sample mounts it fresh, read-only, after
// dropping the device's buffers, so the package, its inodes and directories are all cold, while
// everything outside it (the managed node, AWS's client, the bench) stays as warm as it was.
// Nothing machine-wide changes: the loop device, its read-ahead and the mount belong to this run
// and close() (called from `finally`, and on SIGINT/SIGTERM) unmounts and detaches them, and puts
// back the read-ahead the free device had before it was attached (the kernel sets its own on
// attach, 2560 KiB here, and an unattached device keeps whatever it was given last).
//
// Why hand-written: it is a dozen calls to losetup/mount/blockdev from util-linux (Debian); no
// npm package manages loop devices.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface DeviceStat {
  /** Completed read requests since the device was attached. */
  reads: number;
  /** Bytes read since the device was attached. */
  bytes: number;
  /** Milliseconds spent reading (the kernel's read ticks). */
  readMs: number;
}

/** One file placed in the image: `target` is relative to the image's root. */
export interface PlacedFile {
  source: string;
  target: string;
}

const SECTOR = 512;

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function errorText(error: unknown): string {
  if (error instanceof Error && 'stderr' in error && typeof error.stderr === 'string' && error.stderr.trim() !== '') return error.stderr.trim();
  return error instanceof Error ? error.message : String(error);
}

export class PackageDevice {
  private mounted = false;
  private closed = false;
  private readonly onSignal = (): void => {
    this.close();
    process.exit(130);
  };

  readonly image: string;
  readonly device: string;
  readonly mountDir: string;
  /** The device's read-ahead (KiB) before this run attached it, restored on close. */
  private readonly readAheadBeforeKiB: string | undefined;

  private constructor(image: string, device: string, mountDir: string, readAheadBeforeKiB: string | undefined) {
    this.image = image;
    this.device = device;
    this.mountDir = mountDir;
    this.readAheadBeforeKiB = readAheadBeforeKiB;
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /**
   * Builds `dir/package.img` holding `files` (modes kept) and attaches it. Returns an Error saying
   * why not (not root, no loop device, no mkfs.ext4) so the bench can report it and go on.
   */
  static create(dir: string, files: PlacedFile[]): PackageDevice | Error {
    if (process.getuid?.() !== 0) return new Error('needs root (losetup, mount); run `make bench` as root');
    for (const tool of ['losetup', 'mount', 'umount', 'blockdev', 'mkfs.ext4']) {
      try {
        sh('sh', ['-c', `command -v ${tool}`]);
      } catch {
        return new Error(`${tool} is not installed (Debian: util-linux, mount, e2fsprogs)`);
      }
    }
    const image = join(dir, 'package.img');
    const mountDir = join(dir, 'mnt');
    mkdirSync(mountDir, { recursive: true });
    PackageDevice.release(image, mountDir);
    rmSync(image, { force: true });
    // Variants may share a tree (zip-like and image-like of one runtime): one copy per target.
    files = [...new Map(files.map((f) => [f.target, f])).values()];
    const bytes = files.reduce((sum, f) => sum + statSync(f.source).size, 0);
    // ext4's own structures and 4 KiB rounding: a quarter more, plus 64 MiB.
    const size = Math.ceil((bytes * 1.25 + 64 * 1024 * 1024) / (1024 * 1024));
    let device: string;
    let readAheadBefore: string | undefined;
    try {
      sh('truncate', ['-s', `${size}M`, image]);
      // No journal: the image is written once here and mounted read-only after.
      sh('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', image]);
      // The free device first, to note its read-ahead before attaching changes it.
      device = sh('losetup', ['--find']).trim();
      readAheadBefore = readAheadKiB(device);
      sh('losetup', ['--direct-io=on', device, image]);
    } catch (error) {
      rmSync(image, { force: true });
      return new Error(`cannot set up a loop device for the package image: ${errorText(error)}`);
    }
    const pkg = new PackageDevice(image, device, mountDir, readAheadBefore);
    try {
      sh('mount', ['-o', 'noatime', device, mountDir]);
      pkg.mounted = true;
      for (const file of files) {
        const target = join(mountDir, file.target);
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(file.source, target);
        chmodSync(target, statSync(file.source).mode & 0o777);
      }
      pkg.unmount();
    } catch (error) {
      pkg.close();
      return new Error(`cannot fill the package image: ${errorText(error)}`);
    }
    return pkg;
  }

  /** Unmounts and detaches whatever a previous, interrupted run left of this image. */
  private static release(image: string, mountDir: string): void {
    try {
      sh('mountpoint', ['-q', mountDir]);
      sh('umount', [mountDir]);
    } catch {
      // not mounted
    }
    if (!existsSync(image)) return;
    try {
      for (const line of sh('losetup', ['-j', image]).split('\n')) {
        const dev = line.split(':')[0];
        if (dev !== undefined && dev.startsWith('/dev/loop')) sh('losetup', ['-d', dev]);
      }
    } catch {
      // nothing attached
    }
  }

  /** The kernel's counters for this loop device (/sys/block/loopN/stat). */
  stat(): DeviceStat {
    const fields = readFileSync(`/sys/block/${this.device.replace('/dev/', '')}/stat`, 'utf8').trim().split(/\s+/).map(Number);
    return { reads: fields[0] ?? 0, bytes: (fields[2] ?? 0) * SECTOR, readMs: fields[3] ?? 0 };
  }

  /**
   * Mounts the image read-only with `readAheadKiB` of read-ahead on the device, its buffers and
   * page cache empty, runs `work` with the mount point, and unmounts (which drops the pages).
   */
  async cold<T>(readAheadKiB: number, work: (root: string) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the package device is closed');
    sh('blockdev', ['--setra', String((readAheadKiB * 1024) / SECTOR), this.device]);
    sh('blockdev', ['--flushbufs', this.device]);
    sh('mount', ['-o', 'ro,noatime', this.device, this.mountDir]);
    this.mounted = true;
    try {
      return await work(this.mountDir);
    } finally {
      this.unmount();
    }
  }

  private unmount(): void {
    if (!this.mounted) return;
    // A killed runtime may hold its executable for a moment after SIGKILL: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        sh('umount', [this.mountDir]);
        this.mounted = false;
        return;
      } catch (error) {
        if (attempt >= 50) throw new Error(`umount ${this.mountDir}: ${errorText(error)}`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  }

  /** Unmounts, detaches the loop device and removes the image. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    try {
      this.unmount();
    } finally {
      try {
        try {
          sh('losetup', ['-d', this.device]);
        } catch (error) {
          // Already detached (another run of the bench on this image took it over and released
          // it): nothing of ours is left to release; the results measured so far still count.
          if (sh('losetup', ['-j', this.image]).trim() !== '') throw error;
          return;
        }
        if (this.readAheadBeforeKiB !== undefined) writeFileSync(readAheadFile(this.device), this.readAheadBeforeKiB);
      } finally {
        rmSync(this.image, { force: true });
      }
    }
  }
}

function readAheadFile(device: string): string {
  return `/sys/block/${device.replace('/dev/', '')}/queue/read_ahead_kb`;
}

/** The device's read-ahead in KiB as sysfs has it, or undefined where sysfs does not say. */
function readAheadKiB(device: string): string | undefined {
  try {
    return readFileSync(readAheadFile(device), 'utf8').trim();
  } catch {
    return undefined;
  }
}
