import { describe, expect, it } from 'vitest';
import {
  decodeTelemetryFrames,
  encodeTelemetryFrame,
  TELEMETRY_FRAME_TYPE_JSON,
  TELEMETRY_FRAME_TYPE_TEXT,
  TELEMETRY_HEADER_BYTES,
} from '../../src/telemetry-frame.ts';

describe('encodeTelemetryFrame', () => {
  it('writes type|mask, length, microsecond timestamp and the UTF-8 message, big-endian', () => {
    const frame = encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_TEXT, 0b10100, 1_700_000_000_123, 'héllo\n');
    const message = Buffer.from('héllo\n', 'utf8');
    expect(message.length).toBe(7);
    const expected = Buffer.concat([
      Buffer.from([0xa5, 0x5a, 0x00, 0x17]), // 0xa55a0003 | 0b10100
      Buffer.from([0x00, 0x00, 0x00, 0x07]),
      // 1_700_000_000_123_000 µs = 0x00060A2418202078
      Buffer.from([0x00, 0x06, 0x0a, 0x24, 0x18, 0x20, 0x20, 0x78]),
      message,
    ]);
    expect(frame).toEqual(expected);
    expect(frame.readBigInt64BE(8)).toBe(1_700_000_000_123n * 1000n);
  });

  it('matches BigInt(ms) * 1000n written as signed 64-bit for a range of clocks', () => {
    for (const millis of [0, 1, 4_294_967_295, 4_294_967_296, 1_764_000_000_000, 9_007_199_254_740]) {
      const frame = encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_JSON, 0, millis, '');
      const reference = Buffer.alloc(8);
      reference.writeBigInt64BE(BigInt(millis) * 1000n);
      expect(frame.subarray(8, 16)).toEqual(reference);
    }
  });

  it('keeps the type unsigned for every level mask', () => {
    const masks = [0b00100, 0b01000, 0b01100, 0b10000, 0b10100, 0b11000];
    const types = masks.map((mask) => encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_JSON, mask, 0, '{}').readUInt32BE(0));
    expect(types).toEqual([0xa55a0006, 0xa55a000a, 0xa55a000e, 0xa55a0012, 0xa55a0016, 0xa55a001a]);
    expect(encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_TEXT, 0b11000, 0, '').length).toBe(TELEMETRY_HEADER_BYTES);
  });
});

describe('decodeTelemetryFrames', () => {
  it('splits concatenated frames', () => {
    const bytes = Buffer.concat([
      encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_TEXT, 0b01100, 1000, 'a\nb\n'),
      encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_JSON, 0b10000, 2000, '{"x":"€"}'),
    ]);
    expect(decodeTelemetryFrames(bytes)).toEqual({
      ok: true,
      frames: [
        { type: 0xa55a000f, timestampMicros: 1_000_000n, message: 'a\nb\n' },
        { type: 0xa55a0012, timestampMicros: 2_000_000n, message: '{"x":"€"}' },
      ],
    });
  });

  it('reports a truncated frame with what is missing', () => {
    const whole = encodeTelemetryFrame(TELEMETRY_FRAME_TYPE_TEXT, 0b01100, 1000, 'hello');
    const result = decodeTelemetryFrames(whole.subarray(0, whole.length - 2));
    expect(result).toEqual({
      ok: false,
      frames: [],
      error: 'Truncated telemetry frame at byte 0: header announces 5 message bytes, 3 present.',
    });
    expect(decodeTelemetryFrames(whole.subarray(0, 10))).toMatchObject({ ok: false });
  });
});
