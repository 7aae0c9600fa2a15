/**
 * CanonicalTranslator: the one entry point the ingest topology (and `quintet convert`) calls to turn
 * one raw record into canonical events:
 *
 *   limits (size before decoding, UTF-8) → parse → structural limits → detect → adapt → validate
 *   (taxonomy + JSON Schema + tracking plan)
 *
 * Pure and synchronous: no I/O, no clock (the caller passes `now`). A record yields many events for
 * batch shapes (CloudTrail `Records`, Segment `batch`, Amplitude `events`, OTLP resourceLogs, arrays);
 * the record is all-or-nothing: one bad element rejects the record, naming the element's path.
 */
import { deadLetter, ok, type StepResult } from '../../core/result.js';
import type { CanonicalEvent } from '../../schemas/canonical-event.js';
import type { TrackingPlan } from '../../schemas/tracking-plan.js';
import { CanonicalValidator } from '../validation/canonical-validator.js';
import { DEFAULT_EVENT_LIMITS, decodeRaw, depthExceeded, type EventLimits, measureStructure, otlpDepthAllowance, parseJson } from '../validation/limits.js';
import { TranslationReason, TranslationStage } from '../validation/reasons.js';
import { adaptAmplitude } from './amplitude.js';
import { adaptAuth0 } from './auth0.js';
import { adaptCanonical } from './canonical.js';
import { adaptCloudEvents } from './cloudevents.js';
import { adaptCloudTrail } from './cloudtrail.js';
import { type Adapter, type AdapterContext, isoFromMs, SOURCE_FORMATS, type SourceFormat } from './common.js';
import { detectFormat } from './detect.js';
import { adaptGitHub } from './github.js';
import { adaptMixpanel } from './mixpanel.js';
import { adaptOtel } from './otel.js';
import { adaptSegment } from './segment.js';

export { SOURCE_FORMATS, type SourceFormat } from './common.js';

export const ADAPTERS: Readonly<Record<SourceFormat, Adapter>> = {
  segment: adaptSegment,
  mixpanel: adaptMixpanel,
  amplitude: adaptAmplitude,
  cloudtrail: adaptCloudTrail,
  auth0: adaptAuth0,
  github: adaptGitHub,
  otel: adaptOtel,
  cloudevents: adaptCloudEvents,
  canonical: adaptCanonical,
};

export type FormatChoice = SourceFormat | 'auto';

export interface TranslatorOptions {
  /** From QuintetConfig.limits; defaults to DEFAULT_EVENT_LIMITS. */
  readonly limits?: EventLimits;
  readonly trackingPlan?: TrackingPlan;
  /** Vendor event name → canonical name, applied before the generic normalization. */
  readonly nameOverrides?: Readonly<Record<string, string>>;
  /** Format used when an input does not say; default `auto`. */
  readonly format?: FormatChoice;
}

export interface TranslationInput {
  readonly value: Buffer | Uint8Array | string;
  /** Kafka/HTTP headers; `ce_*` headers mean CloudEvents binary mode. */
  readonly headers?: Readonly<Record<string, string | Buffer | Uint8Array | undefined>>;
  readonly format?: FormatChoice;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Header names lowercased, values as UTF-8 text. */
function normalizeHeaders(headers: TranslationInput['headers']): Readonly<Record<string, string>> {
  if (headers === undefined) return NO_HEADERS;
  let out: Record<string, string> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    (out ??= {})[name.toLowerCase()] = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
  }
  return out ?? NO_HEADERS;
}

export function isFormatChoice(value: string): value is FormatChoice {
  return value === 'auto' || (SOURCE_FORMATS as readonly string[]).includes(value);
}

export class CanonicalTranslator {
  readonly #limits: EventLimits;
  readonly #validator: CanonicalValidator;
  readonly #overrides: ReadonlyMap<string, string>;
  readonly #format: FormatChoice;
  readonly #maxFutureSkewMs: number;
  // A batch shares one `now`: format it (and the latest event time it allows) once.
  #lastNow = Number.NaN;
  #lastObserved = '';
  #latestAllowedMs = Number.NaN;
  #latestAllowed = '';
  #lastContext: AdapterContext | undefined;

  constructor(options: TranslatorOptions = {}) {
    this.#limits = options.limits ?? DEFAULT_EVENT_LIMITS;
    this.#maxFutureSkewMs = this.#limits.maxFutureSkewMs ?? (DEFAULT_EVENT_LIMITS.maxFutureSkewMs as number);
    this.#validator = new CanonicalValidator({ trackingPlan: options.trackingPlan });
    this.#overrides = new Map(Object.entries(options.nameOverrides ?? {}));
    this.#format = options.format ?? 'auto';
  }

  translate(input: TranslationInput, now: number): StepResult<CanonicalEvent[]> {
    const text = decodeRaw(input.value, this.#limits);
    if (text.kind !== 'ok') return text;
    const parsed = parseJson(text.value);
    if (parsed.kind !== 'ok') return parsed;
    // Walk once with the most generous cap (OTLP's); the format-specific limit is applied after detection.
    const measured = measureStructure(parsed.value, this.#limits, otlpDepthAllowance(this.#limits));
    if (measured.kind !== 'ok') return measured;
    const headers = normalizeHeaders(input.headers);
    const choice = input.format ?? this.#format;
    const format = choice === 'auto' ? detectFormat(parsed.value, headers) : choice;
    if (format === undefined) return deadLetter(TranslationStage.detect, TranslationReason.FORMAT_UNKNOWN, 'payload matches no supported source format');
    const allowed = format === 'otel' ? otlpDepthAllowance(this.#limits) : this.#limits.maxDepth;
    if (measured.value > allowed) return depthExceeded(allowed);
    return this.#adaptAndValidate(parsed.value, format, headers, now);
  }

  /** For callers that already parsed and limit-checked the payload (checkStructure). */
  translateParsed(payload: unknown, now: number, rawHeaders?: TranslationInput['headers'], formatChoice?: FormatChoice): StepResult<CanonicalEvent[]> {
    const headers = normalizeHeaders(rawHeaders);
    const choice = formatChoice ?? this.#format;
    const format = choice === 'auto' ? detectFormat(payload, headers) : choice;
    if (format === undefined) return deadLetter(TranslationStage.detect, TranslationReason.FORMAT_UNKNOWN, 'payload matches no supported source format');
    return this.#adaptAndValidate(payload, format, headers, now);
  }

  #adaptAndValidate(payload: unknown, format: SourceFormat, headers: Readonly<Record<string, string>>, now: number): StepResult<CanonicalEvent[]> {
    if (now !== this.#lastNow) {
      const formatted = isoFromMs(now);
      if (formatted === undefined) throw new RangeError('now must be epoch milliseconds between years 1000 and 9999');
      this.#lastNow = now;
      this.#lastObserved = formatted;
      this.#latestAllowedMs = now + this.#maxFutureSkewMs;
      this.#latestAllowed = isoFromMs(this.#latestAllowedMs) ?? '';
    }
    // One context per batch (same `now`) for records without headers, the usual case.
    let context = this.#lastContext;
    if (context === undefined || context.now !== now || context.headers !== headers) {
      context = { now, observed: this.#lastObserved, nameOverrides: this.#overrides, headers };
      if (headers === NO_HEADERS) this.#lastContext = context;
    }
    const adapted = ADAPTERS[format](payload, context);
    if (adapted.kind !== 'ok') return adapted;
    const events = adapted.value;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as CanonicalEvent;
      const valid = this.#validator.validate(event);
      const checked = valid.kind === 'ok' && this.#isFromTheFuture(event.event_timestamp) ? futureEventTime(this.#maxFutureSkewMs) : valid;
      if (checked.kind !== 'ok') {
        if (checked.kind === 'deadLetter' && events.length > 1) return { ...checked, message: `event ${i}: ${checked.message}` };
        return checked;
      }
    }
    return ok(events);
  }

  /**
   * Whether a (schema-valid) event time is later than `now` plus the allowed skew. Times in UTC with
   * milliseconds (what the adapters write) compare as text; others (an offset) are parsed.
   */
  #isFromTheFuture(eventTimestamp: string): boolean {
    if (eventTimestamp.length === 24 && eventTimestamp.charCodeAt(23) === 90 /* Z */ && this.#latestAllowed.length === 24) return eventTimestamp > this.#latestAllowed;
    return Date.parse(eventTimestamp) > this.#latestAllowedMs;
  }
}

function futureEventTime(maxFutureSkewMs: number): StepResult<never> {
  return deadLetter(
    TranslationStage.validate,
    TranslationReason.TIMESTAMP_IN_FUTURE,
    `event time is more than ${maxFutureSkewMs} ms ahead of ingestion time (limits.maxFutureSkewMs)`,
    '/event_timestamp',
  );
}
