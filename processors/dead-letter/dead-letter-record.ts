/**
 * Dead letters of the ingest topology on `topics.deadLetter` (default `quintet.dead-letter`), documented
 * in docs/pii-vault.md ("Dead letters"). The streams runtime writes the record (streams/dead-letter.ts):
 * the reason travels in its `quintet.dlq.*` headers (code, stage, message, path, node, task, source
 * topic/partition/offset, timestamp); this module supplies the VALUE, through the runtime's
 * `deadLetterPayload` hook, because the original key and value may hold raw PII (they were rejected
 * before pseudonymization):
 *
 *   {"format":"quintet.dead-letter.v1","source":{"topic","partition","offset"},"time":ISO-8601,
 *    "key":SEALED|null,"value":SEALED|null}
 *   SEALED = {"alg":"A256GCM-HKDF-SHA256","kid":<master key id>,"ciphertext":base64(iv ‖ ct ‖ tag),"bytes":n}
 *
 * key = HKDF-SHA256(masterKey[kid], salt = "", info = "quintet.dead-letter.v1", 32 bytes); the associated
 * data is JCS({part: "key"|"value", source}), so a sealed payload cannot be moved to another record.
 * Payloads are not covered by erasure (no per-subject key): the topic's bounded retention
 * (`topics.deadLetterRetentionMs`, default 14 days) bounds how long they exist.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { QuintetError } from '../../core/errors.js';
import type { Headers } from '../../streams/processor.js';
import type { ConsumedRecord } from '../../streams/records.js';
import { readDeadLetterHeaders, type DeadLetterPayload } from '../../streams/dead-letter.js';
import { canonicalJson } from '../chain/canonical-json.js';
import type { MasterKeyRing } from '../pseudonymization/vault-crypto.js';

export const DEAD_LETTER_FORMAT = 'quintet.dead-letter.v1';

export interface DeadLetterSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface SealedPayload {
  readonly alg: 'A256GCM-HKDF-SHA256';
  readonly kid: string;
  readonly ciphertext: string;
  readonly bytes: number;
}

/** The JSON value of a dead-letter record. */
export interface DeadLetterValue {
  readonly format: typeof DEAD_LETTER_FORMAT;
  readonly source: DeadLetterSource;
  /** ISO-8601 UTC time of rejection. */
  readonly time: string;
  readonly key: SealedPayload | null;
  readonly value: SealedPayload | null;
}

/** Headers and value together, as `quintet dlq inspect` shows them. */
export interface DeadLetterRecord extends DeadLetterValue {
  /** Stable reason code, e.g. `SCHEMA_INVALID`. */
  readonly reason: string;
  /** Stage that rejected the record, e.g. `adapt`, `validate`, `pseudonymize`, `chain`. */
  readonly stage: string;
  /** PII-free explanation. */
  readonly message: string;
  /** JSON path of the offending field, never its value. */
  readonly path?: string;
}

/** Derived once per ring and key id: a flood of bad input must not cost an HKDF per dead letter. */
const payloadKeys = new WeakMap<MasterKeyRing, Map<string, Buffer>>();
function payloadKey(ring: MasterKeyRing, kid: string): Buffer {
  let keys = payloadKeys.get(ring);
  if (keys === undefined) payloadKeys.set(ring, (keys = new Map()));
  let key = keys.get(kid);
  if (key === undefined) {
    key = Buffer.from(hkdfSync('sha256', ring.key(kid), Buffer.alloc(0), DEAD_LETTER_FORMAT, 32));
    keys.set(kid, key);
  }
  return key;
}

const aad = (part: 'key' | 'value', source: DeadLetterSource): Buffer =>
  Buffer.from(canonicalJson({ part, source: { topic: source.topic, partition: source.partition, offset: source.offset } }), 'utf8');

function seal(ring: MasterKeyRing, part: 'key' | 'value', source: DeadLetterSource, plaintext: Buffer | null): SealedPayload | null {
  if (plaintext === null) return null;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', payloadKey(ring, ring.activeKeyId), iv);
  cipher.setAAD(aad(part, source));
  const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { alg: 'A256GCM-HKDF-SHA256', kid: ring.activeKeyId, ciphertext: sealed.toString('base64'), bytes: plaintext.length };
}

function open(ring: MasterKeyRing, part: 'key' | 'value', source: DeadLetterSource, sealed: SealedPayload | null): Buffer | null {
  if (sealed === null) return null;
  const bytes = Buffer.from(sealed.ciphertext, 'base64');
  if (bytes.length < 28) throw new QuintetError('DEAD_LETTER_INVALID', 'dead-letter payload is too short');
  const decipher = createDecipheriv('aes-256-gcm', payloadKey(ring, sealed.kid), bytes.subarray(0, 12));
  decipher.setAAD(aad(part, source));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  } catch (cause) {
    throw new QuintetError('DEAD_LETTER_INVALID', 'dead-letter payload failed authentication', { cause });
  }
}

/** The dead-letter value of one rejected input record. */
export function sealDeadLetter(ring: MasterKeyRing, input: Pick<ConsumedRecord, 'topic' | 'partition' | 'offset' | 'key' | 'value'>, time: Date): DeadLetterValue {
  const source = { topic: input.topic, partition: input.partition, offset: input.offset };
  return { format: DEAD_LETTER_FORMAT, source, time: time.toISOString(), key: seal(ring, 'key', source, input.key), value: seal(ring, 'value', source, input.value) };
}

/** The runtime hook (`deadLetterPayload` of the engine and the test driver) that encrypts every dead letter. */
export function encryptingDeadLetterPayload(ring: MasterKeyRing, clock: () => number = Date.now): DeadLetterPayload {
  return (input) => ({ key: null, value: Buffer.from(JSON.stringify(sealDeadLetter(ring, input, new Date(clock()))), 'utf8') });
}

/** Reads a dead letter from its headers and value; undefined if it is not one of ours. */
export function decodeDeadLetter(value: Buffer | string | null, headers: Headers = {}): DeadLetterRecord | undefined {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  const v = parsed as Partial<DeadLetterValue> | null;
  if (v === null || typeof v !== 'object' || v.format !== DEAD_LETTER_FORMAT || typeof v.source?.topic !== 'string' || typeof v.time !== 'string') return undefined;
  const reason = readDeadLetterHeaders(headers);
  return {
    ...(v as DeadLetterValue),
    key: v.key ?? null,
    value: v.value ?? null,
    reason: reason.code ?? 'UNKNOWN',
    stage: reason.stage ?? 'unknown',
    message: reason.message ?? '',
    ...(reason.path === undefined ? {} : { path: reason.path }),
  };
}

/** The original key and value (for `quintet dlq replay` and authorised inspection). */
export function unsealDeadLetter(ring: MasterKeyRing, record: DeadLetterValue): { key: Buffer | null; value: Buffer | null } {
  return { key: open(ring, 'key', record.source, record.key), value: open(ring, 'value', record.source, record.value) };
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

  add(value: Buffer | string | null, headers: Headers = {}): void {
    this.#total += 1;
    const record = decodeDeadLetter(value, headers);
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
