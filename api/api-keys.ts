/**
 * API keys for the HTTP API. A key is shown once at creation (`qk_<id>_<secret>`); only a SHA-256
 * hash of its secret is stored. Keys are random (256 bits), so a fast hash is enough; comparison is
 * constant-time. Each key has scopes and optionally a subject it is bound to (a `read` key that an
 * app hands to one user for their own feed only).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { QuintetError } from '../core/errors.js';

export const API_SCOPES = ['ingest', 'read', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  /** Hex SHA-256 of the secret part. */
  readonly secretHash: string;
  readonly scopes: readonly ApiScope[];
  /** When set, `read` only grants access to this subject's feed and notifications. */
  readonly subject?: string;
  /** Ingest rate limit in events per second (undefined: the server default). */
  readonly ingestPerSecond?: number;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface ApiKeyStore {
  put(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
}

const KEY_PATTERN = /^qk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export interface CreatedApiKey {
  /** The full key, shown once. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export class ApiKeys {
  constructor(private readonly store: ApiKeyStore) {}

  async create(options: { name: string; scopes: readonly ApiScope[]; subject?: string; ingestPerSecond?: number }): Promise<CreatedApiKey> {
    if (options.scopes.length === 0) throw new QuintetError('API_KEY_SCOPES_REQUIRED', 'an API key needs at least one scope');
    for (const scope of options.scopes) {
      if (!API_SCOPES.includes(scope)) throw new QuintetError('API_KEY_SCOPE_UNKNOWN', `unknown scope "${scope}" (known: ${API_SCOPES.join(', ')})`);
    }
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      id,
      name: options.name,
      secretHash: hashSecret(secret),
      scopes: [...new Set(options.scopes)],
      ...(options.subject === undefined ? {} : { subject: options.subject }),
      ...(options.ingestPerSecond === undefined ? {} : { ingestPerSecond: options.ingestPerSecond }),
      createdAt: new Date().toISOString(),
    };
    await this.store.put(record);
    return { key: `qk_${id}_${secret}`, record };
  }

  async revoke(id: string): Promise<boolean> {
    const record = await this.store.get(id);
    if (record === undefined || record.revokedAt !== undefined) return false;
    await this.store.put({ ...record, revokedAt: new Date().toISOString() });
    return true;
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.list();
  }

  /** The record of a valid, unrevoked key, or undefined. Never says which part was wrong. */
  async authenticate(presented: string): Promise<ApiKeyRecord | undefined> {
    const match = KEY_PATTERN.exec(presented);
    if (match === null) return undefined;
    const record = await this.store.get(match[1] as string);
    // Hash even when the id is unknown, so that timing does not reveal which ids exist.
    const presentedHash = Buffer.from(hashSecret(match[2] as string), 'hex');
    const storedHash = Buffer.from(record?.secretHash ?? '0'.repeat(64), 'hex');
    const equal = presentedHash.length === storedHash.length && timingSafeEqual(presentedHash, storedHash);
    if (record === undefined || !equal || record.revokedAt !== undefined) return undefined;
    return record;
  }
}

/** In-process key store (tests, and the demo which creates its keys at start). */
export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #records = new Map<string, ApiKeyRecord>();
  async put(record: ApiKeyRecord): Promise<void> {
    this.#records.set(record.id, record);
  }
  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#records.get(id);
  }
  async list(): Promise<ApiKeyRecord[]> {
    return [...this.#records.values()];
  }
}

/** Keys in a JSON file (hashes only), written atomically; used by `quintet keys` and `quintet run api`. */
export class FileApiKeyStore implements ApiKeyStore {
  constructor(private readonly path: string) {}

  #read(): ApiKeyRecord[] {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as ApiKeyRecord[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new QuintetError('API_KEY_FILE_UNREADABLE', `API key file ${this.path} cannot be read`, { cause: error });
    }
  }

  async put(record: ApiKeyRecord): Promise<void> {
    const records = this.#read().filter((r) => r.id !== record.id);
    records.push(record);
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.path);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    return this.#read().find((r) => r.id === id);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return this.#read();
  }
}
