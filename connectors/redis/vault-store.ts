/**
 * The PII vault on Redis (Kafka mode). Key layout: connectors/redis/keys.ts ("PII vault"). Every batched
 * method is one pipelined round trip; every multi-key change is one Lua script, so it is atomic against
 * other processors (two ingest instances meeting the same new subject converge on one pseudonym).
 *
 * The two keys of one subject (entry and record) are not hash-tagged into one slot: this store targets a
 * single Redis (or a primary with replicas), not Redis Cluster.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { QuintetError } from '../../core/errors.js';
import type { VaultClaim, VaultEntry, VaultFieldWrite, VaultRecord, VaultStore } from '../../processors/pseudonymization/vault-store.js';
import { DEFAULT_KEY_PREFIX, vaultRecordKey, vaultSubjectKey, vaultSubjectPattern } from './keys.js';

/** KEYS: subject, candidate record. ARGV: pseudonym, wrapped key, lookup hash, encrypted subject. */
const CLAIM = `
local current = redis.call('HMGET', KEYS[1], 'ps', 'dk')
if current[1] then return current end
redis.call('HSET', KEYS[1], 'ps', ARGV[1], 'dk', ARGV[2])
redis.call('HSET', KEYS[2], 'lh', ARGV[3], 'sid', ARGV[4])
return {ARGV[1], ARGV[2]}
`;

/** KEYS: record. ARGV: field id, ciphertext, ... Writes only into a record that still exists. */
const PUT_FIELDS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if #ARGV > 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 1
`;

/** KEYS: subject, record. ARGV: pseudonym. Deletes the record, and the subject entry if it still points to it. */
const ERASE = `
local removed = redis.call('DEL', KEYS[2])
if redis.call('HGET', KEYS[1], 'ps') == ARGV[1] then removed = removed + redis.call('DEL', KEYS[1]) end
return removed
`;

/** KEYS: subject. ARGV: expected wrapped key, replacement. */
const REPLACE_KEY = `
if redis.call('HGET', KEYS[1], 'dk') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'dk', ARGV[2])
  return 1
end
return 0
`;

interface VaultCommands {
  quintetVaultClaim(subject: string, record: string, ...args: string[]): Promise<[string, string]>;
  quintetVaultPutFields(record: string, ...args: string[]): Promise<number>;
  quintetVaultErase(subject: string, record: string, pseudonym: string): Promise<number>;
  quintetVaultReplaceKey(subject: string, expected: string, replacement: string): Promise<number>;
}

type PipelineCommands = { [K in keyof VaultCommands]: (...args: Parameters<VaultCommands[K]>) => ChainableCommander };

/** Unwraps `exec()` results, turning the first command error into a QuintetError. */
function results(replies: [Error | null, unknown][] | null): unknown[] {
  if (replies === null) throw new QuintetError('VAULT_STORE_FAILED', 'Redis pipeline was aborted');
  return replies.map(([error, value]) => {
    if (error !== null) throw new QuintetError('VAULT_STORE_FAILED', `Redis vault command failed: ${error.message}`, { cause: error });
    return value;
  });
}

export interface RedisVaultStoreOptions {
  /** Key prefix (default `quintet`); tests use a random one. */
  readonly prefix?: string;
  /** SCAN COUNT hint for `entries()`. */
  readonly scanCount?: number;
}

export class RedisVaultStore implements VaultStore {
  readonly #redis: Redis & VaultCommands;
  readonly #prefix: string;
  readonly #scanCount: number;

  /** The client stays the caller's: `close()` does not quit it. */
  constructor(redis: Redis, options: RedisVaultStoreOptions = {}) {
    this.#prefix = options.prefix ?? DEFAULT_KEY_PREFIX;
    this.#scanCount = options.scanCount ?? 500;
    // defineCommand is idempotent per client; ioredis sends EVALSHA and falls back to EVAL on NOSCRIPT.
    redis.defineCommand('quintetVaultClaim', { numberOfKeys: 2, lua: CLAIM });
    redis.defineCommand('quintetVaultPutFields', { numberOfKeys: 1, lua: PUT_FIELDS });
    redis.defineCommand('quintetVaultErase', { numberOfKeys: 2, lua: ERASE });
    redis.defineCommand('quintetVaultReplaceKey', { numberOfKeys: 1, lua: REPLACE_KEY });
    this.#redis = redis as Redis & VaultCommands;
  }

  #pipeline(): ChainableCommander & PipelineCommands {
    return this.#redis.pipeline() as ChainableCommander & PipelineCommands;
  }

  async resolveOrClaim(claims: readonly VaultClaim[]): Promise<VaultEntry[]> {
    if (claims.length === 0) return [];
    const pipeline = this.#pipeline();
    for (const c of claims) {
      pipeline.quintetVaultClaim(
        vaultSubjectKey(this.#prefix, c.lookupHash),
        vaultRecordKey(this.#prefix, c.pseudonym),
        c.pseudonym,
        c.wrappedKey,
        c.lookupHash,
        c.encryptedSubject,
      );
    }
    return results(await pipeline.exec()).map((reply) => {
      const [pseudonym, wrappedKey] = reply as [string, string];
      return { pseudonym, wrappedKey };
    });
  }

  async lookup(lookupHashes: readonly string[]): Promise<(VaultEntry | undefined)[]> {
    if (lookupHashes.length === 0) return [];
    const pipeline = this.#pipeline();
    for (const hash of lookupHashes) pipeline.hmget(vaultSubjectKey(this.#prefix, hash), 'ps', 'dk');
    return results(await pipeline.exec()).map((reply) => {
      const [pseudonym, wrappedKey] = reply as [string | null, string | null];
      return pseudonym === null || wrappedKey === null ? undefined : { pseudonym, wrappedKey };
    });
  }

  async putFields(writes: readonly VaultFieldWrite[]): Promise<boolean[]> {
    if (writes.length === 0) return [];
    const pipeline = this.#pipeline();
    for (const write of writes) {
      pipeline.quintetVaultPutFields(vaultRecordKey(this.#prefix, write.pseudonym), ...Object.entries(write.fields).flatMap(([id, c]) => [`f:${id}`, c]));
    }
    return results(await pipeline.exec()).map((reply) => reply === 1);
  }

  async getRecord(pseudonym: string): Promise<VaultRecord | undefined> {
    const record = await this.#redis.hgetall(vaultRecordKey(this.#prefix, pseudonym));
    const lookupHash = record.lh;
    const encryptedSubject = record.sid;
    if (lookupHash === undefined || encryptedSubject === undefined) return undefined;
    const [ps, wrappedKey] = await this.#redis.hmget(vaultSubjectKey(this.#prefix, lookupHash), 'ps', 'dk');
    if (ps !== pseudonym || wrappedKey === null || wrappedKey === undefined) return undefined;
    const fields = new Map<string, string>();
    for (const [name, value] of Object.entries(record)) if (name.startsWith('f:')) fields.set(name.slice(2), value);
    return { lookupHash, wrappedKey, encryptedSubject, fields };
  }

  async eraseSubject(lookupHash: string): Promise<string | undefined> {
    const subject = vaultSubjectKey(this.#prefix, lookupHash);
    const pseudonym = await this.#redis.hget(subject, 'ps');
    if (pseudonym === null) return undefined;
    await this.#redis.quintetVaultErase(subject, vaultRecordKey(this.#prefix, pseudonym), pseudonym);
    return pseudonym;
  }

  async erasePseudonym(pseudonym: string): Promise<boolean> {
    const record = vaultRecordKey(this.#prefix, pseudonym);
    const lookupHash = await this.#redis.hget(record, 'lh');
    if (lookupHash === null) return false;
    return (await this.#redis.quintetVaultErase(vaultSubjectKey(this.#prefix, lookupHash), record, pseudonym)) > 0;
  }

  async replaceWrappedKey(lookupHash: string, expected: string, replacement: string): Promise<boolean> {
    return (await this.#redis.quintetVaultReplaceKey(vaultSubjectKey(this.#prefix, lookupHash), expected, replacement)) === 1;
  }

  async *entries(): AsyncIterable<readonly (VaultEntry & { readonly lookupHash: string })[]> {
    const keyStart = vaultSubjectKey(this.#prefix, '').length;
    // SCAN may return a key more than once (when the keyspace is rehashed between calls, e.g. while
    // other clients write): the contract is each entry once, so keys already seen are skipped. One
    // string per subject for the length of the scan, which only maintenance (rewrap) runs.
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, scanned] = await this.#redis.scan(cursor, 'MATCH', vaultSubjectPattern(this.#prefix), 'COUNT', this.#scanCount);
      cursor = next;
      const keys = scanned.filter((key) => !seen.has(key));
      for (const key of keys) seen.add(key);
      if (keys.length === 0) continue;
      const pipeline = this.#pipeline();
      for (const key of keys) pipeline.hmget(key, 'ps', 'dk');
      const page: (VaultEntry & { lookupHash: string })[] = [];
      results(await pipeline.exec()).forEach((reply, i) => {
        const [pseudonym, wrappedKey] = reply as [string | null, string | null];
        if (pseudonym !== null && wrappedKey !== null) page.push({ lookupHash: (keys[i] as string).slice(keyStart), pseudonym, wrappedKey });
      });
      if (page.length > 0) yield page;
    } while (cursor !== '0');
  }

  async close(): Promise<void> {}
}
