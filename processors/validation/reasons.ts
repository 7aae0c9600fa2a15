/**
 * Stable reason codes of every rejection made while turning a raw record into canonical events.
 * They appear in dead-letter records, `quintet convert` error lines and metrics labels; never rename
 * one (add new ones instead). Documented in docs/adapters.md.
 */
export const TranslationReason = {
  /** The raw record is larger than limits.maxEventBytes (checked before decoding). */
  EVENT_TOO_LARGE: 'EVENT_TOO_LARGE',
  /** The bytes are not valid UTF-8. */
  UTF8_INVALID: 'UTF8_INVALID',
  /** Not parseable JSON (truncated, trailing garbage, empty). */
  JSON_INVALID: 'JSON_INVALID',
  /** Nesting deeper than limits.maxDepth. */
  DEPTH_EXCEEDED: 'DEPTH_EXCEEDED',
  /** An object with more keys than limits.maxProperties. */
  TOO_MANY_PROPERTIES: 'TOO_MANY_PROPERTIES',
  /** A string (value or key) longer than limits.maxStringLength. */
  STRING_TOO_LONG: 'STRING_TOO_LONG',
  /** A number JSON cannot carry faithfully (overflows to Infinity). */
  NUMBER_INVALID: 'NUMBER_INVALID',
  /** A `__proto__` key: never accepted, so no later copy can pollute a prototype. */
  KEY_FORBIDDEN: 'KEY_FORBIDDEN',
  /** The payload's shape matches no supported format (or not the one requested). */
  FORMAT_UNKNOWN: 'FORMAT_UNKNOWN',
  /** A field the source format requires is missing or has the wrong type. */
  FIELD_INVALID: 'FIELD_INVALID',
  /** A timestamp that cannot be read as a date (or is out of range). */
  TIMESTAMP_INVALID: 'TIMESTAMP_INVALID',
  /**
   * The event time is later than ingestion time plus limits.maxFutureSkewMs (a sender's clock set
   * ahead): Kafka refuses records stamped too far ahead, which would stall the topologies that key
   * their output by event time.
   */
  TIMESTAMP_IN_FUTURE: 'TIMESTAMP_IN_FUTURE',
  /** Nobody to attribute the event to where the source format requires someone. */
  ACTOR_MISSING: 'ACTOR_MISSING',
  /** The event name cannot be mapped to, or is not, `domain.entity.action`. */
  EVENT_NAME_INVALID: 'EVENT_NAME_INVALID',
  /** The produced canonical event does not match the canonical JSON Schema. */
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  /** A tracking plan is configured and does not list this event name. */
  UNPLANNED_EVENT: 'UNPLANNED_EVENT',
  /** A tracking plan is configured and the event carries a property it does not declare. */
  UNPLANNED_PROPERTY: 'UNPLANNED_PROPERTY',
  /** A tracking plan is configured and a property has the wrong type/value. */
  PROPERTY_INVALID: 'PROPERTY_INVALID',
  /** A batch/file holds no events at all. */
  EMPTY_BATCH: 'EMPTY_BATCH',
} as const;
export type TranslationReasonCode = (typeof TranslationReason)[keyof typeof TranslationReason];

/** Stages named in dead-letter results, in pipeline order. */
export const TranslationStage = {
  limits: 'limits',
  parse: 'parse',
  detect: 'detect',
  adapt: 'adapt',
  validate: 'validate',
} as const;
