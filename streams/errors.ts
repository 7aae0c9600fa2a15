/**
 * Errors of the streams runtime and the error-handler policy at each boundary of a task.
 *
 * Kafka Streams has a handler per boundary (deserialization, processing, production) that answers
 * CONTINUE or FAIL. Here `continue` means: send the input record to the dead-letter topic with a
 * reason code, the stage and its source coordinates, count it, and go on with the next record;
 * `fail` means: throw a typed StreamsError out of `StreamTask.process`, so the engine stops the task
 * without committing (the record is processed again after restart).
 */
import { QuintetError } from '../core/errors.js';

export type StreamsErrorCode =
  | 'STREAMS_DESERIALIZATION_FAILED'
  | 'STREAMS_PROCESSING_FAILED'
  | 'STREAMS_PRODUCTION_FAILED'
  | 'STREAMS_TOPOLOGY_INVALID'
  | 'STREAMS_NOT_COPARTITIONED'
  | 'STREAMS_STORE_NOT_FOUND'
  | 'STREAMS_UNKNOWN_TOPIC'
  | 'STREAMS_TASK_STATE'
  | 'STREAMS_ASYNC_IN_SYNC_DRIVER'
  | 'STREAMS_RESTORE_FAILED'
  | 'STREAMS_OUTPUT_EMPTY';

export class StreamsError extends QuintetError {
  declare readonly code: StreamsErrorCode;
  constructor(code: StreamsErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'StreamsError';
  }
}

/** A handler decided `fail`: the task must stop. Never caught by another handler on the way up. */
export class StreamsFatalError extends StreamsError {
  constructor(code: StreamsErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'StreamsFatalError';
  }
}

export type ErrorStage = 'deserialization' | 'processing' | 'production';
export type ErrorHandlerResponse = 'continue' | 'fail';

/** What a handler is told. No record content: messages and logs must stay free of PII. */
export interface ErrorContext {
  readonly stage: ErrorStage;
  readonly error: unknown;
  readonly taskId: string;
  /** The processor node (processing) or sink node (production) where it happened. */
  readonly nodeName: string | undefined;
  /** Source coordinates of the input record, when the failure happened while processing one. */
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: string | undefined;
}

export type ErrorHandler = (context: ErrorContext) => ErrorHandlerResponse;

export interface ErrorHandlers {
  /** Default `continue`: undecodable input is expected bad input, it goes to the dead-letter topic. */
  readonly deserialization?: ErrorHandler;
  /** Default `fail`: an exception in a processor is a bug, not bad input. */
  readonly processing?: ErrorHandler;
  /** Default `fail`: an output that cannot be serialized or produced. */
  readonly production?: ErrorHandler;
}

export const continueOnError: ErrorHandler = () => 'continue';
export const failOnError: ErrorHandler = () => 'fail';

export const DEFAULT_ERROR_HANDLERS: Required<ErrorHandlers> = {
  deserialization: continueOnError,
  processing: failOnError,
  production: failOnError,
};

/** Stable dead-letter reason codes for each boundary. */
export const DEAD_LETTER_CODES = {
  deserialization: 'DESERIALIZATION_FAILED',
  processing: 'PROCESSING_FAILED',
  production: 'PRODUCTION_FAILED',
} as const satisfies Record<ErrorStage, string>;

export const FATAL_CODES = {
  deserialization: 'STREAMS_DESERIALIZATION_FAILED',
  processing: 'STREAMS_PROCESSING_FAILED',
  production: 'STREAMS_PRODUCTION_FAILED',
} as const satisfies Record<ErrorStage, StreamsErrorCode>;

/** A PII-free description of an error: its class name and code, never its message (which may quote input). */
export function describeError(error: unknown): string {
  if (error instanceof QuintetError) return `${error.name} ${error.code}: ${error.message}`;
  if (error instanceof Error) return error.name;
  return typeof error;
}
