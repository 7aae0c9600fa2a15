/**
 * Reads `privacy.subject.erased` events (emitted by the ingest topology after crypto-shredding a subject)
 * and returns the erased pseudonyms. The event carries only pseudonyms, never the raw identifier. Accepted
 * places, so that the read models follow the vault's event as it is defined:
 * `entity.id` (when `entity.type` is `subject` or `pseudonym`), `entity.details.pseudonym`,
 * `entity.details.pseudonyms[]`, `context.attributes.pseudonym`, `context.attributes.pseudonyms[]`,
 * `context.attributes.erased_pseudonyms[]`.
 */
import { deadLetter, drop, ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent, JsonValue } from '../../schemas/canonical-event.js';
import { isFeedIdentifier } from '../../connectors/redis/keys.js';
import { EventNamePatternSet } from '../../schemas/taxonomy.js';

export const DEFAULT_ERASURE_EVENTS = ['privacy.subject.erased'] as const;

export class ErasureReader {
  readonly #events: EventNamePatternSet;

  constructor(events: readonly string[] = DEFAULT_ERASURE_EVENTS) {
    this.#events = new EventNamePatternSet(events);
  }

  wants(event: CanonicalEvent): boolean {
    return this.#events.matches(event.action.name);
  }

  erasedPseudonyms(event: CanonicalEvent): StepResult<readonly string[]> {
    if (!this.wants(event)) return drop('not-an-erasure');
    const found = new Set<string>();
    const add = (value: JsonValue | undefined): void => {
      if (typeof value === 'string' && isFeedIdentifier(value)) found.add(value);
      else if (Array.isArray(value)) value.forEach(add);
    };
    if (event.entity?.type === 'subject' || event.entity?.type === 'pseudonym') add(event.entity.id);
    add(event.entity?.details?.pseudonym);
    add(event.entity?.details?.pseudonyms);
    add(event.context?.attributes?.pseudonym);
    add(event.context?.attributes?.pseudonyms);
    add(event.context?.attributes?.erased_pseudonyms);
    if (found.size === 0) {
      return deadLetter('feed-erasure', 'ERASURE_PSEUDONYM_MISSING', 'erasure event carries no well-formed pseudonym', 'entity');
    }
    return ok([...found]);
  }
}
