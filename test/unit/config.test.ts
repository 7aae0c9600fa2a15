import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS, ConfigurationError, loadConfig } from '../../core/index.js';

describe('loadConfig', () => {
  it('gives documented defaults when nothing is set', () => {
    const config = loadConfig({ env: {} });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.topics.canonical).toBe('quintet.canonical');
    expect(config.streams.processingGuarantee).toBe('exactly_once');
    expect(config.secrets.masterKeys).toBeUndefined();
    expect(Object.isFrozen(config.kafka)).toBe(true);
  });

  it('lets environment variables win over the file, and overrides over both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quintet-config-'));
    const file = join(dir, 'quintet.json');
    writeFileSync(file, JSON.stringify({ kafka: { brokers: ['a:1', 'b:2'] }, topics: { raw: 'from-file', canonical: 'c-file' } }));
    const config = loadConfig({ env: { QUINTET_TOPIC_RAW: 'from-env' }, file, overrides: { 'topics.canonical': 'from-override' } });
    expect(config.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(config.topics.raw).toBe('from-env');
    expect(config.topics.canonical).toBe('from-override');
  });

  it('names the key, the value and what is expected for a wrong value', () => {
    expect(() => loadConfig({ env: { QUINTET_TOPIC_PARTITIONS: 'many' } })).toThrow(
      /topics\.partitions \(QUINTET_TOPIC_PARTITIONS\) = "many": expected an integer from 1 to 10000/,
    );
    expect(() => loadConfig({ env: { QUINTET_PROCESSING_GUARANTEE: 'maybe' } })).toThrow(/one of at_least_once, exactly_once/);
    expect(() => loadConfig({ env: { QUINTET_KAFKA_BROKERS: 'nohostport' } })).toThrow(ConfigurationError);
  });

  it('rejects unknown keys in the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quintet-config-'));
    const file = join(dir, 'quintet.json');
    writeFileSync(file, JSON.stringify({ kafka: { brokerz: 'x:1' } }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/unknown key "kafka.brokerz"/);
  });

  it('never prints a secret, not even in its error message', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const config = loadConfig({ env: { QUINTET_MASTER_KEYS: `k1:${key}`, QUINTET_LOOKUP_KEY: 'hunter2-lookup' } });
    expect(config.secrets.masterKeys?.activeKeyId).toBe('k1');
    const printed = `${JSON.stringify(config)} ${inspect(config, { depth: 10 })} ${String(config.secrets.lookupKey)}`;
    expect(printed).not.toContain(key);
    expect(printed).not.toContain('hunter2-lookup');
    let message = '';
    try {
      loadConfig({ env: { QUINTET_MASTER_KEYS: 'k1:c2hvcnQ=' } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/expected keys of exactly 32 bytes/);
    expect(message).not.toContain('c2hvcnQ=');
  });

  it('requires SASL credentials when a mechanism is set and keeps passwords out of the Redis URL', () => {
    expect(() => loadConfig({ env: { QUINTET_KAFKA_SASL_MECHANISM: 'plain' } })).toThrow(/USERNAME and QUINTET_KAFKA_SASL_PASSWORD/);
    expect(() => loadConfig({ env: { QUINTET_REDIS_URL: 'redis://:pw@127.0.0.1:6379' } })).toThrow(/QUINTET_REDIS_PASSWORD/);
  });

  it('declares every key once with an environment variable and a description', () => {
    const paths = CONFIG_KEYS.map((k) => k.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const k of CONFIG_KEYS) {
      expect(k.env).toMatch(/^QUINTET_[A-Z0-9_]+$/);
      expect(k.description.length).toBeGreaterThan(5);
    }
  });
});
