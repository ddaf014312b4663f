// The hand-written event-stream encoder (emulator/invoke/event-stream.ts) against @smithy/eventstream-codec,
// the codec the AWS SDKs use: the same bytes for the same message, and the codec decodes ours.
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, encodeMessage } from './event-stream.ts';
import { encodeEvent } from './invoke-with-response-stream.ts';

const codec = new EventStreamCodec(
  (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8'),
  (text: string) => Buffer.from(text, 'utf8'),
);

describe('event-stream encoding', () => {
  it('crc32 is zlib\'s', () => {
    for (const text of ['', 'a', 'event stream', 'ü'.repeat(1000)]) expect(crc32(Buffer.from(text))).toBe(zlibCrc32(Buffer.from(text)));
  });

  it('the same bytes as @smithy/eventstream-codec, which decodes them back', () => {
    const cases: Array<[Record<string, string>, Buffer]> = [
      [{ ':event-type': 'PayloadChunk', ':content-type': 'application/octet-stream', ':message-type': 'event' }, Buffer.from('piece 0;')],
      [{ ':event-type': 'InvokeComplete', ':content-type': 'application/json', ':message-type': 'event' }, Buffer.from('{"ErrorCode":"TypeError"}')],
      [{ ':event-type': 'PayloadChunk', ':content-type': 'application/octet-stream', ':message-type': 'event', 'ünïcode': 'välue' }, Buffer.alloc(70_000, 7)],
      [{}, Buffer.alloc(0)],
    ];
    for (const [headers, body] of cases) {
      const ours = encodeMessage(headers, body);
      const theirs = codec.encode({ headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { type: 'string' as const, value: v }])), body });
      expect(Buffer.from(theirs).equals(ours)).toBe(true);
      const decoded = codec.decode(ours);
      expect(Buffer.from(decoded.body).equals(body)).toBe(true);
      expect(Object.fromEntries(Object.entries(decoded.headers).map(([k, v]) => [k, v.value]))).toEqual(headers);
    }
    expect(codec.decode(encodeEvent('PayloadChunk', Buffer.from('x'), 'application/octet-stream')).headers[':event-type']?.value).toBe('PayloadChunk');
  });

  it('a corrupted byte fails the codec\'s CRC check', () => {
    const message = encodeMessage({ ':event-type': 'PayloadChunk' }, Buffer.from('payload'));
    message.writeUInt8(message.readUInt8(message.length - 6) ^ 1, message.length - 6);
    expect(() => codec.decode(message)).toThrow(/checksum/i);
  });
});
