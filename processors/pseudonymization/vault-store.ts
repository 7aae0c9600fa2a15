/**
 * The storage contract of the PII vault. A store only ever sees lookup hashes, pseudonyms and ciphertext:
 * all cryptography happens in PiiVault, so the Redis store (Kafka mode) and the in-memory store (embedded
 * mode) hold the same opaque strings and obey one contract test suite.
 *
 * Batched methods take a whole consumed batch and must cost one round trip to a remote store.
 */

/** A candidate entry for a subject seen for the first time. */
export interface VaultClaim {
  readonly lookupHash: string;
  readonly pseudonym: string;
  /** The candidate data key, wrapped by the master key ring (bound to `pseudonym`). */
  readonly wrappedKey: string;
  /** The subject's identifier encrypted under the candidate data key (for authorised re-identification). */
  readonly encryptedSubject: string;
}

/** A subject's current pseudonym and wrapped data key. */
export interface VaultEntry {
  readonly pseudonym: string;
  readonly wrappedKey: string;
}

export interface VaultRecord {
  readonly lookupHash: string;
  readonly wrappedKey: string;
  readonly encryptedSubject: string;
  /** Field id → ciphertext. */
  readonly fields: ReadonlyMap<string, string>;
}

export interface VaultFieldWrite {
  readonly pseudonym: string;
  /** Field id → ciphertext. */
  readonly fields: Readonly<Record<string, string>>;
}

export interface VaultStore {
  /**
   * For each claim, atomically: if the subject already has an entry, return it unchanged; otherwise store
   * the claim and return it. Two processes claiming the same new subject at once get the same answer.
   */
  resolveOrClaim(claims: readonly VaultClaim[]): Promise<VaultEntry[]>;
  /** Current entries, without creating any. */
  lookup(lookupHashes: readonly string[]): Promise<(VaultEntry | undefined)[]>;
  /**
   * Adds encrypted fields to existing records. Returns, per write, whether the record still existed;
   * `false` means the subject was erased meanwhile and nothing was written (no orphan ciphertext).
   */
  putFields(writes: readonly VaultFieldWrite[]): Promise<boolean[]>;
  /** A record with its subject's wrapped key, or undefined once erased. */
  getRecord(pseudonym: string): Promise<VaultRecord | undefined>;
  /** Atomically deletes the subject's entry (its wrapped data key) and record; returns the pseudonym erased. */
  eraseSubject(lookupHash: string): Promise<string | undefined>;
  /** The same, starting from a pseudonym; returns whether anything was erased. */
  erasePseudonym(pseudonym: string): Promise<boolean>;
  /** Compare-and-set of a subject's wrapped key (master-key rewrapping); false if it changed or vanished. */
  replaceWrappedKey(lookupHash: string, expected: string, replacement: string): Promise<boolean>;
  /** Every current entry once, in pages (order unspecified; entries erased or added meanwhile may or may not appear). */
  entries(): AsyncIterable<readonly (VaultEntry & { readonly lookupHash: string })[]>;
  close(): Promise<void>;
}
