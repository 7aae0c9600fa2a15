/**
 * The outcome of one processing step. Bad input is an expected outcome, not an exception:
 * a step returns `deadLetter` with a stable reason code and the stage that rejected it,
 * and the topology routes that record to the dead-letter topic and carries on.
 */
export type StepResult<T> = Ok<T> | DeadLetter | Drop;

export interface Ok<T> {
  readonly kind: 'ok';
  readonly value: T;
}

export interface DeadLetter {
  readonly kind: 'deadLetter';
  /** Stable, documented reason code, e.g. `SCHEMA_INVALID`, `EVENT_TOO_LARGE`. */
  readonly code: string;
  /** The processing stage that rejected the record, e.g. `adapt`, `validate`, `pseudonymize`. */
  readonly stage: string;
  /** Human-readable, PII-free explanation. */
  readonly message: string;
  /** Optional JSON path of the offending field (never its value). */
  readonly path?: string;
}

export interface Drop {
  readonly kind: 'drop';
  /** Why the record was deliberately dropped (counted in metrics), e.g. `late`, `filtered`. */
  readonly reason: string;
}

export const ok = <T>(value: T): Ok<T> => ({ kind: 'ok', value });

export const deadLetter = (stage: string, code: string, message: string, path?: string): DeadLetter =>
  path === undefined ? { kind: 'deadLetter', stage, code, message } : { kind: 'deadLetter', stage, code, message, path };

export const drop = (reason: string): Drop => ({ kind: 'drop', reason });

export const isOk = <T>(result: StepResult<T>): result is Ok<T> => result.kind === 'ok';
