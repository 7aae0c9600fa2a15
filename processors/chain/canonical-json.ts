/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): the deterministic serialization the hash chain covers.
 *
 * - Object members sorted by key, comparing UTF-16 code units (JavaScript's default string order);
 *   members whose value is `undefined` are omitted (they do not exist in JSON).
 * - No whitespace. Strings escaped as ECMAScript JSON.stringify does (which RFC 8785 adopts): `\"`, `\\`,
 *   `\b \f \n \r \t`, other controls as `\u00xx` (lower-case hex), everything else literal.
 * - Numbers as ECMAScript Number.prototype.toString (what JSON.stringify emits; -0 → 0). NaN and
 *   ±Infinity are not JSON and are rejected.
 * - Strings with lone surrogates are rejected: they cannot be encoded as UTF-8, so the Avro form of the
 *   event could not carry the same text the hash covered.
 *
 * This runs once per chained event. Keys are sorted by insertion sort in place: Array.prototype.sort
 * allocated a work array on every object, a fifth of the bytes the ingest hot path allocated.
 */
import { QuintetError } from '../../core/errors.js';

// In Unicode mode a surrogate pair is one code point, so \p{Cs} matches only lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u;

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return canonicalString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new QuintetError('CHAIN_INPUT_INVALID', 'non-finite number cannot be canonicalized');
      // Number.prototype.toString, which is what JSON.stringify writes for a finite number (-0 → "0").
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out += item === undefined ? 'null' : canonicalJson(item);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = sortedInPlace(Object.keys(record));
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        out += first ? memberPrefix(key) : nextMemberPrefix(key);
        first = false;
        out += canonicalJson(member);
      }
      return `${out}}`;
    }
    default:
      throw new QuintetError('CHAIN_INPUT_INVALID', `a ${typeof value} cannot be canonicalized as JSON`);
  }
}

/**
 * `"key":` and `,"key":`, remembered per key: events repeat the same keys, and one Map lookup is cheaper
 * than building the quoted key and its separators again (three concatenations per member). Bounded:
 * a map that fills up is cleared (the text is the same either way).
 */
const MEMBER_PREFIX_MEMO_SIZE = 4_096;
const memberPrefixes = new Map<string, string>();
const nextMemberPrefixes = new Map<string, string>();

const memberPrefix = (key: string): string => rememberedPrefix(memberPrefixes, '', key);
const nextMemberPrefix = (key: string): string => rememberedPrefix(nextMemberPrefixes, ',', key);

function rememberedPrefix(memo: Map<string, string>, separator: string, key: string): string {
  let prefix = memo.get(key);
  if (prefix === undefined) {
    prefix = `${separator}${canonicalString(key)}:`;
    if (memo.size >= MEMBER_PREFIX_MEMO_SIZE) memo.clear();
    memo.set(key, prefix);
  }
  return prefix;
}

/** Above this many keys the built-in sort is faster than insertion sort. */
const INSERTION_SORT_MAX = 24;

/**
 * The keys in RFC 8785's order, UTF-16 code units: `>` on strings compares code units, exactly as the
 * default sort does; the keys of one object are distinct, so stability does not matter.
 */
function sortedInPlace(keys: string[]): string[] {
  if (keys.length > INSERTION_SORT_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function canonicalString(value: string): string {
  // Most strings (keys, ids, names) need no escape and hold no surrogate: quoting them is the whole
  // serialization, and one regex test is cheaper than a call into JSON.stringify.
  if (!NEEDS_CARE.test(value)) return `"${value}"`;
  // Only strings holding a surrogate code unit can hold a lone one.
  if (HAS_SURROGATE.test(value) && LONE_SURROGATE.test(value)) {
    throw new QuintetError('CHAIN_INPUT_INVALID', 'string with a lone surrogate cannot be canonicalized');
  }
  return JSON.stringify(value);
}

const HAS_SURROGATE = /[\ud800-\udfff]/;
/** What JSON.stringify escapes (quote, backslash, C0 controls), plus surrogates (checked above). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;
