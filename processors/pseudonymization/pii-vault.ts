/**
 * The PII vault: the only place raw personal data lives after ingestion (design Part 8.2).
 *
 * - Each subject gets a random pseudonym on first sight, stable until erasure; after erasure a returning
 *   subject gets a new one. Creation is an atomic claim in the store, so concurrent processors converge.
 * - PII values are AES-256-GCM encrypted under the subject's data key; the data key is wrapped by the
 *   master key ring (see vault-crypto.ts). Stores only ever see lookup hashes, pseudonyms and ciphertext.
 * - `erase` deletes the wrapped data key, the lookup entry and the record (crypto-shredding): what the
 *   immutable log still holds (pseudonym, tokens) then points to nothing.
 * - Lookups are batched (`resolveMany`: one pipelined lookup for all misses of a batch, plus one atomic
 *   claim round trip only when the batch holds subjects the store does not know yet) and cached in a
 *   bounded LRU. The cache is invalidated by this instance's erasures; entries written by another
 *   instance's erasure can survive here for at most `cacheTtlMs` (the documented staleness bound).
 */
import type { QuintetConfig } from '../../core/config.js';
import { QuintetError } from '../../core/errors.js';
import { LruCache } from './lru-cache.js';
import {
  decryptValue,
  encryptValue,
  fieldIdOf,
  lookupHash,
  lookupKeyFromConfig,
  MasterKeyRing,
  newDataKey,
  newPseudonym,
  SUBJECT_KINDS,
  subjectKey,
  unwrapDataKey,
  wrapDataKey,
  wrappingKeyId,
  type SubjectRef,
} from './vault-crypto.js';
import type { VaultClaim, VaultStore } from './vault-store.js';

/** A resolved subject: its pseudonym and (unwrapped, in memory only) data key. */
export interface SubjectHandle {
  readonly pseudonym: string;
  readonly dataKey: Buffer;
}

/** A protected value this vault has seen for a subject: its field id and the token that replaces it. */
interface KnownValue {
  readonly id: string;
  readonly token: string;
}

/**
 * A subject in the cache, and the handle `resolveMany` gives out for it: `protect` finds what it
 * remembers about the subject's values on the handle itself, without building a cache key, a
 * `path 0x00 value` string or a token for a value it has seen (most values repeat: the same user agent
 * all day). What it remembers belongs to this pseudonym and data key, so a handle outliving its cache
 * entry (expired, or erased meanwhile) still gives the right ids; its writes after an erasure are
 * discarded by the store, as anyone's are.
 */
class CachedSubject implements SubjectHandle {
  readonly pseudonym: string;
  readonly dataKey: Buffer;
  /** The cache key (kind and identifier, memory only): to drop the entry if the record vanished. */
  readonly key: string;
  /** Field ids already stored, so repeated values are not rewritten. */
  readonly stored = new Set<string>();
  /** path → value → field id and token, at most `storedFieldsPerSubject` values in all. */
  readonly known = new Map<string, Map<string, KnownValue>>();
  knownCount = 0;

  constructor(key: string, pseudonym: string, dataKey: Buffer) {
    this.key = key;
    this.pseudonym = pseudonym;
    this.dataKey = dataKey;
  }
}

export interface PiiVaultOptions {
  readonly masterKeys: MasterKeyRing;
  readonly lookupKey: Buffer;
  /** Most subjects kept in the cache (default 100 000). */
  readonly cacheSize?: number;
  /** How long a cached pseudonym is trusted (default 60 s): bounds staleness after another instance's erasure. */
  readonly cacheTtlMs?: number;
  /** Most field ids remembered per cached subject (default 64). */
  readonly storedFieldsPerSubject?: number;
  readonly now?: () => number;
}

export interface VaultStats {
  readonly hits: number;
  readonly misses: number;
  readonly hitRate: number;
  readonly created: number;
  readonly fieldsWritten: number;
  readonly fieldWritesSkipped: number;
  /** Subjects in the cache now (bounded by the capacity and, as new ones arrive, by the time to live). */
  readonly cachedSubjects: number;
}

export interface RevealedValue {
  readonly fieldId: string;
  readonly path: string;
  readonly value: string;
}

export interface RevealedSubject {
  readonly subject: SubjectRef;
  readonly values: readonly RevealedValue[];
}

/** A token that replaces a PII value in the log: `pii:<pseudonym>:<fieldId>`. */
export const piiToken = (pseudonym: string, id: string): string => `pii:${pseudonym}:${id}`;
export const PII_TOKEN_PATTERN = /^pii:(ps_[a-z2-7]{26}):([a-z2-7]{20})$/;

export class PiiVault {
  readonly #store: VaultStore;
  readonly #ring: MasterKeyRing;
  readonly #lookupKey: Buffer;
  readonly #cache: LruCache<string, CachedSubject>;
  readonly #storedPerSubject: number;
  /** Pending encrypted writes: pseudonym → field id → ciphertext. */
  #pending = new Map<string, Record<string, string>>();
  /** The cached subject (or the cache key) of each pending pseudonym: marked stored after the write, dropped if the record vanished. */
  #pendingSubjects = new Map<string, CachedSubject | string>();
  /** Flushes in flight: a flush also waits for them, so that concurrent tasks sharing the vault never see a value as stored before it is. */
  #inflight = new Set<Promise<unknown>>();
  #hits = 0;
  #misses = 0;
  #created = 0;
  #fieldsWritten = 0;
  #fieldWritesSkipped = 0;

  constructor(store: VaultStore, options: PiiVaultOptions) {
    this.#store = store;
    this.#ring = options.masterKeys;
    this.#lookupKey = options.lookupKey;
    this.#cache = new LruCache(options.cacheSize ?? 100_000, { ttlMs: options.cacheTtlMs ?? 60_000, ...(options.now ? { now: options.now } : {}) });
    this.#storedPerSubject = options.storedFieldsPerSubject ?? 64;
  }

  static fromConfig(store: VaultStore, config: QuintetConfig, options: Partial<PiiVaultOptions> = {}): PiiVault {
    return new PiiVault(store, {
      masterKeys: MasterKeyRing.fromConfig(config.secrets.masterKeys),
      lookupKey: lookupKeyFromConfig(config.secrets.lookupKey),
      ...options,
    });
  }

  /**
   * Pseudonym and data key of every subject, creating them for new subjects. Cache misses cost one
   * pipelined store round trip in total. Result keyed by `subjectKey(subject)`.
   */
  async resolveMany(subjects: readonly SubjectRef[]): Promise<Map<string, SubjectHandle>> {
    return this.#resolveKeyed(subjects, subjects.map(subjectKey));
  }

  /** resolveMany with each subject's key already made (`keys[i]` is `subjectKey(subjects[i])`). */
  async #resolveKeyed(subjects: readonly SubjectRef[], keys: readonly string[]): Promise<Map<string, SubjectHandle>> {
    const resolved = new Map<string, SubjectHandle>();
    const missing = new Map<string, SubjectRef>();
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[i] as SubjectRef;
      const key = keys[i] as string;
      if (resolved.has(key) || missing.has(key)) continue;
      const cached = this.#cache.get(key);
      if (cached !== undefined) {
        this.#hits += 1;
        resolved.set(key, cached);
      } else {
        this.#misses += 1;
        missing.set(key, subject);
      }
    }
    if (missing.size === 0) return resolved;

    // Most misses are subjects the store already knows (evicted from, or never in, this cache): one
    // pipelined lookup finds them. Only subjects still unknown get a ready-made candidate, so that
    // "exists?" and "create" are one atomic claim (a second round trip, only for new subjects).
    const pending = [...missing];
    const hashes = pending.map(([, subject]) => lookupHash(this.#lookupKey, subject));
    const found = await this.#store.lookup(hashes);
    const candidates: { key: string; claim: VaultClaim; dataKey: Buffer }[] = [];
    found.forEach((entry, i) => {
      const [key, subject] = pending[i] as [string, SubjectRef];
      if (entry !== undefined) {
        const handle = new CachedSubject(key, entry.pseudonym, unwrapDataKey(this.#ring, entry.wrappedKey, entry.pseudonym));
        this.#cache.set(key, handle);
        resolved.set(key, handle);
        return;
      }
      const pseudonym = newPseudonym();
      const dataKey = newDataKey();
      candidates.push({
        key,
        dataKey,
        claim: {
          // The same hash the lookup used (an HMAC per new subject less).
          lookupHash: hashes[i] as string,
          pseudonym,
          wrappedKey: wrapDataKey(this.#ring, dataKey, pseudonym),
          encryptedSubject: encryptValue(dataKey, JSON.stringify([subject.kind, subject.id]), pseudonym, 'sid'),
        },
      });
    });
    if (candidates.length === 0) return resolved;
    const entries = await this.#store.resolveOrClaim(candidates.map((c) => c.claim));
    entries.forEach((entry, i) => {
      const candidate = candidates[i] as (typeof candidates)[number];
      const won = entry.pseudonym === candidate.claim.pseudonym;
      if (won) this.#created += 1;
      const handle = new CachedSubject(candidate.key, entry.pseudonym, won ? candidate.dataKey : unwrapDataKey(this.#ring, entry.wrappedKey, entry.pseudonym));
      this.#cache.set(candidate.key, handle);
      resolved.set(candidate.key, handle);
    });
    return resolved;
  }

  /** resolveMany, as an array aligned with `subjects` (repeated subjects share a handle). */
  async resolveEach(subjects: readonly SubjectRef[]): Promise<SubjectHandle[]> {
    const keys: string[] = [];
    for (let i = 0; i < subjects.length; i++) keys.push(subjectKey(subjects[i] as SubjectRef));
    const resolved = await this.#resolveKeyed(subjects, keys);
    const out: SubjectHandle[] = [];
    for (let i = 0; i < keys.length; i++) out.push(resolved.get(keys[i] as string) as SubjectHandle);
    return out;
  }

  async resolve(subject: SubjectRef): Promise<SubjectHandle> {
    return (await this.resolveMany([subject])).get(subjectKey(subject)) as SubjectHandle;
  }

  /** The subject's current pseudonym, without creating one. */
  async lookup(subject: SubjectRef): Promise<string | undefined> {
    const [entry] = await this.#store.lookup([lookupHash(this.#lookupKey, subject)]);
    return entry?.pseudonym;
  }

  /**
   * Encrypts one PII value of a resolved subject and returns the token that replaces it in the event.
   * The ciphertext is queued; `flush()` stores every queued value in one round trip and must complete
   * before the event carrying the token is committed.
   */
  protect(subject: SubjectRef, handle: SubjectHandle, path: string, value: string): string {
    if (!(handle instanceof CachedSubject)) {
      // A handle made elsewhere: nothing remembered, the value is queued unless already pending.
      const id = fieldIdOf(handle.dataKey, `${path}\u0000${value}`);
      this.#queue(handle, subjectKey(subject), id, path, value);
      return piiToken(handle.pseudonym, id);
    }
    let values = handle.known.get(path);
    let known = values?.get(value);
    if (known === undefined) {
      const id = fieldIdOf(handle.dataKey, `${path}\u0000${value}`);
      known = { id, token: piiToken(handle.pseudonym, id) };
      if (handle.knownCount < this.#storedPerSubject) {
        if (values === undefined) handle.known.set(path, (values = new Map()));
        values.set(value, known);
        handle.knownCount += 1;
      }
    }
    if (handle.stored.has(known.id)) {
      this.#fieldWritesSkipped += 1;
      return known.token;
    }
    this.#queue(handle, handle, known.id, path, value);
    return known.token;
  }

  /** Encrypts a value into the pending writes of its subject, once per field id. */
  #queue(handle: SubjectHandle, owner: CachedSubject | string, id: string, path: string, value: string): void {
    let fields = this.#pending.get(handle.pseudonym);
    if (fields === undefined) {
      // Without a prototype the object starts as a dictionary: every field id is a new random key, and
      // adding one to a `{}` built a new hidden class each time (~1.4 µs per value, measured).
      fields = Object.create(null) as Record<string, string>;
      this.#pending.set(handle.pseudonym, fields);
      this.#pendingSubjects.set(handle.pseudonym, owner);
    }
    if (fields[id] === undefined) fields[id] = encryptValue(handle.dataKey, JSON.stringify([path, value]), handle.pseudonym, id);
  }

  /**
   * Stores every queued value (one round trip). Values of a subject erased meanwhile are not written
   * (their tokens point to nothing, as after any erasure) and its cache entry is dropped.
   */
  async flush(): Promise<{ written: number; discarded: number }> {
    const others = [...this.#inflight];
    if (this.#pending.size === 0) {
      await Promise.all(others);
      return { written: 0, discarded: 0 };
    }
    const own = this.#write();
    this.#inflight.add(own);
    try {
      const [result] = await Promise.all([own, ...others]);
      return result;
    } finally {
      this.#inflight.delete(own);
    }
  }

  async #write(): Promise<{ written: number; discarded: number }> {
    const pending = this.#pending;
    const subjects = this.#pendingSubjects;
    this.#pending = new Map();
    this.#pendingSubjects = new Map();
    const writes = [...pending].map(([pseudonym, fields]) => ({ pseudonym, fields }));
    const stored = await this.#store.putFields(writes);
    let written = 0;
    let discarded = 0;
    stored.forEach((ok, i) => {
      const write = writes[i] as (typeof writes)[number];
      const owner = subjects.get(write.pseudonym) as CachedSubject | string;
      const count = Object.keys(write.fields).length;
      if (!ok) {
        discarded += count;
        // Only if the entry is still the subject that vanished (not a new pseudonym cached meanwhile).
        const key = typeof owner === 'string' ? owner : owner.key;
        if (typeof owner === 'string' || this.#cache.peek(key) === owner) this.#cache.delete(key);
        return;
      }
      written += count;
      if (typeof owner === 'string') return;
      for (const id of Object.keys(write.fields)) if (owner.stored.size < this.#storedPerSubject) owner.stored.add(id);
    });
    this.#fieldsWritten += written;
    return { written, discarded };
  }

  /** Authorised re-identification: the subject and every stored value behind a pseudonym, or undefined once erased. */
  async reveal(pseudonym: string): Promise<RevealedSubject | undefined> {
    const record = await this.#store.getRecord(pseudonym);
    if (record === undefined) return undefined;
    const dataKey = unwrapDataKey(this.#ring, record.wrappedKey, pseudonym);
    const [kind, id] = JSON.parse(decryptValue(dataKey, record.encryptedSubject, pseudonym, 'sid')) as [SubjectRef['kind'], string];
    const values: RevealedValue[] = [];
    for (const [fid, ciphertext] of record.fields) {
      const [path, value] = JSON.parse(decryptValue(dataKey, ciphertext, pseudonym, fid)) as [string, string];
      values.push({ fieldId: fid, path, value });
    }
    return { subject: { kind, id }, values };
  }

  /** Crypto-shreds one subject; returns the pseudonym(s) erased (empty if it had none). */
  async erase(subject: SubjectRef): Promise<string[]> {
    this.#cache.delete(subjectKey(subject));
    const pseudonym = await this.#store.eraseSubject(lookupHash(this.#lookupKey, subject));
    return pseudonym === undefined ? [] : [pseudonym];
  }

  /** The keyed hash under which the store indexes a subject (safe to put in an erasure request). */
  lookupHashOf(subject: SubjectRef): string {
    return lookupHash(this.#lookupKey, subject);
  }

  /**
   * Crypto-shreds the subjects behind lookup hashes (erasure requests carry hashes, never identifiers).
   * The cache is keyed by identifier, which a hash cannot be mapped back to, so it is cleared.
   */
  async eraseLookupHashes(hashes: readonly string[]): Promise<string[]> {
    const erased: string[] = [];
    for (const hash of hashes) {
      const pseudonym = await this.#store.eraseSubject(hash);
      if (pseudonym !== undefined) erased.push(pseudonym);
    }
    if (hashes.length > 0) this.#cache.clear();
    return erased;
  }

  /** Crypto-shreds an identifier under every subject kind (a user id and an anonymous id alike). */
  async eraseIdentifier(id: string): Promise<string[]> {
    const erased: string[] = [];
    for (const kind of SUBJECT_KINDS) erased.push(...(await this.erase({ kind, id })));
    return erased;
  }

  /** Crypto-shreds by pseudonym (when only the log's pseudonym is known). */
  async erasePseudonym(pseudonym: string): Promise<boolean> {
    // The cache is keyed by subject; a pseudonym's entry is found by scanning, which is rare and bounded.
    const erased = await this.#store.erasePseudonym(pseudonym);
    this.#cache.clear();
    return erased;
  }

  /**
   * Re-wraps every data key not wrapped by the active master key (after a rotation), so that the old
   * master key can later be removed from the ring. Compare-and-set: a key changed meanwhile is skipped.
   */
  async rewrap(): Promise<{ scanned: number; rewrapped: number }> {
    let scanned = 0;
    let rewrapped = 0;
    for await (const page of this.#store.entries()) {
      for (const entry of page) {
        scanned += 1;
        if (wrappingKeyId(entry.wrappedKey) === this.#ring.activeKeyId) continue;
        const dataKey = unwrapDataKey(this.#ring, entry.wrappedKey, entry.pseudonym);
        if (await this.#store.replaceWrappedKey(entry.lookupHash, entry.wrappedKey, wrapDataKey(this.#ring, dataKey, entry.pseudonym))) rewrapped += 1;
      }
    }
    return { scanned, rewrapped };
  }

  stats(): VaultStats {
    const lookups = this.#hits + this.#misses;
    return {
      hits: this.#hits,
      misses: this.#misses,
      hitRate: lookups === 0 ? 0 : this.#hits / lookups,
      created: this.#created,
      fieldsWritten: this.#fieldsWritten,
      fieldWritesSkipped: this.#fieldWritesSkipped,
      cachedSubjects: this.#cache.size,
    };
  }

  /** Pending values not yet flushed (must be 0 before a commit). */
  get pendingWrites(): number {
    let count = 0;
    for (const fields of this.#pending.values()) count += Object.keys(fields).length;
    return count;
  }

  async close(): Promise<void> {
    if (this.#pending.size > 0) throw new QuintetError('VAULT_UNFLUSHED', 'PiiVault closed with unflushed values');
    await this.#store.close();
  }
}
