import { Writable } from 'node:stream';
import { logLevel } from '../../../connectors/kafka/kafkajs.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import { createLogger } from '../../../core/logger.js';
import { kafkaClientConfig, sanitizeLogEntry } from '../../../connectors/kafka/client.js';

const PASSWORD = 'hunter2-super-secret';

const saslConfig = () =>
  loadConfig({
    env: {},
    overrides: {
      'kafka.brokers': 'broker-a:9093,broker-b:9093',
      'kafka.ssl': 'true',
      'kafka.saslMechanism': 'scram-sha-512',
      'kafka.saslUsername': 'quintet-app',
      'kafka.saslPassword': PASSWORD,
    },
  });

describe('kafka client configuration', () => {
  it('maps brokers, TLS and SASL from the configuration, revealing the password only to kafkajs', () => {
    const config = kafkaClientConfig(saslConfig(), { clientIdSuffix: 'streams-app' });
    expect(config.brokers).toEqual(['broker-a:9093', 'broker-b:9093']);
    expect(config.ssl).toBe(true);
    expect(config.clientId).toBe('quintet-streams-app');
    expect(config.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'quintet-app', password: PASSWORD });
  });

  it('has no SASL section when no mechanism is configured', () => {
    const config = kafkaClientConfig(loadConfig({ env: {} }));
    expect(config.sasl).toBeUndefined();
    expect(config.ssl).toBe(false);
  });

  it('never prints the password, connection options or payloads in kafkajs log lines', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({ level: 'debug', destination });
    const config = kafkaClientConfig(saslConfig(), { logger, kafkaLogLevel: 'debug' });
    const log = (config.logCreator as NonNullable<typeof config.logCreator>)(logLevel.DEBUG);
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: 'now',
        message: `SASL SCRAM authentication failed for password ${PASSWORD}`,
        broker: 'broker-a:9093',
        sasl: { mechanism: 'scram-sha-512', username: 'quintet-app', password: PASSWORD },
        value: 'raw event body',
      },
    });
    const output = lines.join('');
    expect(output).toContain('broker-a:9093');
    expect(output).toContain('SASL SCRAM authentication failed');
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain('raw event body');
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 'error', kafkajs: 'Connection' });
  });

  it('sanitizes nested objects away and scrubs secrets in strings', () => {
    const clean = sanitizeLogEntry({ timestamp: 't', message: 'x secret-y', nested: { a: 1 }, retryCount: 2 } as never, ['secret-y']);
    expect(clean).toEqual({ msg: 'x [redacted]', retryCount: 2 });
  });
});
