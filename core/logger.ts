/**
 * Structured logs (pino) with a component name on every line. Logs must never carry raw PII or a
 * secret: callers log ids of records (topic/partition/offset, event id, pseudonym), never values.
 * As a second line of defence, known sensitive field names are redacted wherever they appear.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** Field names whose values are replaced by "[redacted]" at any of the first levels of a log object. */
const SENSITIVE_FIELDS = [
  'password',
  'secret',
  'token',
  'authorization',
  'apiKey',
  'api_key',
  'masterKeys',
  'chainKeys',
  'lookupKey',
  'signingKey',
  'email',
  'ip',
  'ip_address',
  'user_agent',
  'userAgent',
  'actor.id',
  'payload',
  'value',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SENSITIVE_FIELDS) {
    paths.push(field, `*.${field}`, `*.*.${field}`);
  }
  return paths;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; defaults to stderr so that stdout stays clean for command output. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'quintet' },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/** A child logger for one component (`ingest`, `vault`, `http`, …). */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}

/** A logger that writes nothing, for tests and library use without configuration. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
