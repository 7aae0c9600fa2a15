/**
 * The ONE place where a value becomes ClickHouse SQL text.
 *
 * ClickHouse 18.16 (Debian's server, used in tests) has no server-side query parameters, so every value
 * that reaches a query is written as a literal. Every such literal is produced here, and nowhere else:
 * callers never concatenate a value into SQL. Identifiers (database and table names) go through
 * `sqlIdentifier`, which accepts only plain names, so that no name can carry SQL either.
 *
 * Escaping follows the ClickHouse lexer for single-quoted strings: a backslash escapes the next
 * character, and `\0 \b \f \n \r \t` name control characters. Every other character below U+0020,
 * DEL, the quote and the backslash is escaped as well; other characters pass through as UTF-8.
 * Strings that are not well-formed UTF-16 (a lone surrogate) are refused instead of being silently
 * rewritten, because a value that cannot round-trip must not be stored as something else.
 */
import { QuintetError } from '../../core/errors.js';

export type SqlScalar = string | number | bigint | boolean | null;
export type SqlValue = SqlScalar | readonly SqlValue[];

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// Control characters, DEL, quote and backslash: everything the lexer could read as something else.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f\u007f'\\]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

function escapeCharacter(character: string): string {
  return NAMED_ESCAPES[character] ?? `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** Quotes a string as a ClickHouse string literal. */
function stringLiteral(value: string): string {
  if (LONE_SURROGATE.test(value)) {
    throw new QuintetError('SQL_VALUE_INVALID', 'string value is not well-formed UTF-16 (lone surrogate)');
  }
  return `'${value.replace(NEEDS_ESCAPE, escapeCharacter)}'`;
}

function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new QuintetError('SQL_VALUE_INVALID', 'number value is not finite');
  // String(number) gives digits, '.', '-', 'e' and '+' only, all of which ClickHouse reads as a number.
  // Negative numbers are parenthesised so that `x-{v}` can never become a `--` comment.
  return value < 0 || Object.is(value, -0) ? `(${String(value)})` : String(value);
}

/** Renders a value as a ClickHouse literal: the only way values enter SQL text. */
export function sqlLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (Array.isArray(value)) return `[${value.map((item: SqlValue) => sqlLiteral(item)).join(', ')}]`;
  switch (typeof value) {
    case 'string':
      return stringLiteral(value);
    case 'number':
      return numberLiteral(value);
    case 'bigint':
      return value < 0n ? `(${value.toString()})` : value.toString();
    case 'boolean':
      return value ? '1' : '0';
    default:
      throw new QuintetError('SQL_VALUE_INVALID', `unsupported SQL value of type ${typeof value}`);
  }
}

/** Backquotes a database, table or column name after checking it is a plain identifier. */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new QuintetError('SQL_IDENTIFIER_INVALID', 'identifier must match [A-Za-z_][A-Za-z0-9_]* (at most 128 characters)', {
      details: { length: name.length },
    });
  }
  return `\`${name}\``;
}

export function isSqlIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** A typed parameter value for a `{name:Type}` placeholder. */
export type QueryParameters = Readonly<Record<string, SqlValue>>;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_]+(?:\([^(){}]*\))?)\}/g;

/** Names and ClickHouse types of the `{name:Type}` placeholders of a query, in order of first use. */
export function placeholdersOf(sql: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of sql.matchAll(PLACEHOLDER)) {
    const [, name, type] = match as unknown as [string, string, string];
    const previous = found.get(name);
    if (previous !== undefined && previous !== type) {
      throw new QuintetError('SQL_PLACEHOLDER_INVALID', `placeholder ${name} is used with two types (${previous}, ${type})`);
    }
    found.set(name, type);
  }
  return found;
}

/**
 * Replaces each `{name:Type}` placeholder (ClickHouse's own query-parameter syntax) with the literal
 * of its value. Used where the server has no query parameters (18.16); on newer servers the same
 * SQL text is sent unchanged with the values as `param_<name>`. Every placeholder needs a value,
 * and integer types take only integers, so a query never runs with a missing or mistyped value.
 */
export function inlineParameters(sql: string, params: QueryParameters): string {
  return sql.replace(PLACEHOLDER, (_whole, name: string, type: string) => {
    if (!Object.prototype.hasOwnProperty.call(params, name)) {
      throw new QuintetError('SQL_PLACEHOLDER_INVALID', `no value for placeholder ${name}`);
    }
    const value = params[name] as SqlValue;
    if (type.startsWith('Array(') !== Array.isArray(value)) {
      throw new QuintetError('SQL_PLACEHOLDER_INVALID', `placeholder ${name} of type ${type} needs ${Array.isArray(value) ? 'a scalar' : 'an array'}`);
    }
    if (/^U?Int\d+$/.test(type)) {
      const integral = typeof value === 'bigint' || (typeof value === 'number' && Number.isSafeInteger(value));
      if (!integral) throw new QuintetError('SQL_PLACEHOLDER_INVALID', `placeholder ${name} of type ${type} needs an integer`);
      if (type.startsWith('U') && (typeof value === 'bigint' ? value < 0n : (value as number) < 0)) {
        throw new QuintetError('SQL_PLACEHOLDER_INVALID', `placeholder ${name} of type ${type} needs a non-negative integer`);
      }
    } else if (type === 'String' && typeof value !== 'string') {
      throw new QuintetError('SQL_PLACEHOLDER_INVALID', `placeholder ${name} of type String needs a string`);
    } else if (/^Float\d+$/.test(type) && typeof value !== 'number') {
      throw new QuintetError('SQL_PLACEHOLDER_INVALID', `placeholder ${name} of type ${type} needs a number`);
    }
    return sqlLiteral(value);
  });
}
