import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inlineParameters, placeholdersOf, sqlIdentifier, sqlLiteral } from '../../../connectors/clickhouse/sql-literal.js';

/**
 * Reads one single-quoted literal the way the ClickHouse lexer does (backslash escapes, '' as a quote),
 * and returns the decoded value and where the literal ended. Used to prove that every literal is one
 * token that decodes back to the original value, whatever the value contains.
 */
function readStringLiteral(sql: string): { value: string; end: number } {
  expect(sql[0]).toBe("'");
  let out = '';
  let i = 1;
  const named: Record<string, string> = { '0': '\0', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', a: '\x07', v: '\v' };
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === '\\') {
      const next = sql[i + 1] as string;
      if (next === 'x') {
        out += String.fromCharCode(parseInt(sql.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        out += named[next] ?? next;
        i += 2;
      }
    } else if (c === "'") {
      return { value: out, end: i + 1 };
    } else {
      out += c;
      i += 1;
    }
  }
  throw new Error('unterminated literal');
}

const ATTACKS = [
  "'; DROP TABLE events; --",
  "\\'; DROP TABLE events; --",
  "x' OR '1'='1",
  'a\\',
  '\\',
  "''",
  '\0NUL\0',
  'line1\nline2\r\n',
  '/* comment */ -- also comment',
  'tab\there \b\f \x1b[31m',
  '\u007f DEL',
  'unicode: ü 日本 🎉 \u2028 \u2029',
  '{from:UInt64}',
  '`backtick` "double"',
];

describe('sqlLiteral', () => {
  it.each(ATTACKS)('keeps %j inside one literal that decodes to itself', (attack) => {
    const literal = sqlLiteral(attack);
    const { value, end } = readStringLiteral(literal);
    expect(value).toBe(attack);
    expect(end).toBe(literal.length);
    // No raw control character survives (they could break logs or line-based protocols).
    // eslint-disable-next-line no-control-regex
    expect(literal).not.toMatch(/[\u0000-\u001f\u007f]/);
  });

  it('round-trips any well-formed string as a single token', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const literal = sqlLiteral(text);
        const { value, end } = readStringLiteral(literal);
        return value === text && end === literal.length;
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses strings with a lone surrogate instead of rewriting them', () => {
    expect(() => sqlLiteral('a\ud800b')).toThrow(expect.objectContaining({ code: 'SQL_VALUE_INVALID' }));
    expect(() => sqlLiteral('\udc00')).toThrow(expect.objectContaining({ code: 'SQL_VALUE_INVALID' }));
    expect(sqlLiteral('\ud83c\udf89')).toBe("'\ud83c\udf89'");
  });

  it('renders numbers, bigints, booleans, null and arrays', () => {
    expect(sqlLiteral(42)).toBe('42');
    expect(sqlLiteral(-1.5)).toBe('(-1.5)');
    expect(sqlLiteral(1e-7)).toBe('1e-7');
    expect(sqlLiteral(18446744073709551615n)).toBe('18446744073709551615');
    expect(sqlLiteral(-3n)).toBe('(-3)');
    expect(sqlLiteral(true)).toBe('1');
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(['a', 1, null])).toBe("['a', 1, NULL]");
    // `1-{v}` with a negative value must not turn into a `--` comment.
    expect(`1-${sqlLiteral(-1)}`).toBe('1-(-1)');
  });

  it('refuses non-finite numbers and unsupported types', () => {
    expect(() => sqlLiteral(Number.NaN)).toThrow(expect.objectContaining({ code: 'SQL_VALUE_INVALID' }));
    expect(() => sqlLiteral(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ code: 'SQL_VALUE_INVALID' }));
    expect(() => sqlLiteral({} as unknown as string)).toThrow(expect.objectContaining({ code: 'SQL_VALUE_INVALID' }));
  });
});

describe('sqlIdentifier', () => {
  it('accepts plain names only', () => {
    expect(sqlIdentifier('quintet_test_1')).toBe('`quintet_test_1`');
    for (const bad of ['', '1abc', 'a-b', 'a`b', 'a b', "a'; DROP", 'db.table', 'x'.repeat(129), 'ü']) {
      expect(() => sqlIdentifier(bad)).toThrow(expect.objectContaining({ code: 'SQL_IDENTIFIER_INVALID' }));
    }
  });
});

describe('inlineParameters', () => {
  const sql = 'SELECT * FROM t WHERE a = {name:String} AND b >= {from_ms:UInt64} AND c = {name:String} LIMIT {limit:UInt32}';

  it('replaces every placeholder with the literal of its value', () => {
    expect(inlineParameters(sql, { name: "o'brien", from_ms: 1_700_000_000_123, limit: 10 })).toBe(
      "SELECT * FROM t WHERE a = 'o\\'brien' AND b >= 1700000000123 AND c = 'o\\'brien' LIMIT 10",
    );
    expect([...placeholdersOf(sql)]).toEqual([
      ['name', 'String'],
      ['from_ms', 'UInt64'],
      ['limit', 'UInt32'],
    ]);
  });

  it('refuses missing and mistyped values', () => {
    expect(() => inlineParameters(sql, { name: 'x', from_ms: 1 })).toThrow(expect.objectContaining({ code: 'SQL_PLACEHOLDER_INVALID' }));
    expect(() => inlineParameters(sql, { name: 'x', from_ms: '1; DROP TABLE t', limit: 1 })).toThrow(
      expect.objectContaining({ code: 'SQL_PLACEHOLDER_INVALID' }),
    );
    expect(() => inlineParameters(sql, { name: 'x', from_ms: -5, limit: 1 })).toThrow(expect.objectContaining({ code: 'SQL_PLACEHOLDER_INVALID' }));
    expect(() => inlineParameters(sql, { name: 5, from_ms: 1, limit: 1 })).toThrow(expect.objectContaining({ code: 'SQL_PLACEHOLDER_INVALID' }));
    expect(() => placeholdersOf('{a:String} {a:UInt8}')).toThrow(expect.objectContaining({ code: 'SQL_PLACEHOLDER_INVALID' }));
  });
});

describe('inlineParameters with arrays', () => {
  it('inlines Array placeholders element by element and refuses shape mismatches', () => {
    expect(inlineParameters('SELECT has({t:Array(String)}, x)', { t: ["a'", 'b'] })).toBe("SELECT has(['a\\'', 'b'], x)");
    expect(() => inlineParameters('SELECT {t:Array(String)}', { t: 'a' })).toThrow(expect.objectContaining({ code: 'SQL_PLACEHOLDER_INVALID' }));
    expect(() => inlineParameters('SELECT {t:String}', { t: ['a'] })).toThrow(expect.objectContaining({ code: 'SQL_PLACEHOLDER_INVALID' }));
  });
});
