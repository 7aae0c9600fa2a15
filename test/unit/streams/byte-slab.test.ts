import { describe, expect, it } from 'vitest';
import { copiedBytes, utf8Bytes } from '../../../streams/byte-slab.js';

const TEXTS = ['', 'a', 'plain ascii text', 'é', '日本語', '😀 emoji', 'lone \ud800 high', 'lone \udc00 low', 'end \ud83d', '\u0000\u007f\u0080\u07ff\u0800\uffff', 'x'.repeat(8191), 'é'.repeat(4097), '日'.repeat(3000), 'y'.repeat(70_000)];

describe('byte slab', () => {
  it('gives exactly the bytes of Buffer.from(text, "utf8"), slices that stay intact as the slab fills and is replaced', () => {
    const made: [Buffer, Buffer][] = [];
    // Enough values to fill several slabs, so values land at slab ends and on fresh slabs.
    for (let i = 0; i < 2_000; i++) {
      const text = `${TEXTS[i % TEXTS.length] as string}#${i}`;
      made.push([utf8Bytes(text), Buffer.from(text, 'utf8')]);
    }
    for (const [actual, expected] of made) expect(actual.equals(expected)).toBe(true);
  });

  it('copies byte ranges exactly, independent of the source', () => {
    const source = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
    const made: [Buffer, Buffer][] = [];
    for (let i = 0; i < 1_000; i++) {
      const start = (i * 37) % 1_000;
      const end = start + ((i * 997) % (i % 50 === 0 ? 39_000 : 3_000));
      made.push([copiedBytes(source, start, end), Buffer.from(source.subarray(start, end))]);
    }
    source.fill(0);
    for (const [actual, expected] of made) expect(actual.equals(expected)).toBe(true);
  });
});
