/**
 * The last gate before an event is canonical: taxonomy (EVENT_NAME_INVALID with a reason), the
 * canonical JSON Schema (SCHEMA_INVALID with the JSON path), and the tracking plan if one is configured.
 *
 * The schema check runs isSurelyCanonical first and ajv only when that is not sure: the decisions and
 * messages are ajv's, the common case skips it (canonical-fast-check.ts).
 */
import { deadLetter, ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent } from '../../schemas/canonical-event.js';
import { canonicalEventValidator, describeAjvError } from '../../schemas/json-schema.js';
import type { TrackingPlan } from '../../schemas/tracking-plan.js';
import { isValidEventName, validateEventName } from '../../schemas/taxonomy.js';
import { isSurelyCanonical } from './canonical-fast-check.js';
import { TranslationReason, TranslationStage } from './reasons.js';

export class CanonicalValidator {
  readonly #validate = canonicalEventValidator();
  readonly #plan: TrackingPlan | undefined;

  constructor(options: { trackingPlan?: TrackingPlan | undefined } = {}) {
    this.#plan = options.trackingPlan;
  }

  validate(event: CanonicalEvent): StepResult<CanonicalEvent> {
    const name = (event as { action?: { name?: unknown } }).action?.name;
    if (typeof name !== 'string' || !isKnownValidName(name)) {
      const check = validateEventName(name);
      return deadLetter(TranslationStage.validate, TranslationReason.EVENT_NAME_INVALID, check.ok ? 'invalid event name' : check.reason, '/action/name');
    }
    if (!isSurelyCanonical(event) && !this.#validate(event)) {
      const { path, message } = describeAjvError(this.#validate.errors?.[0]);
      return deadLetter(TranslationStage.validate, TranslationReason.SCHEMA_INVALID, message, path);
    }
    return this.#plan === undefined ? ok(event) : this.#plan.check(event);
  }
}

/** isValidEventName, remembered: a workload has tens to hundreds of names. Bounded, cleared when full. */
function isKnownValidName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!isValidEventName(name)) return false;
  if (validNames.size >= VALID_NAMES_MAX) validNames.clear();
  validNames.add(name);
  return true;
}
const validNames = new Set<string>();
const VALID_NAMES_MAX = 4096;
