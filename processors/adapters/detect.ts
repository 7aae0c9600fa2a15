/**
 * Format detection (`--from auto`): picks the adapter from the payload's shape and the record's
 * headers. Each rule looks for fields that only that format has together; arrays are judged by their
 * first element (the adapter then checks every element). Order matters only where shapes overlap
 * (documented in docs/adapters.md#detection).
 */
import { looksCanonical } from './canonical.js';
import { hasBinaryCloudEventHeaders, isStructuredCloudEvent } from './cloudevents.js';
import { isObject, type SourceFormat } from './common.js';
import { isMixpanelProfileUpdate } from './mixpanel.js';
import { SEGMENT_TYPES } from './segment.js';

export function detectFormat(payload: unknown, headers: Readonly<Record<string, string>>): SourceFormat | undefined {
  if (hasBinaryCloudEventHeaders(headers)) return 'cloudevents';
  if (Array.isArray(payload)) return payload.length === 0 ? undefined : detectObject(payload[0]);
  return detectObject(payload);
}

function detectObject(value: unknown): SourceFormat | undefined {
  if (!isObject(value)) return undefined;
  if (Array.isArray(value.resourceLogs)) return 'otel';
  if (Array.isArray(value.Records)) return 'cloudtrail';
  if (typeof value.eventSource === 'string' && typeof value.eventName === 'string' && ('eventTime' in value || 'eventVersion' in value)) return 'cloudtrail';
  if (isStructuredCloudEvent(value)) return 'cloudevents';
  if (looksCanonical(value)) return 'canonical';
  if (Array.isArray(value.batch)) return 'segment';
  if (typeof value.type === 'string' && SEGMENT_TYPES.has(value.type) && ('userId' in value || 'anonymousId' in value || 'messageId' in value)) return 'segment';
  if (typeof value.event === 'string' && isObject(value.properties)) return 'mixpanel';
  if (isMixpanelProfileUpdate(value)) return 'mixpanel';
  if (typeof value.event_type === 'string') return 'amplitude';
  if (Array.isArray(value.events) && 'api_key' in value) return 'amplitude';
  if (typeof value.action === 'string' && ('@timestamp' in value || '_document_id' in value || 'actor' in value || 'created_at' in value)) return 'github';
  if (typeof value.type === 'string' && 'date' in value) return 'auth0';
  if (typeof value.log_id === 'string' && isObject(value.data) && typeof value.data.type === 'string') return 'auth0';
  return undefined;
}
