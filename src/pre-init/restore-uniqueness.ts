// After a SnapStart restore, every sandbox resumed from one snapshot holds the same memory: any
// random state kept in user space repeats across them. What Node keeps, and what this undoes:
// - Math.random: V8's xorshift128+ state lives in the native context, seeded once per isolate,
//   and JavaScript cannot reseed it. It is replaced by a function of the same shape drawing from
//   the kernel (/dev/urandom), whose generator is reseeded when a VM is restored from a snapshot.
// - crypto.randomUUID: Node pre-generates 128 UUIDs' worth of random bytes and hands them out
//   one by one (lib/internal/crypto/random.js). Replaced like Math.random, and ESM named imports
//   of node:crypto are re-synced (module.syncBuiltinESMExports).
// - crypto.randomInt: a 6 KiB cache of random bytes, refilled when used up. Used up here, so the
//   next call refills it.
// OpenSSL's own generator (crypto.randomBytes, TLS keys) is outside JavaScript's reach; see
// docs/snapstart.md.
import { closeSync, openSync, readSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

// node:crypto is loaded when a restore needs it, not at every start: it costs a cold start ~7 ms of
// module evaluation (bench/profile.ts) that a function outside SnapStart never uses.
const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

const POOL_BYTES = 4096;
// crypto.randomInt's cache (6 * 1024 bytes, 6 bytes a draw): this many draws always reach a refill.
const RANDOM_INT_CACHE_DRAWS = 1024;
const TWO_POW_32 = 2 ** 32;
const TWO_POW_53 = 2 ** 53;

/** Random bytes straight from the kernel, read in blocks. */
class KernelEntropy {
  private readonly pool = Buffer.allocUnsafe(POOL_BYTES);
  private offset = POOL_BYTES;
  private readonly view = new DataView(this.pool.buffer, this.pool.byteOffset, POOL_BYTES);

  private refill(): void {
    let fd: number | undefined;
    try {
      fd = openSync('/dev/urandom', 'r');
      let filled = 0;
      while (filled < POOL_BYTES) filled += readSync(fd, this.pool, filled, POOL_BYTES - filled, null);
    } catch {
      // No /dev/urandom (not Linux): OpenSSL's generator is the best left.
      crypto().randomFillSync(this.pool);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.offset = 0;
  }

  /** `n` bytes (n <= 16) copied into `target` at `at`. */
  take(target: Uint8Array, at: number, n: number): void {
    if (this.offset + n > POOL_BYTES) this.refill();
    target.set(this.pool.subarray(this.offset, this.offset + n), at);
    this.offset += n;
  }

  /** A double in [0, 1) with 53 random bits, as V8's Math.random gives. */
  double(): number {
    if (this.offset + 8 > POOL_BYTES) this.refill();
    const high = this.view.getUint32(this.offset) >>> 11;
    const low = this.view.getUint32(this.offset + 4);
    this.offset += 8;
    return (high * TWO_POW_32 + low) / TWO_POW_53;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function define(target: object, name: string, value: (...args: never[]) => unknown): void {
  // The attributes the replaced property had (writable, configurable; enumerable as it was).
  const before = Object.getOwnPropertyDescriptor(target, name);
  Object.defineProperty(target, name, { writable: true, configurable: true, enumerable: before?.enumerable ?? false, value });
}

/**
 * Call once, right after restore/next answers and before any after-restore hook or invocation.
 * Idempotent in effect; never throws. `mathRandom: false` keeps V8's Math.random: a V8 startup
 * snapshot (build/snapshot/snapshot-entry.ts) reseeds it itself when the context is deserialised, unlike a
 * SnapStart restore, which resumes the memory as it was.
 */
export function restoreUniqueness(options: { mathRandom?: boolean } = {}): void {
  const nodeCrypto = crypto();
  const entropy = new KernelEntropy();
  const uuid = new Uint8Array(16);
  // Shorthand method syntax: no prototype and no [[Construct]], like the built-ins.
  const replacements = {
    random(): number {
      return entropy.double();
    },
    randomUUID(options?: { disableEntropyCache?: boolean }): string {
      if (options !== undefined && (typeof options !== 'object' || options === null)) {
        // Keep Node's validation error for bad arguments.
        return original(options);
      }
      entropy.take(uuid, 0, 16);
      uuid[6] = (uuid[6]! & 0x0f) | 0x40;
      uuid[8] = (uuid[8]! & 0x3f) | 0x80;
      const h = (i: number): string => HEX[uuid[i]!]!;
      return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
    },
  };
  const original = nodeCrypto.randomUUID as (options: unknown) => string;
  try {
    if (options.mathRandom !== false) define(Math, 'random', replacements.random);
    define(nodeCrypto, 'randomUUID', replacements.randomUUID);
    if (nodeCrypto.webcrypto?.randomUUID !== undefined) {
      // webcrypto.randomUUID is a method of the Crypto object and shares the same cache.
      define(Object.getPrototypeOf(nodeCrypto.webcrypto) as object, 'randomUUID', function randomUUID(): string {
        return replacements.randomUUID();
      } as () => string);
    }
    syncBuiltinESMExports();
    for (let i = 0; i < RANDOM_INT_CACHE_DRAWS; i++) nodeCrypto.randomInt(0, 2 ** 48 - 1);
  } catch (error) {
    process.stderr.write(`lambda-bootstrap: could not renew random state after restore: ${String(error)}\n`);
  }
}
