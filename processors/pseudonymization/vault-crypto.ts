/**
 * The cryptography of the PII vault, kept apart from storage so that both stores (Redis, in-memory) hold
 * exactly the same opaque strings.
 *
 * - A subject's lookup hash is HMAC-SHA256(lookupKey, "quintet.vault.lookup.v1" 0x00 kind 0x00 id), hex:
 *   stores are indexed by it, so no raw identifier is ever a key.
 * - Each subject has a random 256-bit data key. PII values are AES-256-GCM encrypted under it.
 * - Data keys are wrapped (AES-256-GCM) by the active master key; the wrapped form names the master key id,
 *   so old data keeps unwrapping after rotation and `rewrap` can move it to the new key.
 * - Every ciphertext is bound to where it belongs through GCM's associated data (pseudonym, field id), so a
 *   ciphertext copied to another subject or field fails to decrypt instead of silently lying.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import type { KeyRing, Secret } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { hmacSha256Hex, hmacSha256Latin1 } from '../hmac-sha256.js';

const IV_BYTES = 12;

/**
 * Random bytes from a pooled CSPRNG buffer: a new subject needs five small random values (pseudonym,
 * data key, IVs) and one 4 KiB fill is much cheaper than five separate calls into the RNG.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = POOL_BYTES;
export function randomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomFillSync(Buffer.alloc(size));
  if (poolOffset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  // A copy, so no two users ever share (or see) the same bytes.
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + size));
  pool.fill(0, poolOffset, poolOffset + size);
  poolOffset += size;
  return out;
}
const TAG_BYTES = 16;
const FORMAT = 'v1';

/** The master keys as bytes: the active one wraps new data keys, all of them unwrap. */
export class MasterKeyRing {
  readonly activeKeyId: string;
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(activeKeyId: string, keys: ReadonlyMap<string, Buffer>) {
    for (const [id, key] of keys) {
      if (key.length !== 32) throw new QuintetError('VAULT_KEY_INVALID', `master key ${id} must be 32 bytes`, { details: { keyId: id } });
    }
    if (!keys.has(activeKeyId)) throw new QuintetError('VAULT_KEY_INVALID', `active master key ${activeKeyId} is not in the ring`);
    this.activeKeyId = activeKeyId;
    this.#keys = keys;
  }

  static fromConfig(ring: KeyRing | undefined): MasterKeyRing {
    if (ring === undefined) {
      throw new QuintetError('VAULT_NOT_CONFIGURED', 'the PII vault needs secrets.masterKeys (QUINTET_MASTER_KEYS)');
    }
    return new MasterKeyRing(ring.activeKeyId, new Map([...ring.keys].map(([id, secret]) => [id, Buffer.from(secret.reveal(), 'base64')])));
  }

  key(keyId: string): Buffer {
    const key = this.#keys.get(keyId);
    if (key === undefined) throw new QuintetError('VAULT_KEY_UNKNOWN', `no master key with id ${keyId} in the ring`, { details: { keyId } });
    return key;
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }
}

const seal = (key: Buffer, plaintext: Buffer | string, aad: string): Buffer => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([iv, body, last, cipher.getAuthTag()]);
};

const open = (key: Buffer, sealed: Buffer, aad: string): Buffer => {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new QuintetError('VAULT_CIPHERTEXT_INVALID', 'vault ciphertext is too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new QuintetError('VAULT_CIPHERTEXT_INVALID', 'vault ciphertext failed authentication', { cause });
  }
};

/** `v1.<masterKeyId>.<base64url(iv ‖ ciphertext ‖ tag)>`; the associated data is the pseudonym. */
export function wrapDataKey(ring: MasterKeyRing, dataKey: Buffer, pseudonym: string): string {
  return `${FORMAT}.${ring.activeKeyId}.${seal(ring.key(ring.activeKeyId), dataKey, `dk:${pseudonym}`).toString('base64url')}`;
}

/** Master key id a wrapped data key was wrapped with. */
export function wrappingKeyId(wrapped: string): string {
  const [format, keyId] = wrapped.split('.');
  if (format !== FORMAT || keyId === undefined) throw new QuintetError('VAULT_CIPHERTEXT_INVALID', 'wrapped data key has an unknown format');
  return keyId;
}

export function unwrapDataKey(ring: MasterKeyRing, wrapped: string, pseudonym: string): Buffer {
  const [format, keyId, body] = wrapped.split('.');
  if (format !== FORMAT || keyId === undefined || body === undefined) {
    throw new QuintetError('VAULT_CIPHERTEXT_INVALID', 'wrapped data key has an unknown format');
  }
  return ownedCopy(open(ring.key(keyId), Buffer.from(body, 'base64url'), `dk:${pseudonym}`));
}

/**
 * A copy in memory of its own. Small Buffers (`Buffer.from`, `Buffer.concat`, cipher output) are slices
 * of Node's shared 8 KiB allocation pool, and a slice keeps its whole pool block alive: a data key held
 * in the vault's cache for a minute would keep 8 KiB per subject, not 32 bytes.
 */
function ownedCopy(bytes: Buffer): Buffer {
  const owned = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(owned);
  return owned;
}

/** Encrypts one value under a subject's data key, bound to (pseudonym, field id). */
export function encryptValue(dataKey: Buffer, plaintext: string, pseudonym: string, fieldId: string): string {
  return `${FORMAT}.${seal(dataKey, plaintext, `f:${pseudonym}:${fieldId}`).toString('base64url')}`;
}

export function decryptValue(dataKey: Buffer, ciphertext: string, pseudonym: string, fieldId: string): string {
  const [format, body] = ciphertext.split('.');
  if (format !== FORMAT || body === undefined) throw new QuintetError('VAULT_CIPHERTEXT_INVALID', 'vault value has an unknown format');
  return open(dataKey, Buffer.from(body, 'base64url'), `f:${pseudonym}:${fieldId}`).toString('utf8');
}

/** The kinds of subject the vault knows; the kind is part of the identity (user `42` ≠ anonymous `42`). */
export const SUBJECT_KINDS = ['user', 'anonymous'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];

export interface SubjectRef {
  readonly kind: SubjectKind;
  readonly id: string;
}

/** Stable in-process key of a subject (used by caches; never stored or logged). */
export const subjectKey = (subject: SubjectRef): string => `${subject.kind}\u0000${subject.id}`;

/** Keyed hash of a subject: the only form in which an identifier reaches a store. */
export function lookupHash(lookupKey: Buffer, subject: SubjectRef): string {
  return hmacSha256Hex(lookupKey, `quintet.vault.lookup.v1\u0000${subject.kind}\u0000${subject.id}`);
}

export function lookupKeyFromConfig(secret: Secret | undefined): Buffer {
  if (secret === undefined) throw new QuintetError('VAULT_NOT_CONFIGURED', 'the PII vault needs secrets.lookupKey (QUINTET_LOOKUP_KEY)');
  const key = Buffer.from(secret.reveal(), 'utf8');
  if (key.length < 16) throw new QuintetError('VAULT_KEY_INVALID', 'secrets.lookupKey must be at least 16 bytes');
  return key;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * RFC 4648 base32, lower case, no padding. The digits are written to a byte buffer and read back as one
 * string: appending them one by one built a new string per digit (20 for every field id).
 */
export function base32(bytes: Buffer): string {
  const length = Math.ceil((bytes.length * 8) / 5);
  const out = length <= BASE32_SCRATCH.length ? BASE32_SCRATCH : Buffer.allocUnsafe(length);
  let at = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = (buffer << 8) | (bytes[i] as number);
    bits += 8;
    while (bits >= 5) {
      out[at++] = BASE32_CODES[(buffer >>> (bits - 5)) & 31] as number;
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out[at++] = BASE32_CODES[(buffer << (5 - bits)) & 31] as number;
  return out.toString('latin1', 0, at);
}
const BASE32_CODES = Buffer.from(BASE32, 'latin1');
const BASE32_SCRATCH = Buffer.allocUnsafe(64);

/** `ps_` + 128 random bits in base32 (26 characters): unrelated to the identifier, so not reversible. */
export const newPseudonym = (): string => `ps_${base32(randomBytes(16))}`;

export const PSEUDONYM_PATTERN = /^ps_[a-z2-7]{26}$/;

/** In memory of its own (not a slice of Node's pool): it lives in the vault's cache. */
export const newDataKey = (): Buffer => ownedCopy(randomBytes(32));

/**
 * Id of one PII value of a subject: HMAC-SHA256(dataKey, path 0x00 value), first 12 bytes in base32.
 * Keyed by the subject's own data key, so the id dies with the key: after erasure the tokens left in the
 * log cannot even be used to confirm a guessed value. Equal values of one subject share an id (deduplication).
 */
export function fieldId(dataKey: Buffer, path: string, value: string): string {
  return fieldIdOf(dataKey, `${path}\u0000${value}`);
}

/** The first 12 bytes of a field id's HMAC, rewritten for each id. */
const FIELD_ID_BYTES = Buffer.allocUnsafe(12);

/** fieldId of the already joined `path 0x00 value`. */
export function fieldIdOf(dataKey: Buffer, pathAndValue: string): string {
  // The digest comes as a latin1 string (no Buffer allocated for it); its first 12 bytes are the id.
  FIELD_ID_BYTES.write(hmacSha256Latin1(dataKey, pathAndValue), 0, FIELD_ID_BYTES.length, 'latin1');
  return base32(FIELD_ID_BYTES);
}
