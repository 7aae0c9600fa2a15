import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readInt64BE, Serdes, WindowedSerdes, writeInt64BE } from '../../../streams/index.js';

describe('serdes', () => {
  it('writes 64-bit integers exactly like BigInt64 big-endian, for every safe integer', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const ours = Buffer.alloc(8);
        writeInt64BE(ours, n, 0);
        const reference = Buffer.alloc(8);
        reference.writeBigInt64BE(BigInt(n));
        expect(ours.equals(reference)).toBe(true);
        expect(readInt64BE(reference, 0)).toBe(n);
      }),
    );
  });

  it('Long matches Kafka LongSerde bytes and null stays null', () => {
    expect(Serdes.Long().serialize('t', 258, {})?.toString('hex')).toBe('0000000000000102');
    expect(Serdes.Long().serialize('t', -1, {})?.toString('hex')).toBe('ffffffffffffffff');
    expect(Serdes.Long().deserialize('t', null, {})).toBeNull();
  });

  it('string, json and bytes round-trip and keep null as a tombstone', () => {
    const json = Serdes.Json<{ a: number[] }>();
    expect(json.deserialize('t', json.serialize('t', { a: [1, 2] }, {}), {})).toEqual({ a: [1, 2] });
    expect(json.serialize('t', null as unknown as { a: number[] }, {})).toBeNull();
    expect(Serdes.String().deserialize('t', Serdes.String().serialize('t', 'été', {}), {})).toBe('été');
    const bytes = Buffer.from([1, 2, 3]);
    expect(Serdes.Bytes().deserialize('t', Serdes.Bytes().serialize('t', bytes, {}), {})).toBe(bytes);
  });

  it('windowed keys round-trip through the binary and the JSON windowed serdes', () => {
    const key = { key: 'user-1', window: { start: 1_764_320_000_000, end: 1_764_320_060_000 } };
    const binary = WindowedSerdes.timeWindowed(Serdes.String());
    expect(binary.deserialize('t', binary.serialize('t', key, {}) as Buffer, {})).toEqual(key);
    const json = WindowedSerdes.json<string>();
    expect(JSON.parse(json.serialize('t', key, {})?.toString() ?? '')).toEqual({ key: 'user-1', start: key.window.start, end: key.window.end });
    expect(json.deserialize('t', json.serialize('t', key, {}), {})).toEqual(key);
  });
});
