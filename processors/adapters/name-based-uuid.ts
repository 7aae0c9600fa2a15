/**
 * RFC 4122 §4.3 name-based (version 5, SHA-1) UUIDs, computed in JavaScript.
 *
 * Why not node:crypto: every canonical event whose source id is not a UUID gets one of these, and
 * names are short (namespace + `<format>:<id>`, one or two SHA-1 blocks). There, the native one-shot
 * hash costs more in its call, its Buffer and the hex formatting than the compression itself; this
 * version works on one reused word array and writes the digest's hex into one reused buffer. SHA-1 here only
 * derives ids (no security rests on it); test/unit/adapters/name-based-uuid.test.ts checks it bit for bit
 * against node:crypto.
 */

// Reused across calls (the code is synchronous): the message as bytes, then as big-endian words.
let bytes = new Uint8Array(1024);
let words = new Int32Array(256);
const schedule = new Int32Array(80);
const encoder = new TextEncoder();


/** The name-based UUID of `name` (UTF-8) in the namespace given as its 16 bytes. */
export function nameBasedUuid(namespace: Uint8Array, name: string): string {
  const nameMax = name.length * 3;
  // Message + 0x80 + 8 length bytes, rounded up to whole 64-byte blocks.
  const capacity = (((namespace.length + nameMax + 9 + 63) >>> 6) << 6) >>> 0;
  if (bytes.length < capacity) {
    bytes = new Uint8Array(capacity * 2);
    words = new Int32Array(capacity / 2);
  }
  bytes.set(namespace, 0);
  const length = namespace.length + encodeName(name, namespace.length);
  const blocks = (length + 9 + 63) >>> 6;
  const padded = blocks << 6;
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, padded);
  const bits = length * 8;
  // Names are far below 2^29 bytes: the high length word is 0.
  bytes[padded - 4] = bits >>> 24;
  bytes[padded - 3] = bits >>> 16;
  bytes[padded - 2] = bits >>> 8;
  bytes[padded - 1] = bits;
  for (let i = 0, w = 0; i < padded; i += 4, w++) words[w] = ((bytes[i] as number) << 24) | ((bytes[i + 1] as number) << 16) | ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);

  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let block = 0; block < blocks; block++) {
    const base = block << 4;
    for (let t = 0; t < 16; t++) schedule[t] = words[base + t] as number;
    for (let t = 16; t < 80; t++) {
      const x = (schedule[t - 3] as number) ^ (schedule[t - 8] as number) ^ (schedule[t - 14] as number) ^ (schedule[t - 16] as number);
      schedule[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    // The four quarters of 20 rounds, each with its own round function and constant (FIPS 180-4 §4.1.1,
    // §4.2.1): one loop per quarter, so no round chooses its function.
    let t = 0;
    for (; t < 20; t++) {
      const next = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 + (schedule[t] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    for (; t < 40; t++) {
      const next = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + (schedule[t] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    for (; t < 60; t++) {
      const next = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + (0x8f1bbcdc | 0) + (schedule[t] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    for (; t < 80; t++) {
      const next = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + (0xca62c1d6 | 0) + (schedule[t] as number)) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = next;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  // The first 16 digest bytes with the version (5) and variant (10xx) bits set.
  h1 = (h1 & ~0xf000) | 0x5000;
  h2 = (h2 & 0x3fffffff) | 0x80000000;
  writeHex(h0, 0, 8);
  writeHex(h1 >>> 16, 9, 4);
  writeHex(h1, 14, 4);
  writeHex(h2 >>> 16, 19, 4);
  writeHex(h2, 24, 4);
  writeHex(h3, 28, 8);
  // One flat string from the bytes: a template of 20 pieces would be a rope that every reader flattens.
  return uuidText.toString('latin1', 0, 36);
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const uuidText = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

/** The low `digits` hex digits of `word` at `at`, most significant first. */
function writeHex(word: number, at: number, digits: number): void {
  for (let i = at + digits - 1; i >= at; i--) {
    uuidText[i] = HEX_DIGITS[word & 15] as number;
    word >>>= 4;
  }
}

/** Writes `name` as UTF-8 at `offset`; ASCII (the usual id) without the encoder's call. */
function encodeName(name: string, offset: number): number {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(name, bytes.subarray(offset)).written;
    bytes[offset + i] = c;
  }
  return name.length;
}
