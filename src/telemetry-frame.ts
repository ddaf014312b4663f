// The binary frame Lambda's log collector reads from the fd named by _LAMBDA_TELEMETRY_LOG_FD.
// Layout (all big-endian), the same bytes AWS's own Node runtime client writes:
//
//   +--------------+---------------+-------------------------------+-----------------+
//   | type: 4 B    | length: 4 B   | timestamp: 8 B (µs since epoch)| message: length |
//   +--------------+---------------+-------------------------------+-----------------+
//
// type = 0xa55a0003 (TEXT) or 0xa55a0002 (JSON), OR'd with the level mask.

export const TELEMETRY_FRAME_TYPE_TEXT = 0xa55a0003;
export const TELEMETRY_FRAME_TYPE_JSON = 0xa55a0002;
export const TELEMETRY_HEADER_BYTES = 16;

const TWO_POW_32 = 2 ** 32;

/** One frame, header and UTF-8 message in a single buffer so it reaches the fd in one write. */
export function encodeTelemetryFrame(
  frameType: number,
  levelMask: number,
  epochMillis: number,
  message: string,
): Buffer {
  const length = Buffer.byteLength(message, 'utf8');
  const frame = Buffer.allocUnsafe(TELEMETRY_HEADER_BYTES + length);
  // `>>> 0` keeps the OR'd type unsigned: 0xa55a... has its top bit set.
  frame.writeUInt32BE((frameType | levelMask) >>> 0, 0);
  frame.writeUInt32BE(length, 4);
  // The official client writes BigInt(ms) * 1000n as a signed 64-bit value. Microseconds since
  // the epoch stay below 2^53 until the year 2255, so two 32-bit halves give the same bytes
  // without allocating a BigInt per log line.
  const micros = epochMillis * 1000;
  frame.writeUInt32BE(Math.floor(micros / TWO_POW_32), 8);
  frame.writeUInt32BE(micros >>> 0, 12);
  frame.write(message, TELEMETRY_HEADER_BYTES, length, 'utf8');
  return frame;
}

export interface TelemetryFrame {
  /** The whole 32-bit type field: base type OR'd with the level mask. */
  readonly type: number;
  readonly timestampMicros: bigint;
  readonly message: string;
}

export type TelemetryDecodeResult =
  | { readonly ok: true; readonly frames: TelemetryFrame[] }
  | { readonly ok: false; readonly frames: TelemetryFrame[]; readonly error: string };

/** Splits a byte stream of concatenated frames; used by tests and by anything reading the fd. */
export function decodeTelemetryFrames(bytes: Buffer): TelemetryDecodeResult {
  const frames: TelemetryFrame[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < TELEMETRY_HEADER_BYTES) {
      return {
        ok: false,
        frames,
        error: `Truncated telemetry frame header at byte ${offset}: ${bytes.length - offset} of ${TELEMETRY_HEADER_BYTES} header bytes present.`,
      };
    }
    const type = bytes.readUInt32BE(offset);
    const length = bytes.readUInt32BE(offset + 4);
    const timestampMicros = bytes.readBigInt64BE(offset + 8);
    const start = offset + TELEMETRY_HEADER_BYTES;
    if (bytes.length - start < length) {
      return {
        ok: false,
        frames,
        error: `Truncated telemetry frame at byte ${offset}: header announces ${length} message bytes, ${bytes.length - start} present.`,
      };
    }
    frames.push({ type, timestampMicros, message: bytes.toString('utf8', start, start + length) });
    offset = start + length;
  }
  return { ok: true, frames };
}
