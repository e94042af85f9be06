import { expressionError } from './expr-error.js';

export type TokenKind =
  | 'ident' // bare name: age, country
  | 'quoted_ident' // "Mixed Case" or `pandas name`
  | 'number'
  | 'string' // 'single quoted'
  | 'keyword'
  | 'op'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Keywords are lower-cased; operators are canonical (`==` → `=`, `<>` → `!=`, `&` → `and`, …). */
  value: string;
  /** The source text of the token. */
  text: string;
  pos: number;
  end: number;
}

/**
 * Reserved words, case-insensitive: quote them ("end") to use them as column names.
 */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'not', 'is', 'null', 'true', 'false', 'in', 'between', 'like', 'ilike', 'escape',
  'case', 'when', 'then', 'else', 'end', 'cast', 'as',
]);

// Longest first so that `<=` wins over `<`.
const OPERATORS: readonly [string, string][] = [
  ['==', '='], ['!=', '!='], ['<>', '!='], ['<=', '<='], ['>=', '>='], ['||', '||'],
  ['=', '='], ['<', '<'], ['>', '>'], ['+', '+'], ['-', '-'], ['*', '*'], ['/', '/'], ['%', '%'],
  ['(', '('], [')', ')'], ['[', '['], [']', ']'], [',', ','], ['&', 'and'], ['|', 'or'], ['~', 'not'],
];

const isIdentStart = (c: string) => /[A-Za-z_\u00C0-\uFFFF]/.test(c);
const isIdentPart = (c: string) => /[A-Za-z0-9_$\u00C0-\uFFFF]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/**
 * 'sql' (default): "double quotes" name a column, as in SQL. 'pandas' (the original SynqX's
 * `filter_query`, a pandas DataFrame.query string): "double quotes" are a string like 'single' ones,
 * and only `backticks` name a column.
 */
export type Dialect = 'sql' | 'pandas';

export function tokenize(src: string, dialect: Dialect = 'sql'): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      i = scanNumber(src, i);
      const text = src.slice(start, i);
      if (isIdentStart(src[i] ?? '')) throw expressionError('expression_syntax', i, `unexpected '${src[i]}' after number ${text}`);
      tokens.push({ kind: 'number', value: text, text, pos: start, end: i });
      continue;
    }
    if (c === "'" || (c === '"' && dialect === 'pandas')) {
      const [value, end] = scanQuoted(src, i, c, 'string');
      i = end;
      tokens.push({ kind: 'string', value, text: src.slice(start, i), pos: start, end: i });
      continue;
    }
    if (c === '"' || c === '`') {
      const [value, end] = scanQuoted(src, i, c, 'quoted name');
      if (value === '') throw expressionError('expression_syntax', start, 'empty quoted column name');
      i = end;
      tokens.push({ kind: 'quoted_ident', value, text: src.slice(start, i), pos: start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src[i]!)) i++;
      const text = src.slice(start, i);
      const lower = text.toLowerCase();
      tokens.push({ kind: KEYWORDS.has(lower) ? 'keyword' : 'ident', value: KEYWORDS.has(lower) ? lower : text, text, pos: start, end: i });
      continue;
    }
    const op = OPERATORS.find(([spelling]) => src.startsWith(spelling, i));
    if (!op) throw expressionError('expression_syntax', i, `unexpected character '${c}'`);
    i += op[0].length;
    const kind = op[1] === 'and' || op[1] === 'or' || op[1] === 'not' ? 'keyword' : 'op';
    tokens.push({ kind, value: op[1], text: op[0], pos: start, end: i });
  }
  tokens.push({ kind: 'eof', value: '', text: '', pos: src.length, end: src.length });
  return tokens;
}

function scanNumber(src: string, i: number): number {
  while (isDigit(src[i] ?? '')) i++;
  if (src[i] === '.') {
    i++;
    while (isDigit(src[i] ?? '')) i++;
  }
  if (src[i] === 'e' || src[i] === 'E') {
    let j = i + 1;
    if (src[j] === '+' || src[j] === '-') j++;
    if (isDigit(src[j] ?? '')) {
      i = j;
      while (isDigit(src[i] ?? '')) i++;
    }
  }
  return i;
}

/** A quote inside is written twice (`'it''s'`, `"a ""b"""`), as in SQL; there are no backslash escapes. */
function scanQuoted(src: string, i: number, quote: string, what: string): [string, number] {
  const start = i;
  let value = '';
  i++;
  for (;;) {
    const next = src.indexOf(quote, i);
    if (next < 0) throw expressionError('expression_syntax', start, `unterminated ${what}`, [`closing ${quote}`]);
    value += src.slice(i, next);
    if (src[next + 1] === quote) {
      value += quote;
      i = next + 2;
      continue;
    }
    return [value, next + 1];
  }
}
