/**
 * Searches every place Quintet writes after the vault for known raw identifiers of subjects: Kafka
 * topics (key, value and headers of every record), all of Redis (keys and values), the ClickHouse
 * events table, archive folders and log files. Used by erasure and logging tests and by operators
 * (`quintet scan-pii`) to prove that a subject left no trace.
 *
 * Findings name where an identifier was found (topic/partition/offset, Redis key type, file), never
 * the identifier itself, so that the report is safe to print.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { ClickHouseServer } from '../clickhouse/server.js';

export interface PiiFinding {
  readonly place: 'kafka' | 'redis' | 'clickhouse' | 'file';
  /** Where, e.g. `quintet.canonical/2@117`, `redis key (hash)`, `logs/run.log:42`. */
  readonly where: string;
  /** Index of the identifier in the list that was searched for (not the identifier). */
  readonly identifier: number;
}

export interface ScanSummary {
  readonly scanned: { kafkaRecords: number; redisKeys: number; clickhouseRows: number; fileLines: number };
  readonly findings: readonly PiiFinding[];
}

const NEWLINE = Buffer.from('\n');

class Matcher {
  readonly #needles: readonly Buffer[];
  constructor(identifiers: readonly string[]) {
    this.#needles = identifiers.filter((i) => i !== '').map((i) => Buffer.from(i, 'utf8'));
  }
  /** Indexes of the identifiers found in `haystack`. */
  find(haystack: Buffer | string | null | undefined): number[] {
    if (haystack === null || haystack === undefined) return [];
    const bytes = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
    const found: number[] = [];
    this.#needles.forEach((needle, i) => {
      if (bytes.includes(needle)) found.push(i);
    });
    return found;
  }
}

export class PiiScanner {
  readonly #matcher: Matcher;
  readonly #findings: PiiFinding[] = [];
  readonly #scanned = { kafkaRecords: 0, redisKeys: 0, clickhouseRows: 0, fileLines: 0 };

  constructor(identifiers: readonly string[]) {
    this.#matcher = new Matcher(identifiers);
  }

  #record(place: PiiFinding['place'], where: string, haystack: Buffer | string | null | undefined): void {
    for (const identifier of this.#matcher.find(haystack)) this.#findings.push({ place, where, identifier });
  }

  /** Reads every record of the topics from the beginning to their current end (read_uncommitted: aborted data counts too). */
  async scanTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    const ends = new Map<string, Map<number, bigint>>();
    try {
      for (const topic of topics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
      }
    } finally {
      await admin.disconnect();
    }
    const pending = new Set<string>();
    for (const [topic, partitions] of ends) for (const [partition, high] of partitions) if (high > 0n) pending.add(`${topic}/${partition}`);
    if (pending.size === 0) return;
    const consumer = kafka.consumer({ groupId: `quintet-pii-scan-${process.pid}-${Date.now()}`, readUncommitted: true });
    await consumer.connect();
    try {
      for (const topic of ends.keys()) await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
              this.#scanned.kafkaRecords += 1;
              const where = `${topic}/${partition}@${message.offset}`;
              this.#record('kafka', where, message.key);
              this.#record('kafka', where, message.value);
              for (const value of Object.values(message.headers ?? {})) this.#record('kafka', `${where} header`, Array.isArray(value) ? value.join('') : (value as Buffer | string | undefined));
            },
          })
          .catch(reject);
        // Transactional topics end in commit markers that are never delivered as messages: a partition
        // is done when a processed batch (even one holding only markers) reaches the end offset read first.
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const high = ends.get(payload.topic)?.get(payload.partition) ?? 0n;
          if (BigInt(payload.lastOffset) + 1n >= high) {
            pending.delete(`${payload.topic}/${payload.partition}`);
            if (pending.size === 0) resolve();
          }
        });
      });
    } finally {
      await consumer.disconnect();
    }
  }

  /** Every key of the Redis database (or those matching `pattern`), its name and its value. */
  async scanRedis(redis: Redis, pattern = '*'): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        this.#scanned.redisKeys += 1;
        const type = await redis.type(key);
        this.#record('redis', `redis key name (${type})`, key);
        const where = `redis ${type} value`;
        if (type === 'string') this.#record('redis', where, await redis.getBuffer(key));
        else if (type === 'hash') {
          const entries = await redis.hgetallBuffer(key);
          this.#record('redis', where, Buffer.concat(Object.entries(entries).flatMap(([field, value]) => [Buffer.from(`${field}\n`), value, NEWLINE])));
        }
        else if (type === 'zset') this.#record('redis', where, (await redis.zrange(key, 0, -1)).join('\n'));
        else if (type === 'set') this.#record('redis', where, (await redis.smembers(key)).join('\n'));
        else if (type === 'list') this.#record('redis', where, (await redis.lrange(key, 0, -1)).join('\n'));
      }
    } while (cursor !== '0');
  }

  /** Every row of the ClickHouse events table, as JSON text. */
  async scanClickHouse(server: ClickHouseServer, table = 'events'): Promise<void> {
    const result = await server.client.query({ query: `SELECT * FROM ${table}`, format: 'JSONEachRow' });
    const stream = result.stream();
    for await (const rows of stream) {
      for (const row of rows as { text: string }[]) {
        this.#scanned.clickhouseRows += 1;
        this.#record('clickhouse', `${table} row`, row.text);
      }
    }
  }

  /** Files (logs, NDJSON exports, gzip archives) or every file under a folder. */
  async scanFiles(paths: readonly string[]): Promise<void> {
    for (const path of paths) {
      if (statSync(path).isDirectory()) {
        await this.scanFiles(readdirSync(path).map((name) => join(path, name)));
        continue;
      }
      const input = path.endsWith('.gz') ? createReadStream(path).pipe(createGunzip()) : createReadStream(path);
      let line = 0;
      let carry = Buffer.alloc(0);
      for await (const chunk of input) {
        const bytes = Buffer.concat([carry, chunk as Buffer]);
        let start = 0;
        for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, start)) {
          line += 1;
          this.#record('file', `${path}:${line}`, bytes.subarray(start, i));
          start = i + 1;
        }
        carry = bytes.subarray(start);
      }
      if (carry.length > 0) {
        line += 1;
        this.#record('file', `${path}:${line}`, carry);
      }
      this.#scanned.fileLines += line;
    }
  }

  summary(): ScanSummary {
    return { scanned: { ...this.#scanned }, findings: [...this.#findings] };
  }
}
