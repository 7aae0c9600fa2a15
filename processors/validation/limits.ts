/**
 * Input limits (design Part 8.3, "unbounded metadata"): size checked before decoding, then UTF-8,
 * JSON, and a structural walk for depth, keys per object, string length, non-finite numbers and
 * `__proto__` keys. Every violation is a deadLetter with a stable code; nothing here throws on input.
 *
 * Depth is checked after JSON.parse by an iterative walk: V8's JSON.parse is itself iterative
 * (tested with a million nested arrays), memory is already bounded by maxEventBytes, and the walk is
 * needed anyway for the other limits. Nothing recursive ever touches unchecked input.
 */
import { deadLetter, ok, type StepResult } from '../../core/result.js';
import { TranslationReason, TranslationStage } from './reasons.js';

export interface EventLimits {
  readonly maxEventBytes: number;
  readonly maxProperties: number;
  readonly maxDepth: number;
  readonly maxStringLength: number;
  /** How far an event time may be ahead of ingestion time (ms); default DEFAULT_EVENT_LIMITS'. */
  readonly maxFutureSkewMs?: number;
}

/** The defaults of QuintetConfig.limits (core/config.ts). */
export const DEFAULT_EVENT_LIMITS: EventLimits = Object.freeze({
  maxEventBytes: 1024 * 1024,
  maxProperties: 255,
  maxDepth: 16,
  maxStringLength: 8192,
  maxFutureSkewMs: 10 * 60_000,
});

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Size (before anything else) and UTF-8 validity of a raw record. */
export function decodeRaw(value: Buffer | Uint8Array | string, limits: EventLimits): StepResult<string> {
  if (typeof value === 'string') {
    // A JS string may hold lone surrogates, which UTF-8 cannot carry: same error as bad bytes.
    if (value.length > limits.maxEventBytes || Buffer.byteLength(value, 'utf8') > limits.maxEventBytes) return tooLarge(limits);
    if (!(value as unknown as { isWellFormed(): boolean }).isWellFormed()) return deadLetter(TranslationStage.limits, TranslationReason.UTF8_INVALID, 'text holds unpaired UTF-16 surrogates');
    return ok(value);
  }
  if (value.byteLength > limits.maxEventBytes) return tooLarge(limits);
  try {
    return ok(utf8.decode(value));
  } catch {
    return deadLetter(TranslationStage.limits, TranslationReason.UTF8_INVALID, 'bytes are not valid UTF-8');
  }
}

const tooLarge = (limits: EventLimits) =>
  deadLetter(TranslationStage.limits, TranslationReason.EVENT_TOO_LARGE, `event is larger than ${limits.maxEventBytes} bytes`);

/** JSON.parse without echoing input: V8's messages quote a slice of the text, which may be PII. */
export function parseJson(text: string): StepResult<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = position === undefined ? (text.trim() === '' ? ' (empty)' : '') : ` at position ${position}`;
    return deadLetter(TranslationStage.parse, TranslationReason.JSON_INVALID, `not valid JSON${where}`);
  }
}

/**
 * Walks a parsed JSON value without recursion and checks every limit. Arrays count toward depth but
 * not toward maxProperties (a CloudTrail file legitimately holds many records; size bounds them).
 */
export function checkStructure(root: unknown, limits: EventLimits): StepResult<unknown> {
  const measured = measureStructure(root, limits, limits.maxDepth);
  return measured.kind === 'ok' ? ok(root) : measured;
}

/**
 * OTLP/JSON spends 4 levels per level of a nested attribute (`kvlistValue` → `values` → entry →
 * `value`) and 10 on its envelope (resourceLogs → … → attributes), so it is allowed this depth.
 */
export const otlpDepthAllowance = (limits: EventLimits): number => limits.maxDepth * 4 + 10;

/**
 * The walk behind checkStructure, stopping at `depthCap`; returns the deepest level seen, so the
 * translator can apply a format-specific depth limit after detection without walking twice.
 */
export function measureStructure(root: unknown, limits: EventLimits, depthCap: number): StepResult<number> {
  const result = walkStructure(root, limits, depthCap);
  // The shared stacks keep their slots (no backing store freed and regrown per event, as popping to
  // empty did), but not the values: cleared up to the deepest slot used, they hold none of the payload.
  walkValues.fill(undefined, 0, walkHighWater);
  walkHighWater = 0;
  return result;
}

function walkStructure(root: unknown, limits: EventLimits, depthCap: number): StepResult<number> {
  // Parallel stacks of values and their depths avoid allocating a tuple per node; shared by all calls
  // (the walk is synchronous and never re-entered) and indexed by `top` without changing their length,
  // so a small event allocates no stack at all.
  const values = walkValues;
  const depths = walkDepths;
  let top = 0;
  let highWater = 0;
  values[top] = root;
  depths[top++] = 1;
  let deepest = 0;
  let result: StepResult<number> | undefined;
  while (top > 0) {
    if (top > highWater) highWater = top;
    const value = values[--top];
    const depth = depths[top] as number;
    if (typeof value === 'string') {
      if (value.length > limits.maxStringLength) {
        result = stringTooLong(limits);
        break;
      }
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        result = deadLetter(TranslationStage.limits, TranslationReason.NUMBER_INVALID, 'a number is out of the double range');
        break;
      }
    } else if (value !== null && typeof value === 'object') {
      if (depth > depthCap) {
        result = depthExceeded(depthCap);
        break;
      }
      if (depth > deepest) deepest = depth;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const child: unknown = value[i];
          if (child !== null && typeof child === 'object') {
            values[top] = child;
            depths[top++] = depth + 1;
          } else if (typeof child === 'string' || typeof child === 'number') {
            values[top] = child;
            depths[top++] = depth;
          }
        }
      } else {
        let count = 0;
        for (const key in value) {
          if (!hasOwnProperty.call(value, key)) continue;
          count++;
          if (key === '__proto__') {
            result = deadLetter(TranslationStage.limits, TranslationReason.KEY_FORBIDDEN, 'a "__proto__" key is not accepted');
            break;
          }
          if (key.length > limits.maxStringLength) {
            result = stringTooLong(limits);
            break;
          }
          const child: unknown = (value as Record<string, unknown>)[key];
          if (child !== null && typeof child === 'object') {
            values[top] = child;
            depths[top++] = depth + 1;
          } else if (typeof child === 'string' || typeof child === 'number') {
            values[top] = child;
            depths[top++] = depth;
          }
        }
        if (result !== undefined) break;
        if (count > limits.maxProperties) {
          result = deadLetter(TranslationStage.limits, TranslationReason.TOO_MANY_PROPERTIES, `an object has more than ${limits.maxProperties} properties`);
          break;
        }
      }
    }
  }
  // Slots above `top` may have been filled by the last object or array read.
  walkHighWater = Math.max(highWater, top);
  return result ?? ok(deepest);
}

/**
 * Object.prototype.hasOwnProperty, called on the for-in object with the for-in key: V8 then answers from
 * the enumeration cache without a lookup, which it does not do for Object.hasOwn (5× the cost of the
 * key loop on parsed events). Same answer for an object and a string key. Module-local on purpose: an imported binding of it loses that fast path (measured: 60 against 9 ns an object).
 */
const hasOwnProperty = Object.prototype.hasOwnProperty;

const walkValues: unknown[] = [];
const walkDepths: number[] = [];
/** Slots of walkValues the last walk used (and measureStructure clears). */
let walkHighWater = 0;

export const depthExceeded = (maxDepth: number) =>
  deadLetter(TranslationStage.limits, TranslationReason.DEPTH_EXCEEDED, `nesting deeper than ${maxDepth}`);

const stringTooLong = (limits: EventLimits) =>
  deadLetter(TranslationStage.limits, TranslationReason.STRING_TOO_LONG, `a string is longer than ${limits.maxStringLength} characters`);

/** decodeRaw → parseJson → checkStructure. */
export function parseWithinLimits(value: Buffer | Uint8Array | string, limits: EventLimits): StepResult<unknown> {
  const text = decodeRaw(value, limits);
  if (text.kind !== 'ok') return text;
  const parsed = parseJson(text.value);
  if (parsed.kind !== 'ok') return parsed;
  return checkStructure(parsed.value, limits);
}
