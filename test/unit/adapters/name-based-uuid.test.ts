import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameBasedUuid } from '../../../processors/adapters/name-based-uuid.js';

/** RFC 4122 §4.3 with node:crypto: the reference the JavaScript SHA-1 must match bit for bit. */
function reference(namespace: Uint8Array, name: string): string {
  const hash = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const namespace = Buffer.from('0f5a1d3e7c2b5e4a9b8d6c1f2e3a4b5c', 'hex');

describe('nameBasedUuid', () => {
  it('matches RFC 4122 appendix B (DNS namespace, "python.org")', () => {
    expect(nameBasedUuid(Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex'), 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('matches node:crypto at every length around the SHA-1 block boundaries', () => {
    for (let length = 0; length < 300; length++) {
      const name = 'x'.repeat(length);
      expect(nameBasedUuid(namespace, name), `length ${length}`).toBe(reference(namespace, name));
    }
  });

  it('matches node:crypto on non-ASCII names, lone surrogates, long names and other namespaces', () => {
    for (const name of ['é', 'segment:ünïcödé-😀', '\ud800', 'a\udc00b', '\u0000', 'k'.repeat(5000), '€'.repeat(2000)]) {
      expect(nameBasedUuid(namespace, name)).toBe(reference(namespace, name));
    }
    const other = randomBytes(16);
    expect(nameBasedUuid(other, 'segment:m-1')).toBe(reference(other, 'segment:m-1'));
  });

  it('matches node:crypto on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (name) => {
        expect(nameBasedUuid(namespace, name)).toBe(reference(namespace, name));
      }),
      { numRuns: 2000 },
    );
  });
});
