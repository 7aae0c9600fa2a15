/**
 * docker-compose.yml cannot run on the machines that test Quintet, so this test holds it to the project's
 * configuration instead: every QUINTET_* variable it sets exists in CONFIG_KEYS, the host ports of the
 * services equal the defaults of core/config.ts (and so the local stack's), and every process has a service
 * that Prometheus scrapes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_KEYS } from '../../../core/config.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const composeText = readFileSync(`${root}docker-compose.yml`, 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, unknown>;
}
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService> };
const services = compose.services;

/** The Quintet processes: one per deployable topology, plus the HTTP API. */
const PROCESSES = ['ingest', 'feeds', 'likes', 'analytics', 'api'] as const;

const defaultOf = (env: string): string => {
  const key = CONFIG_KEYS.find((k) => k.env === env);
  if (key?.defaultValue === undefined) throw new Error(`${env} has no default in CONFIG_KEYS`);
  return key.defaultValue;
};
const urlPort = (url: string): number => Number(new URL(url).port);
const hostPorts = (service: string): number[] =>
  (services[service]?.ports ?? []).map((mapping) => {
    // "HOST:CONTAINER" or "IP:HOST:CONTAINER"
    const parts = String(mapping).split(':');
    return Number(parts[parts.length - 2]);
  });

describe('docker-compose.yml', () => {
  it('uses only QUINTET_* variables that CONFIG_KEYS declares', () => {
    const known = new Set(CONFIG_KEYS.flatMap((k) => [k.env, `${k.env}_FILE`]));
    const used = new Set<string>();
    for (const service of Object.values(services)) {
      for (const name of Object.keys(service.environment ?? {})) if (name.startsWith('QUINTET_')) used.add(name);
    }
    for (const match of composeText.matchAll(/\$\{(QUINTET_[A-Z0-9_]+)/g)) used.add(match[1] as string);
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
  });

  it('publishes Kafka, the schema registry, Redis, ClickHouse and the API on the default ports of core/config.ts', () => {
    const kafkaPort = Number(defaultOf('QUINTET_KAFKA_BROKERS').split(',')[0]?.split(':')[1]);
    expect(hostPorts('kafka')).toContain(kafkaPort);
    expect(hostPorts('schema-registry')).toContain(urlPort(defaultOf('QUINTET_SCHEMA_REGISTRY_URL')));
    expect(hostPorts('redis')).toContain(urlPort(defaultOf('QUINTET_REDIS_URL')));
    expect(hostPorts('clickhouse')).toContain(urlPort(defaultOf('QUINTET_CLICKHOUSE_URL')));
    expect(hostPorts('api')).toContain(Number(defaultOf('QUINTET_HTTP_PORT')));
  });

  it('has one service per Quintet process, built from deploy/Dockerfile and running `quintet run <name>`', () => {
    for (const name of PROCESSES) {
      const service = services[name];
      expect(service, `service ${name}`).toBeDefined();
      expect(service?.build?.dockerfile).toBe('deploy/Dockerfile');
      expect(service?.command).toEqual(['run', name]);
    }
  });

  it('points every Quintet process at services that exist in the file, and gives each its own application id', () => {
    const hostOf = (value: string | number | undefined): string => new URL(String(value).includes('://') ? String(value) : `tcp://${value}`).hostname;
    const applicationIds = new Set<string>();
    for (const name of PROCESSES) {
      const environment = services[name]?.environment ?? {};
      for (const variable of ['QUINTET_KAFKA_BROKERS', 'QUINTET_SCHEMA_REGISTRY_URL', 'QUINTET_REDIS_URL', 'QUINTET_CLICKHOUSE_URL']) {
        expect(Object.keys(services), `${name}: ${variable}`).toContain(hostOf(environment[variable]));
      }
      for (const dependency of ['kafka', 'schema-registry', 'redis', 'clickhouse']) {
        expect(Object.keys(services[name]?.depends_on ?? {})).toContain(dependency);
      }
      applicationIds.add(String(environment.QUINTET_APPLICATION_ID));
    }
    expect(applicationIds.size).toBe(PROCESSES.length);
  });

  it('runs Redis with AOF on and Kafka with single-node transaction settings', () => {
    expect(services.redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    const kafka = services.kafka?.environment ?? {};
    expect(String(kafka.KAFKA_PROCESS_ROLES)).toBe('broker,controller');
    expect(String(kafka.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR)).toBe('1');
    expect(String(kafka.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR)).toBe('1');
    expect(String(kafka.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR)).toBe('1');
  });

  it('has Prometheus scrape /metrics of every Quintet process', () => {
    const prometheus = parse(readFileSync(`${root}deploy/prometheus/prometheus.yml`, 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((config) => config.targets));
    const httpPort = defaultOf('QUINTET_HTTP_PORT');
    for (const name of PROCESSES) expect(targets).toContain(`${name}:${httpPort}`);
  });

  it('provisions a Grafana ClickHouse data source that points at the clickhouse service', () => {
    const provisioning = parse(readFileSync(`${root}deploy/grafana/provisioning/datasources/quintet.yml`, 'utf8')) as {
      datasources: { type: string; jsonData?: { host?: string; port?: number } }[];
    };
    const clickhouse = provisioning.datasources.find((source) => source.type === 'grafana-clickhouse-datasource');
    expect(clickhouse?.jsonData?.host).toBe('clickhouse');
    expect(clickhouse?.jsonData?.port).toBe(urlPort(defaultOf('QUINTET_CLICKHOUSE_URL')));
  });
});
