// The AWS event-stream message encoding (application/vnd.amazon.eventstream), as the service sends
// InvokeWithResponseStream's events: a 12-byte prelude (total length, headers length, CRC32 of
// those 8 bytes, all big-endian), the headers (each: name length u8, name, value type 7 = string,
// value length u16, value), the payload, and a CRC32 of everything before it.
// Hand-written rather than @smithy/eventstream-codec (the codec the SDKs decode with): that package
// is now a re-export of @smithy/core, which the npm tool's bundle would have to carry whole
// (cli/build.ts bundles only the tool's own dependencies); the encoder is these 40 lines, and
// emulator/invoke/event-stream.test.ts checks it byte for byte against @smithy/eventstream-codec.
// CRC32 is the IEEE polynomial (zlib's), computed by table: zlib.crc32 is missing from the Node 20
// releases before 20.15 the tool still runs on.

const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC32 (IEEE 802.3, as zlib) of `bytes`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0xffffffff): number {
  let c = start;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const STRING_TYPE = 7;

/**
 * One message: `headers` (string-valued; names up to 255 bytes, values up to 65,535) and `payload`.
 * Returns the message's bytes. Errors: RangeError for a name or value too long for the format.
 */
export function encodeMessage(headers: Record<string, string>, payload: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    if (nameBytes.length > 255 || valueBytes.length > 65_535) throw new RangeError(`event-stream header ${name} is too long`);
    const head = Buffer.alloc(1 + nameBytes.length + 3);
    head.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(head, 1);
    head.writeUInt8(STRING_TYPE, 1 + nameBytes.length);
    head.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
    parts.push(head, valueBytes);
  }
  const headerBytes = Buffer.concat(parts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, 12);
  message.set(payload, 12 + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}
