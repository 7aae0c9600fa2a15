/**
 * The one place that turns QuintetConfig into a kafkajs client: brokers, client id, TLS, SASL.
 *
 * Secrets leave their `Secret` wrapper only here, inside the object handed to kafkajs, and never
 * reach a log line: kafkajs' own logs are routed to our structured logger through a log creator
 * that drops connection options and redacts any occurrence of the SASL password.
 */
// kafkajs through ./kafkajs.js: our work-arounds for kafkajs 2.2.4 are installed before it loads.
import type { KafkaConfig, LogEntry, SASLOptions } from 'kafkajs';
import { Kafka, logLevel as KafkaLogLevel } from './kafkajs.js';
import type { Logger } from 'pino';
import type { QuintetConfig } from '../../core/config.js';
import { silentLogger } from '../../core/logger.js';

export interface KafkaClientOptions {
  /** Suffix appended to the configured client id (e.g. `streams-myapp`), so brokers can tell clients apart. */
  readonly clientIdSuffix?: string;
  /** Where kafkajs logs go; defaults to a silent logger (library use). */
  readonly logger?: Logger;
  /** Most verbose kafkajs level forwarded; kafkajs is chatty at info (every join, every pause). */
  readonly kafkaLogLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** kafkajs request timeout; the default (30 s) is fine for the local stack. */
  readonly requestTimeoutMs?: number;
}

const LEVELS: Record<NonNullable<KafkaClientOptions['kafkaLogLevel']>, KafkaLogLevel> = {
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/** Fields of kafkajs log entries that may carry connection options (and so credentials) or payloads. */
const DROPPED_FIELDS = new Set(['sasl', 'ssl', 'password', 'authenticationProvider', 'messages', 'message', 'value', 'key', 'headers', 'payload']);

export function saslOptions(config: QuintetConfig['kafka']): SASLOptions | undefined {
  const sasl = config.sasl;
  if (sasl === undefined) return undefined;
  const password = sasl.password.reveal();
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username: sasl.username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username: sasl.username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username: sasl.username, password };
  }
}

/** Makes a kafkajs log entry safe to print: no connection options, no payloads, no password text. */
export function sanitizeLogEntry(entry: LogEntry['log'], secrets: readonly string[]): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  const scrub = (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    let text = value;
    for (const secret of secrets) if (secret !== '') text = text.split(secret).join('[redacted]');
    return text;
  };
  for (const [name, value] of Object.entries(entry)) {
    if (DROPPED_FIELDS.has(name) || name === 'timestamp' || name === 'level' || name === 'logger') continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) continue; // nested request/response objects
    clean[name] = scrub(value);
  }
  clean.msg = scrub(entry.message);
  return clean;
}

/** kafkajs log creator writing to a pino logger, one structured line per entry. */
export function kafkaLogCreator(logger: Logger, secrets: readonly string[]) {
  return () =>
    ({ namespace, level, log }: LogEntry): void => {
      const fields = sanitizeLogEntry(log, secrets);
      const { msg, ...rest } = fields;
      const line = { kafkajs: namespace, ...rest };
      const text = typeof msg === 'string' ? msg : 'kafkajs';
      // Per-task transactional producers keep bounded retries on purpose (a failed transaction is
      // aborted and the task re-initialised); kafkajs warns about that for every producer.
      if (text.startsWith('Limiting retries for the idempotent producer')) logger.debug(line, text);
      else if (level === KafkaLogLevel.ERROR) logger.error(line, text);
      else if (level === KafkaLogLevel.WARN) logger.warn(line, text);
      else if (level === KafkaLogLevel.INFO) logger.info(line, text);
      else logger.debug(line, text);
    };
}

/** The kafkajs client configuration, without creating a client (exposed for tests). */
export function kafkaClientConfig(config: QuintetConfig, options: KafkaClientOptions = {}): KafkaConfig {
  const logger = options.logger ?? silentLogger();
  const secrets = config.kafka.sasl === undefined ? [] : [config.kafka.sasl.password.reveal()];
  const clientId = options.clientIdSuffix === undefined ? config.kafka.clientId : `${config.kafka.clientId}-${options.clientIdSuffix}`;
  const sasl = saslOptions(config.kafka);
  return {
    clientId,
    brokers: [...config.kafka.brokers],
    ssl: config.kafka.ssl,
    ...(sasl === undefined ? {} : { sasl }),
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionTimeout: 3_000,
    logLevel: LEVELS[options.kafkaLogLevel ?? 'warn'],
    logCreator: kafkaLogCreator(logger, secrets),
    retry: { initialRetryTime: 100, retries: 8 },
  };
}

/** A kafkajs client for the configured cluster. */
export function createKafkaClient(config: QuintetConfig, options: KafkaClientOptions = {}): Kafka {
  return new Kafka(kafkaClientConfig(config, options));
}
