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
 */
import { QuintetError } from '../../core/errors.js';

// In Unicode mode a surrogate pair is one code point, so \p{Cs} matches only lone surrogates.
const LONE_SURROGATE = /\p{Cs}/u;

export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      if (LONE_SURROGATE.test(value)) throw new QuintetError('CHAIN_INPUT_INVALID', 'string with a lone surrogate cannot be canonicalized');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new QuintetError('CHAIN_INPUT_INVALID', 'non-finite number cannot be canonicalized');
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      const record = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const member = record[key];
        if (member === undefined) continue;
        parts.push(`${canonicalJson(key)}:${canonicalJson(member)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new QuintetError('CHAIN_INPUT_INVALID', `a ${typeof value} cannot be canonicalized as JSON`);
  }
}
