/**
 * The environment of a private `quintet run` deployment for tests, benchmarks and the chaos run: its own
 * topics, application id, Redis key prefix, ClickHouse database, data folder and fresh secrets, so that
 * runs never share state with each other or with a developer's deployment on the same stack.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export interface PrivateDeploymentOptions {
  readonly partitions: number;
  readonly dataDir: string;
  readonly httpPort?: number;
  readonly logLevel?: string;
  /** ClickHouse database (default: none set, i.e. the configured one). */
  readonly clickhouseDatabase?: string;
}

export function privateDeploymentEnv(name: string, options: PrivateDeploymentOptions): Record<string, string> {
  return {
    QUINTET_APPLICATION_ID: name,
    QUINTET_TOPIC_RAW: `${name}.raw`,
    QUINTET_TOPIC_CANONICAL: `${name}.canonical`,
    QUINTET_TOPIC_DEAD_LETTER: `${name}.dead-letter`,
    QUINTET_TOPIC_ERASURE_REQUESTS: `${name}.erasure`,
    QUINTET_TOPIC_CHECKPOINTS: `${name}.checkpoints`,
    QUINTET_TOPIC_PARTITIONS: String(options.partitions),
    QUINTET_REDIS_KEY_PREFIX: name,
    QUINTET_DATA_DIR: options.dataDir,
    QUINTET_HTTP_PORT: String(options.httpPort ?? 0),
    QUINTET_LOG_LEVEL: options.logLevel ?? 'warn',
    ...(options.clickhouseDatabase === undefined ? {} : { QUINTET_CLICKHOUSE_DATABASE: options.clickhouseDatabase }),
    QUINTET_MASTER_KEYS: `m1:${randomBytes(32).toString('base64')}`,
    QUINTET_CHAIN_KEYS: `c1:${randomBytes(32).toString('base64')}`,
    QUINTET_LOOKUP_KEY: randomBytes(24).toString('base64'),
    QUINTET_SIGNING_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
