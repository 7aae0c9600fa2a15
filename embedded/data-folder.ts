/**
 * The embedded mode's data folder (`--data DIR`): what a restarted pipeline needs to carry on where the
 * last one stopped.
 *
 *   DIR/embedded-keys.json        generated keys (embedded/secrets.ts), mode 0600
 *   DIR/embedded-state.json       layout facts a restart must agree with (partition count)
 *   DIR/analytics.duckdb          the analytics store
 *   DIR/topics/<topic>.ndjson     the topics the pipeline produced (canonical log, checkpoints, dead
 *                                 letters), append-only, with their offsets: what Kafka would keep
 *   DIR/state/                    every topology's state stores (changelog files, see
 *                                 streams/state/changelog-file.ts): the ingest profile table keyed by
 *                                 pseudonym (allow-listed traits) and chain heads, the read models' stores
 *   DIR/sealed/<name>.json        the vault and the feed stores, AES-256-GCM-sealed under a key derived
 *                                 from the active master key, rewritten whole (temp file + rename)
 *
 * The vault's contents are ciphertext and keyed hashes already; sealing the snapshot on top keeps
 * pseudonyms, inboxes and notifications off the disk in clear too. Because a sealed snapshot is
 * rewritten whole, an erased subject is gone from the file after the next save (crypto-shredding of
 * its wrapped data key), not merely marked.
 *
 * The topic files hold what the Kafka topics hold: canonical events (pseudonymized, no raw PII),
 * signed checkpoints, and dead letters whose payloads are already encrypted.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuintetError } from '../core/errors.js';
import type { MasterKeyRing } from '../processors/pseudonymization/vault-crypto.js';
import { ChangelogFiles } from '../streams/state/changelog-file.js';
import type { RawTestRecord } from '../streams/test-driver.js';

const SEALED_FORMAT = 'quintet-embedded-sealed/1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface SealedFile {
  readonly format: string;
  readonly key_id: string;
  /** base64 of iv ‖ ciphertext ‖ tag */
  readonly sealed: string;
}

interface StoredRecord {
  readonly p: number;
  readonly o: string;
  readonly t: number;
  /** base64, or null */
  readonly k: string | null;
  readonly v: string | null;
  readonly h: Readonly<Record<string, string>>;
}

interface Layout {
  readonly partitions: number;
}

const sealingKey = (ring: MasterKeyRing, keyId: string): Buffer => Buffer.from(hkdfSync('sha256', ring.key(keyId), Buffer.alloc(0), SEALED_FORMAT, 32));

/** Topic names may hold characters a file name should not. */
const fileNameOf = (topic: string): string => topic.replace(/[^A-Za-z0-9._-]/g, '_');

function writeAtomically(path: string, data: string | Buffer, mode?: number): void {
  writeFileSync(`${path}.tmp`, data, mode === undefined ? {} : { mode });
  renameSync(`${path}.tmp`, path);
}

export class EmbeddedDataFolder {
  readonly directory: string;
  readonly #masterKeys: MasterKeyRing;

  constructor(directory: string, masterKeys: MasterKeyRing) {
    this.directory = directory;
    this.#masterKeys = masterKeys;
    // Owner-only: the folder holds pseudonyms, traits and the analytics store, which other local users
    // have no business reading (the keys and sealed snapshots are 0600 on top). A folder the user made
    // beforehand keeps its mode; the sub-folders are Quintet's own and are tightened if they exist.
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    for (const sub of ['topics', 'state', 'sealed']) {
      mkdirSync(join(directory, sub), { recursive: true, mode: 0o700 });
      chmodSync(join(directory, sub), 0o700);
    }
  }

  /** Where the topologies' drivers keep their changelog files. */
  get stateDirectory(): string {
    return join(this.directory, 'state');
  }

  /** The changelog files of one topology's stores: the very files its driver restores from and appends to. */
  stateChangelogs(applicationId: string): ChangelogFiles {
    return new ChangelogFiles(this.stateDirectory, applicationId);
  }

  /**
   * Records the layout on first use; afterwards refuses a different one (a changed partition count would
   * route keys to other chains and orphan the existing chain heads).
   */
  checkLayout(layout: Layout): void {
    const path = join(this.directory, 'embedded-state.json');
    if (!existsSync(path)) {
      writeAtomically(path, `${JSON.stringify(layout)}\n`);
      return;
    }
    const stored = this.#readJson<Layout>(path);
    if (stored.partitions !== layout.partitions) {
      throw new QuintetError(
        'EMBEDDED_DATA_MISMATCH',
        `${this.directory} was written with ${stored.partitions} partition(s), not ${layout.partitions}: use the same --partitions or another --data folder`,
      );
    }
  }

  /**
   * Every record kept for a topic, in the order written. A torn last line (a kill in the middle of an
   * append) is cut off the file, so that the next append starts on a line of its own.
   */
  loadTopic(topic: string): RawTestRecord[] {
    const path = join(this.directory, 'topics', `${fileNameOf(topic)}.ndjson`);
    if (!existsSync(path)) return [];
    const data = readFileSync(path);
    const complete = data.lastIndexOf(0x0a) + 1;
    if (complete < data.length) truncateSync(path, complete);
    const lines = data.subarray(0, complete).toString('utf8').split('\n');
    const records: RawTestRecord[] = [];
    for (const [index, line] of lines.entries()) {
      if (line === '') continue;
      let stored: StoredRecord;
      try {
        stored = JSON.parse(line) as StoredRecord;
      } catch (error) {
        throw new QuintetError('EMBEDDED_DATA_UNREADABLE', `${path} line ${index + 1} is not a stored record`, { cause: error });
      }
      records.push({
        topic,
        partition: stored.p,
        offset: stored.o,
        timestamp: stored.t,
        key: stored.k === null ? null : Buffer.from(stored.k, 'base64'),
        value: stored.v === null ? null : Buffer.from(stored.v, 'base64'),
        headers: stored.h,
        kind: 'sink',
      });
    }
    return records;
  }

  appendTopic(topic: string, records: readonly RawTestRecord[]): void {
    if (records.length === 0) return;
    const lines = records.map((r) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(r.headers)) if (value !== undefined) headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
      const stored: StoredRecord = {
        p: r.partition,
        o: r.offset,
        t: r.timestamp,
        k: r.key === null ? null : r.key.toString('base64'),
        v: r.value === null ? null : r.value.toString('base64'),
        h: headers,
      };
      return `${JSON.stringify(stored)}\n`;
    });
    appendFileSync(join(this.directory, 'topics', `${fileNameOf(topic)}.ndjson`), lines.join(''));
  }

  /** Seals a JSON-able value under the active master key and replaces the file with it. */
  writeSealed(name: string, value: unknown): void {
    const keyId = this.#masterKeys.activeKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', sealingKey(this.#masterKeys, keyId), iv);
    cipher.setAAD(Buffer.from(`${SEALED_FORMAT}:${name}`, 'utf8'));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const file: SealedFile = { format: SEALED_FORMAT, key_id: keyId, sealed: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64') };
    writeAtomically(join(this.directory, 'sealed', `${name}.json`), JSON.stringify(file), 0o600);
  }

  /** The value last sealed under `name`, or undefined when there is none. */
  readSealed<T>(name: string): T | undefined {
    const path = join(this.directory, 'sealed', `${name}.json`);
    if (!existsSync(path)) return undefined;
    const file = this.#readJson<SealedFile>(path);
    if (file.format !== SEALED_FORMAT || !this.#masterKeys.has(file.key_id)) {
      throw new QuintetError('EMBEDDED_DATA_UNREADABLE', `${path} is not sealed with a master key of this configuration`);
    }
    const sealed = Buffer.from(file.sealed, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', sealingKey(this.#masterKeys, file.key_id), sealed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(`${SEALED_FORMAT}:${name}`, 'utf8'));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch (error) {
      throw new QuintetError('EMBEDDED_DATA_UNREADABLE', `${path} does not open with this configuration's master key (tampered, or another key)`, { cause: error });
    }
  }

  #readJson<T>(path: string): T {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as T;
    } catch (error) {
      throw new QuintetError('EMBEDDED_DATA_UNREADABLE', `${path} cannot be read`, { cause: error });
    }
  }
}
