/**
 * Erasure (design Part 8.2, step 3) as records:
 *
 * - an **erasure request** on `topics.erasureRequests` (JSON, `quintet.erasure-request.v1`) names the
 *   subjects by their vault lookup hashes (never the raw identifier, which must not reach Kafka) and may
 *   list pseudonyms already shredded by the requester (`quintet erase` shreds at once, then publishes);
 * - the ingest topology consumes it, crypto-shreds the subjects (idempotent) and appends one chained
 *   `privacy.subject.erased` event to the canonical topic, carrying only pseudonyms, which the read
 *   models obey (processors/feeds/erasure.ts reads `entity.id` and `entity.details.pseudonyms`).
 */
import { randomUUID } from 'node:crypto';
import { CANONICAL_SPEC_VERSION, type CanonicalEvent } from '../../schemas/canonical-event.js';
import { PSEUDONYM_PATTERN } from './vault-crypto.js';

export const ERASURE_REQUEST_FORMAT = 'quintet.erasure-request.v1';
export const SUBJECT_ERASED_EVENT = 'privacy.subject.erased';
export const ERASURE_SOURCE = 'quintet://vault';

export interface ErasureRequest {
  readonly format: typeof ERASURE_REQUEST_FORMAT;
  readonly request_id: string;
  readonly requested_at: string;
  /** Lookup hashes (hex HMAC-SHA256 under `secrets.lookupKey`) of the subjects to erase. */
  readonly lookup_hashes: readonly string[];
  /** Pseudonyms the requester already shredded (reported in the audit event). */
  readonly pseudonyms: readonly string[];
}

export function erasureRequest(lookupHashes: readonly string[], pseudonyms: readonly string[], now: Date = new Date()): ErasureRequest {
  return { format: ERASURE_REQUEST_FORMAT, request_id: randomUUID(), requested_at: now.toISOString(), lookup_hashes: [...lookupHashes], pseudonyms: [...pseudonyms] };
}

const LOOKUP_HASH = /^[0-9a-f]{64}$/;

/** Parses a request value; undefined when malformed (the topology dead-letters it). */
export function parseErasureRequest(value: Buffer | string | null): ErasureRequest | undefined {
  if (value === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  const r = parsed as Partial<ErasureRequest> | null;
  if (r === null || typeof r !== 'object' || r.format !== ERASURE_REQUEST_FORMAT || typeof r.request_id !== 'string') return undefined;
  if (!Array.isArray(r.lookup_hashes) || !r.lookup_hashes.every((h) => typeof h === 'string' && LOOKUP_HASH.test(h))) return undefined;
  if (!Array.isArray(r.pseudonyms) || !r.pseudonyms.every((p) => typeof p === 'string' && PSEUDONYM_PATTERN.test(p))) return undefined;
  if (typeof r.requested_at !== 'string' || Number.isNaN(Date.parse(r.requested_at))) return undefined;
  return r as ErasureRequest;
}

/** The audit event of an erasure; undefined when nothing was erased (no pseudonym to name). */
export function subjectErasedEvent(request: ErasureRequest, erased: readonly string[], observedAt: Date): CanonicalEvent | undefined {
  const pseudonyms = [...new Set([...request.pseudonyms, ...erased])].sort();
  if (pseudonyms.length === 0) return undefined;
  return {
    id: randomUUID(),
    event_timestamp: new Date(request.requested_at).toISOString(),
    observed_timestamp: observedAt.toISOString(),
    source: ERASURE_SOURCE,
    spec_version: CANONICAL_SPEC_VERSION,
    action: { name: SUBJECT_ERASED_EVENT, type: 'system' },
    actor: { id: 'quintet-vault', type: 'system' },
    entity: { type: 'subject', id: pseudonyms[0] as string, details: { pseudonyms, request_id: request.request_id } },
    context: { status: 'SUCCESS' },
  };
}
