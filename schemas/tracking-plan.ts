/**
 * Tracking plans (after Segment Protocols and RudderStack tracking plans): the list of event names a
 * workspace allows and, per event, a JSON Schema of its properties. When configured, the ingest
 * rejects events the plan does not list (UNPLANNED_EVENT), properties it does not declare
 * (UNPLANNED_PROPERTY) and properties of the wrong type (PROPERTY_INVALID).
 *
 * File format (JSON), documented in docs/canonical-model.md#tracking-plans:
 *   { "version": 1,
 *     "events": {
 *       "analytics.order.completed": { "description": "…", "properties": { <JSON Schema of properties> } },
 *       "aws.*": {} } }
 * A name may be a routing pattern (`aws.*`), so whole families can be allowed; exact names win.
 * A properties schema that declares `properties` but says nothing about `additionalProperties` is
 * closed (additionalProperties: false): undeclared properties are "unplanned".
 * The plan checks `context.domain_specific.analytics.properties` (absent = `{}`).
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { deadLetter, ok, type StepResult } from '../core/result.js';
import { QuintetError } from '../core/errors.js';
import type { CanonicalEvent } from './canonical-event.js';
import { createAjv } from './json-schema.js';
import { EventNamePattern, validateEventName } from './taxonomy.js';

interface PlannedEvent {
  readonly validate: ValidateFunction | undefined;
}

const EMPTY = Object.freeze({});

export class TrackingPlan {
  readonly #exact = new Map<string, PlannedEvent>();
  readonly #patterns: Array<[EventNamePattern, PlannedEvent]> = [];

  private constructor() {}

  /** Builds a plan from its parsed JSON; throws QuintetError(TRACKING_PLAN_INVALID) on a bad plan. */
  static fromJson(document: unknown): TrackingPlan {
    const invalid = (message: string): never => {
      throw new QuintetError('TRACKING_PLAN_INVALID', `tracking plan: ${message}`);
    };
    if (document === null || typeof document !== 'object' || Array.isArray(document)) return invalid('expected a JSON object');
    const { version, events } = document as { version?: unknown; events?: unknown };
    if (version !== undefined && version !== 1) invalid('version must be 1');
    if (events === null || typeof events !== 'object' || Array.isArray(events)) return invalid('"events" must be an object of event names');
    const plan = new TrackingPlan();
    const ajv = createAjv();
    for (const [name, spec] of Object.entries(events as Record<string, unknown>)) {
      if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) invalid(`event "${name}" must map to an object`);
      const properties = (spec as { properties?: unknown }).properties;
      let validate: ValidateFunction | undefined;
      if (properties !== undefined) {
        if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) invalid(`event "${name}": "properties" must be a JSON Schema object`);
        const schema = { ...(properties as Record<string, unknown>) };
        if (schema.properties !== undefined && schema.additionalProperties === undefined) schema.additionalProperties = false;
        schema.type ??= 'object';
        try {
          validate = ajv.compile(schema);
        } catch (error) {
          invalid(`event "${name}": properties schema does not compile: ${(error as Error).message}`);
        }
      }
      const planned: PlannedEvent = { validate };
      if (name.includes('*')) {
        try {
          plan.#patterns.push([EventNamePattern.compile(name), planned]);
        } catch (error) {
          invalid((error as Error).message);
        }
      } else {
        const check = validateEventName(name);
        if (!check.ok) invalid(`"${name}": ${check.reason}`);
        plan.#exact.set(name, planned);
      }
    }
    return plan;
  }

  get eventNames(): string[] {
    return [...this.#exact.keys(), ...this.#patterns.map(([p]) => p.pattern)];
  }

  #lookup(name: string): PlannedEvent | undefined {
    const exact = this.#exact.get(name);
    if (exact !== undefined) return exact;
    for (const [pattern, planned] of this.#patterns) if (pattern.matches(name)) return planned;
    return undefined;
  }

  check(event: CanonicalEvent): StepResult<CanonicalEvent> {
    const planned = this.#lookup(event.action.name);
    if (planned === undefined) return deadLetter('validate', 'UNPLANNED_EVENT', 'event name is not in the tracking plan', '/action/name');
    if (planned.validate === undefined) return ok(event);
    const properties = event.context?.domain_specific?.analytics?.properties ?? EMPTY;
    if (planned.validate(properties)) return ok(event);
    const error = planned.validate.errors?.[0] as ErrorObject | undefined;
    const path = `/context/domain_specific/analytics/properties${error?.instancePath ?? ''}`;
    if (error?.keyword === 'additionalProperties') {
      const extra = String((error.params as { additionalProperty?: unknown }).additionalProperty ?? '');
      const shown = /^[A-Za-z0-9_$.-]{1,64}$/.test(extra) ? ` "${extra}"` : '';
      return deadLetter('validate', 'UNPLANNED_PROPERTY', `property${shown} is not in the tracking plan`, path);
    }
    return deadLetter('validate', 'PROPERTY_INVALID', `${path}: ${error?.message ?? 'does not match the tracking plan'}`, path);
  }
}
