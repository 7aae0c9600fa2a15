/**
 * The embedded (no services) twin of the Redis vault store: same contract, same opaque strings, kept in
 * memory. Node runs one callback at a time, so each method is atomic as the contract requires.
 */
import type { VaultClaim, VaultEntry, VaultFieldWrite, VaultRecord, VaultStore } from '../../processors/pseudonymization/vault-store.js';

interface SubjectEntry {
  pseudonym: string;
  wrappedKey: string;
}

interface RecordEntry {
  lookupHash: string;
  encryptedSubject: string;
  fields: Map<string, string>;
}

/**
 * Everything the store holds, as JSON-able data (the embedded mode keeps it in its data folder). Only
 * keyed hashes, pseudonyms and ciphertext, like the store itself: an erased subject is simply absent.
 */
export interface MemoryVaultSnapshot {
  /** [lookup hash, pseudonym, wrapped data key] */
  readonly subjects: readonly (readonly [string, string, string])[];
  /** [pseudonym, lookup hash, encrypted subject, [field id, ciphertext][]] */
  readonly records: readonly (readonly [string, string, string, readonly (readonly [string, string])[]])[];
}

export class MemoryVaultStore implements VaultStore {
  readonly #subjects = new Map<string, SubjectEntry>();
  readonly #records = new Map<string, RecordEntry>();
  readonly #pageSize: number;

  constructor(options: { pageSize?: number; snapshot?: MemoryVaultSnapshot } = {}) {
    this.#pageSize = options.pageSize ?? 500;
    for (const [lookupHash, pseudonym, wrappedKey] of options.snapshot?.subjects ?? []) this.#subjects.set(lookupHash, { pseudonym, wrappedKey });
    for (const [pseudonym, lookupHash, encryptedSubject, fields] of options.snapshot?.records ?? []) {
      this.#records.set(pseudonym, { lookupHash, encryptedSubject, fields: new Map(fields) });
    }
  }

  /** The whole store as data; `new MemoryVaultStore({ snapshot })` gives it back. */
  snapshot(): MemoryVaultSnapshot {
    return {
      subjects: [...this.#subjects].map(([hash, entry]) => [hash, entry.pseudonym, entry.wrappedKey] as const),
      records: [...this.#records].map(([pseudonym, record]) => [pseudonym, record.lookupHash, record.encryptedSubject, [...record.fields]] as const),
    };
  }

  async resolveOrClaim(claims: readonly VaultClaim[]): Promise<VaultEntry[]> {
    return claims.map((claim) => {
      const existing = this.#subjects.get(claim.lookupHash);
      if (existing !== undefined) return { ...existing };
      this.#subjects.set(claim.lookupHash, { pseudonym: claim.pseudonym, wrappedKey: claim.wrappedKey });
      this.#records.set(claim.pseudonym, { lookupHash: claim.lookupHash, encryptedSubject: claim.encryptedSubject, fields: new Map() });
      return { pseudonym: claim.pseudonym, wrappedKey: claim.wrappedKey };
    });
  }

  async lookup(lookupHashes: readonly string[]): Promise<(VaultEntry | undefined)[]> {
    return lookupHashes.map((hash) => {
      const entry = this.#subjects.get(hash);
      return entry === undefined ? undefined : { ...entry };
    });
  }

  async putFields(writes: readonly VaultFieldWrite[]): Promise<boolean[]> {
    return writes.map((write) => {
      const record = this.#records.get(write.pseudonym);
      if (record === undefined) return false;
      for (const [id, ciphertext] of Object.entries(write.fields)) record.fields.set(id, ciphertext);
      return true;
    });
  }

  async getRecord(pseudonym: string): Promise<VaultRecord | undefined> {
    const record = this.#records.get(pseudonym);
    if (record === undefined) return undefined;
    const subject = this.#subjects.get(record.lookupHash);
    if (subject === undefined || subject.pseudonym !== pseudonym) return undefined;
    return { lookupHash: record.lookupHash, wrappedKey: subject.wrappedKey, encryptedSubject: record.encryptedSubject, fields: new Map(record.fields) };
  }

  async eraseSubject(lookupHash: string): Promise<string | undefined> {
    const subject = this.#subjects.get(lookupHash);
    if (subject === undefined) return undefined;
    this.#subjects.delete(lookupHash);
    this.#records.delete(subject.pseudonym);
    return subject.pseudonym;
  }

  async erasePseudonym(pseudonym: string): Promise<boolean> {
    const record = this.#records.get(pseudonym);
    if (record === undefined) return false;
    this.#records.delete(pseudonym);
    if (this.#subjects.get(record.lookupHash)?.pseudonym === pseudonym) this.#subjects.delete(record.lookupHash);
    return true;
  }

  async replaceWrappedKey(lookupHash: string, expected: string, replacement: string): Promise<boolean> {
    const subject = this.#subjects.get(lookupHash);
    if (subject === undefined || subject.wrappedKey !== expected) return false;
    subject.wrappedKey = replacement;
    return true;
  }

  async *entries(): AsyncIterable<readonly (VaultEntry & { readonly lookupHash: string })[]> {
    const all = [...this.#subjects].map(([lookupHash, entry]) => ({ lookupHash, ...entry }));
    for (let i = 0; i < all.length; i += this.#pageSize) yield all.slice(i, i + this.#pageSize);
  }

  /** Every stored key and value as text, to audit that nothing in the store is raw PII. */
  dump(): string[] {
    const out: string[] = [];
    for (const [hash, entry] of this.#subjects) out.push(hash, entry.pseudonym, entry.wrappedKey);
    for (const [pseudonym, record] of this.#records) out.push(pseudonym, record.lookupHash, record.encryptedSubject, ...[...record.fields].flat());
    return out;
  }

  /** Number of subjects (for metrics and tests). */
  get size(): number {
    return this.#subjects.size;
  }

  async close(): Promise<void> {}
}
