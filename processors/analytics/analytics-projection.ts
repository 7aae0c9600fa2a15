/**
 * The analytics projection of the canonical Avro schema: the same record names with only the fields
 * the analytics row is made of (AnalyticsEventFields). Used as the reader schema of the analytics
 * topology's value serde, Avro schema resolution then skips every other field of the writer's record
 * without decoding it: no UTF-8 decoding of client data, no JSON.parse of the free-form objects
 * (details, properties, audit request/response, attributes), no chain link. Profiling showed those
 * conversions were the largest cost of the canonical-topic → ClickHouse path (docs/analytics.md).
 *
 * Every projected field is optional with default null in the canonical schema, or required there and
 * kept required here, so the projection reads every writer the canonical schema can read.
 */
import { QuintetError } from '../../core/errors.js';

/** Dotted paths of the canonical event fields that AnalyticsEventFields (analytics-row.ts) reads. */
export const ANALYTICS_EVENT_PATHS: readonly string[] = [
  'id',
  'event_timestamp',
  'observed_timestamp',
  'source',
  'action.name',
  'action.type',
  'actor.type',
  'actor.pseudonym',
  'entity.type',
  'entity.id',
  'context.status',
  'context.error.code',
  'context.telemetry.trace_id',
  'context.telemetry.duration_ms',
];

type AvroSchemaNode = string | AvroSchemaNode[] | { readonly [key: string]: unknown };

interface AvroField {
  readonly name: string;
  readonly type: AvroSchemaNode;
  readonly [key: string]: unknown;
}

const isRecord = (node: AvroSchemaNode): node is { type: 'record'; fields: AvroField[] } =>
  typeof node === 'object' && !Array.isArray(node) && node.type === 'record';

/** Keeps, in a record schema, the fields named by `paths` (dotted, through nested records and `["null", record]` unions). */
export function projectAvroRecord(schema: AvroSchemaNode, paths: readonly string[]): Record<string, unknown> {
  if (!isRecord(schema)) throw new QuintetError('ANALYTICS_PROJECTION_INVALID', 'the projection starts at a record schema');
  const wanted = new Map<string, string[]>();
  for (const path of paths) {
    const [head, ...rest] = path.split('.');
    const children = wanted.get(head as string) ?? [];
    if (rest.length > 0) children.push(rest.join('.'));
    wanted.set(head as string, children);
  }
  const fields: AvroField[] = [];
  for (const field of schema.fields) {
    const children = wanted.get(field.name);
    if (children === undefined) continue;
    wanted.delete(field.name);
    fields.push(children.length === 0 ? field : { ...field, type: projectType(field.type, children, field.name) });
  }
  if (wanted.size > 0) {
    throw new QuintetError('ANALYTICS_PROJECTION_INVALID', `the canonical schema has no field ${[...wanted.keys()].join(', ')}`);
  }
  return { ...schema, fields };
}

function projectType(type: AvroSchemaNode, paths: readonly string[], name: string): AvroSchemaNode {
  if (isRecord(type)) return projectAvroRecord(type, paths);
  if (Array.isArray(type)) {
    const records = type.filter(isRecord);
    if (records.length === 1) return type.map((branch) => (isRecord(branch) ? projectAvroRecord(branch, paths) : branch));
  }
  throw new QuintetError('ANALYTICS_PROJECTION_INVALID', `field ${name} is not a record or an optional record`);
}
