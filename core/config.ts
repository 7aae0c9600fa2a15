/**
 * Quintet's configuration: one typed, validated, frozen object, built once at start-up
 * from defaults, an optional JSON file and QUINTET_* environment variables (in that order of precedence).
 *
 * Every key is declared once in CONFIG_KEYS (name, environment variable, default, meaning), so that
 * validation messages, the documented table in docs/configuration.md and docker-compose.yml agree.
 * Secrets are wrapped in `Secret`, which never prints its value.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ConfigurationError } from './errors.js';

/** A secret value that refuses to appear in logs, JSON or util.inspect output. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[redacted]';
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

/** A versioned key ring: the first key is active for new writes; all keys remain valid for reading. */
export interface KeyRing {
  readonly activeKeyId: string;
  readonly keys: ReadonlyMap<string, Secret>;
}

export type ProcessingGuarantee = 'at_least_once' | 'exactly_once';
export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface QuintetConfig {
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly ssl: boolean;
    readonly sasl: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: Secret } | undefined;
  };
  readonly schemaRegistry: {
    readonly url: string;
    readonly username: string | undefined;
    readonly password: Secret | undefined;
  };
  readonly redis: {
    readonly url: string;
    /** First segment of every Redis key (connectors/redis/keys.ts). */
    readonly keyPrefix: string;
    readonly password: Secret | undefined;
    readonly tls: boolean;
  };
  readonly clickhouse: {
    readonly url: string;
    readonly username: string;
    readonly password: Secret | undefined;
    readonly database: string;
    /** Days the analytics tables keep (TTL, or monthly partition drops on 18.16). */
    readonly hotTierDays: number;
    /** Analytics sink micro-batch limits: an insert closes at this many rows, bytes or milliseconds. */
    readonly batchMaxRows: number;
    readonly batchMaxBytes: number;
    readonly batchMaxDelayMs: number;
    readonly commitIntervalMs: number;
    /** Analytics sink: batches inserted at the same time per input partition. */
    readonly insertsInFlight: number;
  };
  readonly topics: {
    readonly raw: string;
    readonly canonical: string;
    readonly deadLetter: string;
    readonly erasureRequests: string;
    readonly checkpoints: string;
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly rawRetentionMs: number;
    readonly deadLetterRetentionMs: number;
  };
  readonly streams: {
    readonly applicationId: string;
    readonly processingGuarantee: ProcessingGuarantee;
    readonly commitIntervalMs: number;
    readonly stateDir: string;
  };
  readonly limits: {
    readonly maxEventBytes: number;
    readonly maxProperties: number;
    readonly maxDepth: number;
    readonly maxStringLength: number;
    readonly maxFutureSkewMs: number;
  };
  readonly profile: {
    /** Identify traits (non-PII) that enter the user profile table and its snapshots (docs/pii-vault.md). */
    readonly traits: readonly string[];
  };
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly maxBodyBytes: number;
  };
  readonly secrets: {
    /** Wraps per-subject data keys in the PII vault (AES-256-GCM, 32 bytes each). */
    readonly masterKeys: KeyRing | undefined;
    /** Keys the HMAC-SHA256 hash chain. */
    readonly chainKeys: KeyRing | undefined;
    /** Keys the lookup hash of raw identifiers in the vault. */
    readonly lookupKey: Secret | undefined;
    /** Ed25519 private key (PEM) that signs chain checkpoints. */
    readonly signingKey: Secret | undefined;
  };
  readonly dataDir: string;
  readonly logLevel: LogLevel;
}

type Parser = (raw: string, key: ConfigKey) => unknown;

export interface ConfigKey {
  /** Dotted path in QuintetConfig and in the JSON file, e.g. `kafka.brokers`. */
  readonly path: string;
  /** Environment variable that overrides it. */
  readonly env: string;
  /** Default as written in docs; undefined means "unset". */
  readonly defaultValue: string | undefined;
  readonly description: string;
  readonly secret: boolean;
  readonly parse: Parser;
}

const fail = (key: ConfigKey, raw: string, expected: string): never => {
  const shown = key.secret ? '[redacted]' : JSON.stringify(raw);
  throw new ConfigurationError(`${key.path} (${key.env}) = ${shown}: expected ${expected}`, {
    key: key.path,
    env: key.env,
    expected,
  });
};

const text: Parser = (raw, key) => (raw.trim() === '' ? fail(key, raw, 'a non-empty string') : raw.trim());
const optionalText: Parser = (raw) => (raw.trim() === '' ? undefined : raw.trim());
const secret: Parser = (raw) => (raw === '' ? undefined : new Secret(raw));
const bool: Parser = (raw, key) => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  return fail(key, raw, 'true or false');
};
const integer =
  (min: number, max: number): Parser =>
  (raw, key) => {
    const value = Number(raw.trim());
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      return fail(key, raw, `an integer from ${min} to ${max}`);
    }
    return value;
  };
const oneOf =
  (...allowed: string[]): Parser =>
  (raw, key) =>
    allowed.includes(raw.trim()) ? raw.trim() : fail(key, raw, `one of ${allowed.join(', ')}`);
const url =
  (...protocols: string[]): Parser =>
  (raw, key) => {
    let parsed: URL;
    try {
      parsed = new URL(raw.trim());
    } catch {
      return fail(key, raw, `a URL (${protocols.join(' or ')})`);
    }
    if (!protocols.includes(parsed.protocol)) return fail(key, raw, `a URL with scheme ${protocols.join(' or ')}`);
    return raw.trim().replace(/\/+$/, '');
  };
const brokerList: Parser = (raw, key) => {
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0 || brokers.some((b) => !/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(b))) {
    return fail(key, raw, 'a comma-separated list of host:port');
  }
  return brokers;
};
const nameList: Parser = (raw, key) => {
  const names = raw
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return names.every((n) => /^[A-Za-z0-9$_.-]{1,64}$/.test(n)) ? names : fail(key, raw, 'a comma-separated list of names ([A-Za-z0-9$_.-], at most 64 characters each)');
};
const topicName: Parser = (raw, key) =>
  /^[A-Za-z0-9._-]{1,249}$/.test(raw.trim()) ? raw.trim() : fail(key, raw, 'a Kafka topic name ([A-Za-z0-9._-], at most 249 characters)');

/**
 * `kid:base64` entries separated by commas; the first is the active key. Each must decode to exactly
 * `bytes` bytes when `bytes` is given.
 */
const keyRing =
  (bytes: number | undefined): Parser =>
  (raw, key) => {
    if (raw.trim() === '') return undefined;
    const keys = new Map<string, Secret>();
    let activeKeyId: string | undefined;
    for (const entry of raw.split(',').map((e) => e.trim())) {
      const separator = entry.indexOf(':');
      const id = entry.slice(0, separator);
      const material = Buffer.from(entry.slice(separator + 1), 'base64');
      if (separator <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || material.length === 0) {
        return fail(key, raw, 'comma-separated "keyId:base64" entries');
      }
      if (bytes !== undefined && material.length !== bytes) return fail(key, raw, `keys of exactly ${bytes} bytes (base64)`);
      if (keys.has(id)) return fail(key, raw, 'unique key ids');
      keys.set(id, new Secret(material.toString('base64')));
      activeKeyId ??= id;
    }
    return { activeKeyId: activeKeyId as string, keys } satisfies KeyRing;
  };

const DAY_MS = 86_400_000;

const key = (
  path: string,
  env: string,
  defaultValue: string | undefined,
  parse: Parser,
  description: string,
  isSecret = false,
): ConfigKey => ({ path, env, defaultValue, parse, description, secret: isSecret });

/** Every configuration key, its environment variable, default and meaning. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  key('kafka.brokers', 'QUINTET_KAFKA_BROKERS', '127.0.0.1:9092', brokerList, 'Kafka bootstrap servers, comma-separated host:port.'),
  key('kafka.clientId', 'QUINTET_KAFKA_CLIENT_ID', 'quintet', text, 'Kafka client id prefix.'),
  key('kafka.ssl', 'QUINTET_KAFKA_SSL', 'false', bool, 'Connect to Kafka over TLS.'),
  key('kafka.saslMechanism', 'QUINTET_KAFKA_SASL_MECHANISM', undefined, oneOf('plain', 'scram-sha-256', 'scram-sha-512'), 'SASL mechanism; unset for none.'),
  key('kafka.saslUsername', 'QUINTET_KAFKA_SASL_USERNAME', undefined, optionalText, 'SASL user name.'),
  key('kafka.saslPassword', 'QUINTET_KAFKA_SASL_PASSWORD', undefined, secret, 'SASL password.', true),
  key('schemaRegistry.url', 'QUINTET_SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7', url('http:', 'https:'), 'Confluent-compatible schema registry base URL.'),
  key('schemaRegistry.username', 'QUINTET_SCHEMA_REGISTRY_USERNAME', undefined, optionalText, 'Schema registry basic-auth user.'),
  key('schemaRegistry.password', 'QUINTET_SCHEMA_REGISTRY_PASSWORD', undefined, secret, 'Schema registry basic-auth password.', true),
  key('redis.url', 'QUINTET_REDIS_URL', 'redis://127.0.0.1:6379/0', url('redis:', 'rediss:'), 'Redis URL (rediss:// for TLS). Put no password in it; use QUINTET_REDIS_PASSWORD.'),
  key('redis.keyPrefix', 'QUINTET_REDIS_KEY_PREFIX', 'quintet', topicName, 'First segment of every Redis key, so that one Redis can host several deployments.'),
  key('redis.password', 'QUINTET_REDIS_PASSWORD', undefined, secret, 'Redis password (AUTH).', true),
  key('redis.tls', 'QUINTET_REDIS_TLS', 'false', bool, 'Connect to Redis over TLS (also implied by rediss://).'),
  key('clickhouse.url', 'QUINTET_CLICKHOUSE_URL', 'http://127.0.0.1:8123', url('http:', 'https:'), 'ClickHouse HTTP interface URL.'),
  key('clickhouse.username', 'QUINTET_CLICKHOUSE_USERNAME', 'default', text, 'ClickHouse user.'),
  key('clickhouse.password', 'QUINTET_CLICKHOUSE_PASSWORD', undefined, secret, 'ClickHouse password.', true),
  key('clickhouse.database', 'QUINTET_CLICKHOUSE_DATABASE', 'quintet', topicName, 'ClickHouse database holding the analytics tables.'),
  key('clickhouse.hotTierDays', 'QUINTET_CLICKHOUSE_HOT_TIER_DAYS', '30', integer(1, 36_500), 'Days of events the analytics tables keep (TTL where the server has it, else `quintet retention` drops older monthly partitions).'),
  key('clickhouse.batchMaxRows', 'QUINTET_CLICKHOUSE_BATCH_MAX_ROWS', '50000', integer(1, 10_000_000), 'Analytics sink: most rows in one ClickHouse insert.'),
  key('clickhouse.batchMaxBytes', 'QUINTET_CLICKHOUSE_BATCH_MAX_BYTES', String(16 * 1024 * 1024), integer(1024, 1024 * 1024 * 1024), 'Analytics sink: most bytes of rows in one insert (bounds memory).'),
  key('clickhouse.batchMaxDelayMs', 'QUINTET_CLICKHOUSE_BATCH_MAX_DELAY_MS', '1000', integer(10, 600_000), 'Analytics sink: longest a row waits for its insert (a partly filled batch older than this is inserted).'),
  key('clickhouse.commitIntervalMs', 'QUINTET_CLICKHOUSE_COMMIT_INTERVAL_MS', '1000', integer(10, 600_000), 'Analytics topology: how often it commits offsets; a commit covers the rows consumed before it once ClickHouse acknowledged them, while consumption goes on.'),
  key('clickhouse.insertsInFlight', 'QUINTET_CLICKHOUSE_INSERTS_IN_FLIGHT', '1', integer(1, 16), 'Analytics sink: batches inserted at the same time per input partition (ClickHouse inserts each on one thread); memory holds up to this many batches plus the open one.'),
  key('topics.raw', 'QUINTET_TOPIC_RAW', 'quintet.raw', topicName, 'Raw events as producers send them (any supported format).'),
  key('topics.canonical', 'QUINTET_TOPIC_CANONICAL', 'quintet.canonical', topicName, 'Pseudonymized, hash-chained canonical events (Avro, CloudEvents headers).'),
  key('topics.deadLetter', 'QUINTET_TOPIC_DEAD_LETTER', 'quintet.dead-letter', topicName, 'Rejected records with reason, stage and encrypted payload.'),
  key('topics.erasureRequests', 'QUINTET_TOPIC_ERASURE_REQUESTS', 'quintet.erasure-requests', topicName, 'Erasure (right to be forgotten) requests.'),
  key('topics.checkpoints', 'QUINTET_TOPIC_CHECKPOINTS', 'quintet.chain-checkpoints', topicName, 'Signed chain-head checkpoints.'),
  key('topics.partitions', 'QUINTET_TOPIC_PARTITIONS', '4', integer(1, 10_000), 'Partitions of the raw and canonical topics created by `quintet topics create`.'),
  key('topics.replicationFactor', 'QUINTET_TOPIC_REPLICATION_FACTOR', '1', integer(1, 16), 'Replication factor of created topics.'),
  key('topics.rawRetentionMs', 'QUINTET_TOPIC_RAW_RETENTION_MS', String(7 * DAY_MS), integer(60_000, Number.MAX_SAFE_INTEGER), 'Retention of the raw topic, which erasure cannot reach (default 7 days).'),
  key('topics.deadLetterRetentionMs', 'QUINTET_TOPIC_DEAD_LETTER_RETENTION_MS', String(14 * DAY_MS), integer(60_000, Number.MAX_SAFE_INTEGER), 'Retention of the dead-letter topic (default 14 days).'),
  key('streams.applicationId', 'QUINTET_APPLICATION_ID', 'quintet', topicName, 'Prefix of consumer groups, transactional ids and internal topics.'),
  key('streams.processingGuarantee', 'QUINTET_PROCESSING_GUARANTEE', 'exactly_once', oneOf('at_least_once', 'exactly_once'), 'Processing guarantee of every topology.'),
  key('streams.commitIntervalMs', 'QUINTET_COMMIT_INTERVAL_MS', '100', integer(1, 600_000), 'How often tasks commit (and transactions close); the analytics topology has its own, clickhouse.commitIntervalMs.'),
  key('streams.stateDir', 'QUINTET_STATE_DIR', '.quintet/state', text, 'Local state store directory.'),
  key('limits.maxEventBytes', 'QUINTET_MAX_EVENT_BYTES', String(1024 * 1024), integer(256, 64 * 1024 * 1024), 'Largest accepted raw event, checked before parsing.'),
  key('limits.maxProperties', 'QUINTET_MAX_PROPERTIES', '255', integer(1, 100_000), 'Most keys in any one properties/attributes object.'),
  key('limits.maxDepth', 'QUINTET_MAX_DEPTH', '16', integer(2, 256), 'Deepest JSON nesting accepted.'),
  key('limits.maxStringLength', 'QUINTET_MAX_STRING_LENGTH', '8192', integer(16, 16 * 1024 * 1024), 'Longest string value accepted.'),
  key(
    'limits.maxFutureSkewMs',
    'QUINTET_MAX_FUTURE_SKEW_MS',
    String(10 * 60_000),
    integer(0, 3_600_000),
    'How far an event time may be ahead of ingestion time; later events are dead-lettered (TIMESTAMP_IN_FUTURE). At most an hour: Kafka refuses records stamped more than message.timestamp.after.max.ms (1 h by default) ahead, and the feeds and likes topologies stamp theirs with event time.',
  ),
  key(
    'profile.traits',
    'QUINTET_PROFILE_TRAITS',
    'plan,payment_plan,subscription_plan,subscription_status,signup_type,signup_source,ab_test_group,experiment_group,cohort,role,account_type,account_status,tier,industry,company_size,language,locale,timezone,country,created_at',
    nameList,
    'Identify traits kept in the user profile and stamped as user_state_snapshot (never PII: keys the PII policy matches are refused). Empty: no profile.',
  ),
  key('http.host', 'QUINTET_HTTP_HOST', '127.0.0.1', text, 'HTTP API listen address.'),
  key('http.port', 'QUINTET_HTTP_PORT', '8080', integer(0, 65_535), 'HTTP API port (0 picks a free one).'),
  key('http.maxBodyBytes', 'QUINTET_HTTP_MAX_BODY_BYTES', String(5 * 1024 * 1024), integer(1024, 512 * 1024 * 1024), 'Largest HTTP request body.'),
  key('secrets.masterKeys', 'QUINTET_MASTER_KEYS', undefined, keyRing(32), 'Vault master keys, "keyId:base64(32 bytes)" comma-separated, active first.', true),
  key('secrets.chainKeys', 'QUINTET_CHAIN_KEYS', undefined, keyRing(undefined), 'Hash-chain HMAC keys, "keyId:base64" comma-separated, active first.', true),
  key('secrets.lookupKey', 'QUINTET_LOOKUP_KEY', undefined, secret, 'Key of the keyed hash that indexes identifiers in the vault.', true),
  key('secrets.signingKey', 'QUINTET_SIGNING_KEY', undefined, secret, 'Ed25519 private key (PEM) signing chain checkpoints.', true),
  key('dataDir', 'QUINTET_DATA_DIR', '.quintet', text, 'Folder for embedded-mode state and local files.'),
  key('logLevel', 'QUINTET_LOG_LEVEL', 'info', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'Log level.'),
];

export interface LoadConfigOptions {
  /** Usually process.env, passed in by the entry point (never read at import time). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Path of a JSON configuration file whose nested keys mirror CONFIG_KEYS paths. */
  readonly file?: string;
  /** Values that win over everything else (used by tests and the CLI). */
  readonly overrides?: Readonly<Record<string, string>>;
}

function flattenFile(path: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigurationError(`configuration file ${path} could not be read as JSON: ${(error as Error).message}`, { file: path });
  }
  const values = new Map<string, string>();
  const walk = (node: unknown, prefix: string): void => {
    if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
      for (const [name, child] of Object.entries(node)) walk(child, prefix === '' ? name : `${prefix}.${name}`);
    } else if (Array.isArray(node)) {
      values.set(prefix, node.map(String).join(','));
    } else if (node !== null && node !== undefined) {
      values.set(prefix, String(node));
    }
  };
  walk(parsed, '');
  const known = new Set(CONFIG_KEYS.map((k) => k.path));
  for (const name of values.keys()) {
    if (!known.has(name)) throw new ConfigurationError(`configuration file ${path}: unknown key "${name}"`, { file: path, key: name });
  }
  return values;
}

/** Reads `NAME_FILE` (a path) as an alternative to `NAME`, so secrets can come from mounted files. */
function fromEnvironment(env: Readonly<Record<string, string | undefined>>, k: ConfigKey): string | undefined {
  const direct = env[k.env];
  if (direct !== undefined) return direct;
  const filePath = env[`${k.env}_FILE`];
  if (filePath === undefined || filePath === '') return undefined;
  try {
    return readFileSync(filePath, 'utf8').trim();
  } catch {
    throw new ConfigurationError(`${k.path} (${k.env}_FILE) points to a file that cannot be read: ${JSON.stringify(filePath)}`, { key: k.path });
  }
}

/** Builds and validates the configuration. Throws ConfigurationError naming the key, value and expectation. */
export function loadConfig(options: LoadConfigOptions = {}): QuintetConfig {
  const env = options.env ?? {};
  const fileValues = options.file === undefined ? new Map<string, string>() : flattenFile(options.file);
  const values = new Map<string, unknown>();
  for (const k of CONFIG_KEYS) {
    const raw = options.overrides?.[k.path] ?? fromEnvironment(env, k) ?? fileValues.get(k.path) ?? k.defaultValue;
    values.set(k.path, raw === undefined ? undefined : k.parse(raw, k));
  }
  const get = <T>(path: string): T => values.get(path) as T;

  const saslMechanism = get<SaslMechanism | undefined>('kafka.saslMechanism');
  const saslUsername = get<string | undefined>('kafka.saslUsername');
  const saslPassword = get<Secret | undefined>('kafka.saslPassword');
  if (saslMechanism !== undefined && (saslUsername === undefined || saslPassword === undefined)) {
    throw new ConfigurationError('kafka.saslMechanism is set: QUINTET_KAFKA_SASL_USERNAME and QUINTET_KAFKA_SASL_PASSWORD are required too', {
      key: 'kafka.saslMechanism',
    });
  }
  const redisUrl = get<string>('redis.url');
  if (new URL(redisUrl).password !== '') {
    throw new ConfigurationError('redis.url (QUINTET_REDIS_URL) contains a password: put it in QUINTET_REDIS_PASSWORD instead', { key: 'redis.url' });
  }

  const config: QuintetConfig = {
    kafka: {
      brokers: get('kafka.brokers'),
      clientId: get('kafka.clientId'),
      ssl: get('kafka.ssl'),
      sasl:
        saslMechanism === undefined
          ? undefined
          : { mechanism: saslMechanism, username: saslUsername as string, password: saslPassword as Secret },
    },
    schemaRegistry: {
      url: get('schemaRegistry.url'),
      username: get('schemaRegistry.username'),
      password: get('schemaRegistry.password'),
    },
    redis: {
      url: redisUrl,
      keyPrefix: get('redis.keyPrefix'),
      password: get('redis.password'),
      tls: get<boolean>('redis.tls') || redisUrl.startsWith('rediss:'),
    },
    clickhouse: {
      url: get('clickhouse.url'),
      username: get('clickhouse.username'),
      password: get('clickhouse.password'),
      database: get('clickhouse.database'),
      hotTierDays: get('clickhouse.hotTierDays'),
      batchMaxRows: get('clickhouse.batchMaxRows'),
      batchMaxBytes: get('clickhouse.batchMaxBytes'),
      batchMaxDelayMs: get('clickhouse.batchMaxDelayMs'),
      commitIntervalMs: get('clickhouse.commitIntervalMs'),
      insertsInFlight: get('clickhouse.insertsInFlight'),
    },
    topics: {
      raw: get('topics.raw'),
      canonical: get('topics.canonical'),
      deadLetter: get('topics.deadLetter'),
      erasureRequests: get('topics.erasureRequests'),
      checkpoints: get('topics.checkpoints'),
      partitions: get('topics.partitions'),
      replicationFactor: get('topics.replicationFactor'),
      rawRetentionMs: get('topics.rawRetentionMs'),
      deadLetterRetentionMs: get('topics.deadLetterRetentionMs'),
    },
    streams: {
      applicationId: get('streams.applicationId'),
      processingGuarantee: get('streams.processingGuarantee'),
      commitIntervalMs: get('streams.commitIntervalMs'),
      stateDir: get('streams.stateDir'),
    },
    limits: {
      maxEventBytes: get('limits.maxEventBytes'),
      maxProperties: get('limits.maxProperties'),
      maxDepth: get('limits.maxDepth'),
      maxStringLength: get('limits.maxStringLength'),
      maxFutureSkewMs: get('limits.maxFutureSkewMs'),
    },
    profile: { traits: get('profile.traits') },
    http: {
      host: get('http.host'),
      port: get('http.port'),
      maxBodyBytes: get('http.maxBodyBytes'),
    },
    secrets: {
      masterKeys: get('secrets.masterKeys'),
      chainKeys: get('secrets.chainKeys'),
      lookupKey: get('secrets.lookupKey'),
      signingKey: get('secrets.signingKey'),
    },
    dataDir: get('dataDir'),
    logLevel: get('logLevel'),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Secret) && !(value instanceof Map)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
