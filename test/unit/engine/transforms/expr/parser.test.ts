import test from 'ava';
import { SynqxError } from '../../../../../src/core/errors.js';
import type { ExpressionProblem } from '../../../../../src/engine/transforms/expr/expr-error.js';
import { parseExpression } from '../../../../../src/engine/transforms/expr/parser.js';
import { tokenize } from '../../../../../src/engine/transforms/expr/tokenizer.js';

/** A compact rendering of the AST: precedence and associativity become visible parentheses. */
function show(src: string): string {
  const r = (e: ReturnType<typeof parseExpression>): string => {
    switch (e.kind) {
      case 'column':
        return e.name;
      case 'literal':
        return e.literal.type === 'null' ? 'NULL' : e.literal.type === 'string' ? `'${e.literal.value}'` : String(e.literal.value);
      case 'unary':
        return `(${e.op} ${r(e.operand)})`;
      case 'binary':
        return `(${r(e.left)} ${e.op} ${r(e.right)})`;
      case 'is_null':
        return `(${r(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
      case 'in':
        return `(${r(e.operand)} ${e.negated ? 'NOT ' : ''}IN ${e.list.map(r).join(',')})`;
      case 'between':
        return `(${r(e.operand)} ${e.negated ? 'NOT ' : ''}BETWEEN ${r(e.low)} ${r(e.high)})`;
      case 'like':
        return `(${r(e.operand)} ${e.negated ? 'NOT ' : ''}${e.caseInsensitive ? 'ILIKE' : 'LIKE'} ${r(e.pattern)})`;
      case 'call':
        return `${e.name}(${e.args.map(r).join(',')})`;
      case 'case':
        return `(CASE ${e.whens.map((w) => `WHEN ${r(w.when)} THEN ${r(w.then)}`).join(' ')}${e.otherwise ? ` ELSE ${r(e.otherwise)}` : ''})`;
      case 'cast':
        return `CAST(${r(e.operand)} AS ${e.target})`;
    }
  };
  return r(parseExpression(src));
}

const shapes: [string, string][] = [
  ['a + b * 2', '(a + (b * 2))'],
  ['a - b - c', '((a - b) - c)'],
  ['-a * b', '((- a) * b)'],
  ['a > 1 and b < 2 or c = 3', '(((a > 1) and (b < 2)) or (c = 3))'],
  ['a > 1 or b < 2 and c = 3', '((a > 1) or ((b < 2) and (c = 3)))'],
  ['not a = 1 and b', '((not (a = 1)) and b)'],
  ["age > 28 and country == 'DE'", "((age > 28) and (country = 'DE'))"],
  ["age > 28 & country == 'DE' | vip", "(((age > 28) and (country = 'DE')) or vip)"],
  ['~(a > 1)', '(not (a > 1))'],
  ['a <> 1 and b != 2', '((a != 1) and (b != 2))'],
  ['x IS NOT NULL AND y is null', '((x IS NOT NULL) and (y IS NULL))'],
  ['x not in (1, 2) or x in [3]', '((x NOT IN 1,2) or (x IN 3))'],
  ["c == ['DE', 'FR']", "(c IN 'DE','FR')"],
  ["c != ['DE']", "(c NOT IN 'DE')"],
  ['x between 1 and 2 and y', '((x BETWEEN 1 2) and y)'],
  ['x not between a + 1 and b * 2', '(x NOT BETWEEN (a + 1) (b * 2))'],
  ["s like 'a%' or s not ilike '_b'", "((s LIKE 'a%') or (s NOT ILIKE '_b'))"],
  ['"Mixed Case" = 1 and `pandas col` > 2', '((Mixed Case = 1) and (pandas col > 2))'],
  ['"say ""hi""" = \'it\'\'s\'', "(say \"hi\" = 'it's')"],
  ['TRUE and False or NULL', '((true and false) or NULL)'],
  ['(a + b) * c', '((a + b) * c)'],
  ['1.5e3 > .5', '(1500 > 0.5)'],
  ['COALESCE(a, b + 1, 0) > 2', '(coalesce(a,(b + 1),0) > 2)'],
  ['now()', 'now()'],
  ["extract(Year from ts) > 2000", "(extract('year',ts) > 2000)"],
  ["regexp_replace(lower(s), 'a+', 'b', 'g')", "regexp_replace(lower(s),'a+','b','g')"],
  ['case when a > 1 then x else y end', '(CASE WHEN (a > 1) THEN x ELSE y)'],
  ["CASE c WHEN 'a' THEN 1 WHEN 'b' THEN 2 END", "(CASE WHEN (c = 'a') THEN 1 WHEN (c = 'b') THEN 2)"],
  ['cast(a as integer) + 1', '(CAST(a AS int) + 1)'],
  ['cast(a as double precision)', 'CAST(a AS double)'],
  ['cast(a as numeric(12, 2))', 'CAST(a AS double)'],
  ['cast(a as timestamp with time zone)', 'CAST(a AS timestamp)'],
  ['cast(a as DATE) = d', '(CAST(a AS date) = d)'],
];

for (const [src, expected] of shapes) {
  test(`parses ${src}`, (t) => {
    t.is(show(src), expected);
  });
}

test('nodes carry their source spans', (t) => {
  const e = parseExpression("age > 28 and country == 'DE'");
  t.is(e.kind, 'binary');
  if (e.kind !== 'binary') return;
  t.deepEqual([e.pos, e.end], [0, 28]);
  t.deepEqual([e.right.pos, e.right.end], [13, 28]);
  if (e.right.kind !== 'binary') return t.fail('right side should be a comparison');
  t.is(e.right.opPos, 21);
  t.deepEqual([e.right.right.pos, e.right.right.end], [24, 28]);
});

test('the tokenizer canonicalizes operator spellings and lower-cases keywords', (t) => {
  const values = tokenize('a == 1 && b <> 2 OR c').map((tok) => `${tok.kind}:${tok.value}`);
  t.deepEqual(values.slice(0, 4), ['ident:a', 'op:=', 'number:1', 'keyword:and']);
  t.true(values.includes('op:!='));
  t.true(values.includes('keyword:or'));
});

const syntaxErrors: [string, number, RegExp][] = [
  ['i >', 4, /unexpected end of expression/],
  ['i > > 1', 5, /expected a value, found '>'/],
  ["s = 'abc", 5, /unterminated string/],
  ['i = 1 = 2', 7, /cannot follow a comparison/],
  ['1 < i < 3', 7, /cannot follow a comparison/],
  ['i in ()', 7, /the list is empty/],
  ['i in (1, 2', 11, /expected ',' or '\)'/],
  ['i between 1 or 2', 13, /expected 'and' between the bounds/],
  ['(i > 1', 7, /expected '\)'/],
  ['i > 1 x', 7, /expected an operator or the end of the expression, found column x/],
  ['i # 1', 3, /unexpected character '#'/],
  ['nosuch(s) = 1', 1, /unknown function nosuch\(\); known functions: .*coalesce/],
  ['i = 1 and NoSuch()', 11, /unknown function NoSuch\(\)/],
  ['now(1)', 1, /now\(\) expects 0 arguments, got 1/],
  ['coalesce()', 1, /coalesce\(\) expects at least 1 argument, got 0/],
  ['when = 1', 1, /reserved word/],
  ['case i end', 8, /expected 'when', found 'end'/],
  ['case when i then 1', 19, /expected 'when', 'else' or 'end'/],
  ['cast(i as blob)', 11, /unknown type blob in cast/],
  ['cast(i int)', 8, /expected 'as'/],
  ['coalesce(a, b', 14, /expected ',' or '\)'/],
  ['substr(s)', 1, /substr\(\) expects 2 to 3 arguments, got 1/],
  ['round(1, 2, 3)', 1, /round\(\) expects 1 to 2 arguments, got 3/],
  ['lower(a, b)', 1, /lower\(\) expects 1 argument, got 2/],
  ['extract(year ts)', 14, /expected 'from', found column ts/],
  ['extract(1 from ts)', 9, /expected a field name such as year, found number 1/],
  ['i is 5', 6, /expected 'null'/],
  ['12abc > 1', 3, /unexpected 'a' after number 12/],
  ['"" = 1', 1, /empty quoted column name/],
  ['', 1, /unexpected end of expression/],
  ["a || ", 6, /unexpected end of expression/],
];

for (const [src, position, message] of syntaxErrors) {
  test(`syntax error at ${position}: ${src || '(empty)'}`, (t) => {
    const err = t.throws(() => parseExpression(src));
    t.true(err instanceof SynqxError);
    const e = err as SynqxError;
    t.is(e.code, 'VALIDATION_FAILED');
    t.regex(e.message, message);
    t.regex(e.message, new RegExp(`at position ${position}\\)`));
    const problem = (e.details as ExpressionProblem[])[0]!;
    t.is(problem.position, position);
    t.is(problem.error_type, 'expression_syntax');
  });
}

test('syntax errors list what was expected', (t) => {
  const err = t.throws(() => parseExpression('a and')) as SynqxError;
  const problem = (err.details as ExpressionProblem[])[0]!;
  t.deepEqual(problem.expected, ['a column', 'a literal', '(', 'not', '-']);
});
