/**
 * Failures at the schema-registry edge, each with a stable code.
 *
 * Messages name the subject, the schema id, the HTTP status and the registry's own error text, never a
 * record's content: Avro validation errors list field paths only, because avsc's own messages quote
 * the offending value (which may be PII).
 */
import { QuintetError } from '../../core/errors.js';

export type SchemaRegistryErrorCode =
  /** The registry did not answer (connection refused, timeout) or answered 5xx. */
  | 'SCHEMA_REGISTRY_UNAVAILABLE'
  /** The registry refused a request for another reason (4xx other than the ones below). */
  | 'SCHEMA_REGISTRY_REQUEST_FAILED'
  /** The registry rejected a new schema version under the subject's compatibility level (HTTP 409). */
  | 'SCHEMA_INCOMPATIBLE'
  /** The registry could not parse the schema (HTTP 422), or it is not an Avro record schema. */
  | 'SCHEMA_INVALID'
  /** No schema with this id, or no such subject/version (HTTP 404). */
  | 'SCHEMA_NOT_FOUND'
  /** A record's bytes are not in the Confluent wire format (too short, or magic byte is not 0). */
  | 'SCHEMA_WIRE_FORMAT_INVALID'
  /** A value does not match the Avro schema it is encoded with. */
  | 'AVRO_VALUE_INVALID'
  /** Avro bytes could not be decoded with their writer schema (truncated or corrupt). */
  | 'AVRO_DECODE_FAILED'
  /** The writer schema cannot be resolved into the reader schema (Avro schema resolution). */
  | 'AVRO_SCHEMAS_INCOMPATIBLE';

export class SchemaRegistryError extends QuintetError {
  declare readonly code: SchemaRegistryErrorCode;
  constructor(code: SchemaRegistryErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(code, message, options);
    this.name = 'SchemaRegistryError';
  }
}
