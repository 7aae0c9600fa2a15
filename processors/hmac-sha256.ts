/**
 * HMAC-SHA256 (RFC 2104) for the ingest hot path (chain hash, vault field ids and lookup hashes), as two
 * one-shot SHA-256 calls:
 *
 *   HMAC(K, m) = SHA-256((K0 ⊕ opad) ‖ SHA-256((K0 ⊕ ipad) ‖ m))
 *
 * where K0 is K (or SHA-256(K) when K is longer than the 64-byte block) padded with zeros to 64 bytes.
 * createHmac builds a Hmac object (JavaScript and native, with the key prepared as a KeyObject) and
 * crosses into C++ three times per MAC; crypto.hash (Node ≥ 20.12) crosses once per hash and allocates
 * nothing but its output. Same bytes as createHmac; on a Node without crypto.hash, createHmac is used.
 */
import * as nodeCrypto from 'node:crypto';
import { secretKeyObject } from './secret-keys.js';

const BLOCK = 64;
const DIGEST = 32;
const IPAD = 0x36;
const OPAD = 0x5c;

type Encoding = 'hex' | 'latin1';
type OneShot = (algorithm: string, data: Uint8Array, outputEncoding: Encoding) => string;
/** Node ≥ 20.12 / 21.7; undefined before (the package allows any Node 20). */
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;

/** `K0 ⊕ opad ‖ inner digest`: the outer hash's whole input, rewritten for every MAC. */
const outer = Buffer.allocUnsafe(BLOCK + DIGEST);

/**
 * HMAC-SHA256(key, buffer[BLOCK, end)) of a message that the caller wrote after a reserved first block
 * of `buffer`: that block is overwritten with `K0 ⊕ ipad`, so the message is hashed where it lies. The
 * pads are written afresh for every MAC (64 XORs each): cheaper than looking them up, and most vault
 * data keys are used for a handful of MACs only. Digests are taken as strings (latin1: one character per
 * byte), never as Buffers: a Buffer made by the native side is an ArrayBuffer of its own, which cost
 * more than the hash of the chain's 700-byte message.
 */
function macInPlace(key: Buffer, buffer: Buffer, end: number, encoding: Encoding): string {
  const hash = oneShot as OneShot;
  let k0: Uint8Array = key;
  if (key.length > BLOCK) {
    // RFC 2104: a key longer than the block is hashed first (rare: configured keys are 16-64 bytes).
    k0 = Buffer.from(hash('sha256', key, 'latin1'), 'latin1');
  }
  const length = k0.length;
  for (let i = 0; i < length; i++) {
    const byte = k0[i] as number;
    buffer[i] = byte ^ IPAD;
    outer[i] = byte ^ OPAD;
  }
  if (length < BLOCK) {
    buffer.fill(IPAD, length, BLOCK);
    outer.fill(OPAD, length, BLOCK);
  }
  outer.write(hash('sha256', new Uint8Array(buffer.buffer, buffer.byteOffset, end), 'latin1'), BLOCK, 'latin1');
  return hash('sha256', outer, encoding);
}

/** Bytes reserved before a message for `hmacSha256HexAfterBlock` (one SHA-256 block). */
export const HMAC_PREFIX_BYTES = BLOCK;

/**
 * Lower-case hex HMAC-SHA256(key, buffer[HMAC_PREFIX_BYTES, end)). The first HMAC_PREFIX_BYTES of `buffer`
 * are scratch space: the caller lays its message out after them and must not rely on them afterwards.
 */
export function hmacSha256HexAfterBlock(key: Buffer, buffer: Buffer, end: number): string {
  if (oneShot === undefined) return nodeCrypto.createHmac('sha256', secretKeyObject(key)).update(buffer.subarray(BLOCK, end)).digest('hex');
  return macInPlace(key, buffer, end, 'hex');
}

/** Message scratch for text messages (inner pad ‖ UTF-8 text); grows for long texts, kept up to KEPT_SCRATCH_BYTES. */
let scratch = Buffer.allocUnsafe(BLOCK + 1024);
const KEPT_SCRATCH_BYTES = BLOCK + 64 * 1024;

function macOfText(key: Buffer, text: string, encoding: Encoding): string {
  if (oneShot === undefined) return nodeCrypto.createHmac('sha256', secretKeyObject(key)).update(text, 'utf8').digest().toString(encoding);
  let buffer = scratch;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: only near the limit is the exact length needed.
  if (buffer.length < BLOCK + 3 * text.length) {
    const needed = BLOCK + Buffer.byteLength(text, 'utf8');
    if (buffer.length < needed) {
      buffer = Buffer.allocUnsafe(needed);
      if (needed <= KEPT_SCRATCH_BYTES) scratch = buffer;
    }
  }
  return macInPlace(key, buffer, BLOCK + buffer.write(text, BLOCK, 'utf8'), encoding);
}

/** HMAC-SHA256(key, UTF-8 of `text`) as a 32-character latin1 string: character i is byte i of the digest. */
export function hmacSha256Latin1(key: Buffer, text: string): string {
  return macOfText(key, text, 'latin1');
}

/** Lower-case hex HMAC-SHA256(key, UTF-8 of `text`). */
export function hmacSha256Hex(key: Buffer, text: string): string {
  return macOfText(key, text, 'hex');
}
