/**
 * Unexpected failures are thrown as QuintetError with a stable, machine-readable `code`.
 * Expected failures (bad input) are not exceptions: they travel as `deadLetter` results (see result.ts).
 * Messages must never contain raw PII or secrets: callers describe *what* is wrong, not the value.
 */
export class QuintetError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QuintetError';
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** A wrong configuration value: names the key, the offending value (unless secret) and what is expected. */
export class ConfigurationError extends QuintetError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFIGURATION_INVALID', message, { details });
    this.name = 'ConfigurationError';
  }
}

export function isQuintetError(error: unknown): error is QuintetError {
  return error instanceof QuintetError;
}
