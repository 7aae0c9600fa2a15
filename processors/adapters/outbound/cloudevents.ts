/**
 * Canonical → CloudEvents 1.0 (design Part 4.2): the envelope is filled from the canonical event for
 * routing, and `data` is the whole canonical event.
 *
 * Kafka binary content mode (CloudEvents Kafka protocol binding): `ce_id`, `ce_source`, `ce_type`
 * (= action.name), `ce_time` (= event_timestamp), `ce_specversion` "1.0", `ce_subject` (= entity.id
 * when present) and `content-type: application/json`; the record value is the canonical JSON.
 * The headers are built by hand because the ingest writes them on every record (the `cloudevents`
 * package validates each event with a schema, several times slower); the unit tests prove that the
 * package's own Kafka binding reads them back to the same CloudEvent.
 */
import { CloudEvent } from 'cloudevents';
import type { CanonicalEvent } from '../../../schemas/canonical-event.js';

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const CANONICAL_CONTENT_TYPE = 'application/json';

/** The CloudEvents binary-mode headers of a canonical event (string values, ready for kafkajs). */
export function cloudEventHeaders(event: CanonicalEvent): Record<string, string> {
  const headers: Record<string, string> = {
    ce_specversion: CLOUDEVENTS_SPEC_VERSION,
    ce_id: event.id,
    ce_source: event.source,
    ce_type: event.action.name,
    ce_time: event.event_timestamp,
    'content-type': CANONICAL_CONTENT_TYPE,
  };
  const subject = event.entity?.id;
  if (subject !== undefined) headers.ce_subject = subject;
  return headers;
}

export interface KafkaBinaryMessage {
  readonly headers: Record<string, string>;
  readonly value: Buffer;
}

/** Canonical → one Kafka record in CloudEvents binary mode (value = canonical JSON). */
export function toCloudEventsBinary(event: CanonicalEvent): KafkaBinaryMessage {
  return { headers: cloudEventHeaders(event), value: Buffer.from(JSON.stringify(event), 'utf8') };
}

/** Canonical → CloudEvents structured mode (one JSON object), built and validated by the `cloudevents` package. */
export function toCloudEventStructured(event: CanonicalEvent): Record<string, unknown> {
  const ce = new CloudEvent<CanonicalEvent>(
    {
      specversion: CLOUDEVENTS_SPEC_VERSION,
      id: event.id,
      source: event.source,
      type: event.action.name,
      time: event.event_timestamp,
      datacontenttype: CANONICAL_CONTENT_TYPE,
      ...(event.entity?.id === undefined ? {} : { subject: event.entity.id }),
      data: event,
    },
    true,
  );
  return ce.toJSON() as Record<string, unknown>;
}
