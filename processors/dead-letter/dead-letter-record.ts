/**
 * The value of a record on the dead-letter topic (`topics.deadLetter`, default `quintet.dead-letter`):
 * JSON, format `quintet.dead-letter.v1`, documented in docs/pii-vault.md ("Dead letters").
 *
 * The original payload may hold raw PII (it was rejected before pseudonymization), so it is encrypted:
 * AES-256-GCM under a key derived from a master key of the vault ring,
 *   key = HKDF-SHA256(masterKey[kid], salt = "", info = "quintet.dead-letter.v1", 32 bytes),
 * with the record's metadata (JCS of reason, stage, source, time) as associated data, so the payload
 * cannot be moved to another record. The metadata itself carries no value from the payload.
 * Payloads are not covered by erasure (no per-subject key): the topic's bounded retention
 * (`topics.deadLetterRetentionMs`, default 14 days) bounds how long they exist.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { QuintetError } from '../../core/errors.js';
import type { DeadLetter } from '../../core/result.js';
import { canonicalJson } from '../chain/canonical-json.js';
import type { MasterKeyRing } from '../pseudonymization/vault-crypto.js';

export const DEAD_LETTER_FORMAT = 'quintet.dead-letter.v1';

export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface DeadLetterRecord {
  readonly format: typeof DEAD_LETTER_FORMAT;
  /** Stable reason code, e.g. `SCHEMA_INVALID`. */
  readonly reason: string;
  /** Stage that rejected the record, e.g. `adapt`, `validate`, `pseudonymize`, `chain`. */
  readonly stage: string;
  /** PII-free explanation. */
  readonly message: string;
  /** JSON path of the offending field, never its value. */
  readonly path?: string;
  readonly source: DeadLetterSource;
  /** ISO-8601 UTC time of rejection. */
  readonly time: string;
  readonly payload: {
    readonly alg: 'A256GCM-HKDF-SHA256';
    /** Master key id the payload key was derived from. */
    readonly kid: string;
    /** base64 of iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes). */
    readonly ciphertext: string;
    readonly bytes: number;
  };
}

const payloadKey = (ring: MasterKeyRing, kid: string): Buffer => Buffer.from(hkdfSync('sha256', ring.key(kid), Buffer.alloc(0), DEAD_LETTER_FORMAT, 32));

const associatedData = (record: Pick<DeadLetterRecord, 'reason' | 'stage' | 'source' | 'time'>): Buffer =>
  Buffer.from(canonicalJson({ reason: record.reason, stage: record.stage, source: record.source, time: record.time }), 'utf8');

export function encodeDeadLetter(ring: MasterKeyRing, rejection: DeadLetter, source: DeadLetterSource, payload: Buffer, time: Date): DeadLetterRecord {
  const meta = { reason: rejection.code, stage: rejection.stage, source: { ...source }, time: time.toISOString() };
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', payloadKey(ring, ring.activeKeyId), iv);
  cipher.setAAD(associatedData(meta));
  const sealed = Buffer.concat([iv, cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
  return {
    format: DEAD_LETTER_FORMAT,
    ...meta,
    message: rejection.message,
    ...(rejection.path === undefined ? {} : { path: rejection.path }),
    payload: { alg: 'A256GCM-HKDF-SHA256', kid: ring.activeKeyId, ciphertext: sealed.toString('base64'), bytes: payload.length },
  };
}

export const serializeDeadLetter = (record: DeadLetterRecord): Buffer => Buffer.from(JSON.stringify(record), 'utf8');

/** Parses a dead-letter value; undefined if it is not one (the topic may hold foreign records). */
export function decodeDeadLetter(value: Buffer | string | null): DeadLetterRecord | undefined {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  const r = parsed as Partial<DeadLetterRecord> | null;
  if (r === null || typeof r !== 'object' || r.format !== DEAD_LETTER_FORMAT || typeof r.reason !== 'string' || typeof r.stage !== 'string') return undefined;
  if (typeof r.payload?.ciphertext !== 'string' || typeof r.payload.kid !== 'string' || typeof r.source?.topic !== 'string') return undefined;
  return r as DeadLetterRecord;
}

/** The original payload (for `quintet dlq replay` and authorised inspection). */
export function decryptDeadLetterPayload(ring: MasterKeyRing, record: DeadLetterRecord): Buffer {
  const sealed = Buffer.from(record.payload.ciphertext, 'base64');
  if (sealed.length < 28) throw new QuintetError('DEAD_LETTER_INVALID', 'dead-letter payload is too short');
  const decipher = createDecipheriv('aes-256-gcm', payloadKey(ring, record.payload.kid), sealed.subarray(0, 12));
  decipher.setAAD(associatedData(record));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
  } catch (cause) {
    throw new QuintetError('DEAD_LETTER_INVALID', 'dead-letter payload failed authentication', { cause });
  }
}

export interface DeadLetterSummary {
  readonly total: number;
  readonly unreadable: number;
  /** Counts by (stage, reason), most frequent first. */
  readonly reasons: readonly { readonly stage: string; readonly reason: string; readonly count: number; readonly first: string; readonly last: string }[];
}

/** Counts for `quintet dlq inspect`. */
export class DeadLetterTally {
  #total = 0;
  #unreadable = 0;
  readonly #reasons = new Map<string, { stage: string; reason: string; count: number; first: string; last: string }>();

  add(value: Buffer | string | null): void {
    this.#total += 1;
    const record = decodeDeadLetter(value);
    if (record === undefined) {
      this.#unreadable += 1;
      return;
    }
    const key = `${record.stage}\u0000${record.reason}`;
    const entry = this.#reasons.get(key);
    if (entry === undefined) this.#reasons.set(key, { stage: record.stage, reason: record.reason, count: 1, first: record.time, last: record.time });
    else {
      entry.count += 1;
      if (record.time < entry.first) entry.first = record.time;
      if (record.time > entry.last) entry.last = record.time;
    }
  }

  summary(): DeadLetterSummary {
    return {
      total: this.#total,
      unreadable: this.#unreadable,
      reasons: [...this.#reasons.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    };
  }
}
