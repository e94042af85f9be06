import { SynqxError } from '../../../core/errors.js';
import type { Call } from './ast.js';
import { cellText, mapCells, type Cell } from './cells.js';
import type { Bound } from './compile.js';
import { expressionError } from './expr-error.js';
import { constantText, expectArg } from './function-args.js';

const str = (fn: (s: string) => Cell) => (cells: Cell[]) => fn(cells[0] as string);

/** Postgres spellings of ARE flags that mean the same in JS; `g` is handled apart. */
const REGEX_FLAGS: Readonly<Record<string, string>> = { i: 'i', c: '', n: 'm', s: 's', g: '' };

/** `\1` and `\&` (Postgres) → `$1` and `$&` (JS); a literal `$` must not start a JS group reference. */
export function translateReplacement(r: string): string {
  return r.replace(/\$/g, '$$$$').replace(/\\(\d|&|\\)/g, (_, c: string) => (c === '\\' ? '\\' : c === '&' ? '$&' : `$${c}`));
}

export function bindStringCall(e: Call, args: Bound[]): Bound | undefined {
  const fn = e.name;
  const simple = (f: (s: string) => Cell, type: 'str' | 'num' = 'str'): Bound => {
    expectArg(e, args, 0, 'str');
    return { type, eval: (fr) => mapCells([args[0]!.eval(fr)], fr.n, type, true, str(f)) };
  };
  switch (fn) {
    case 'lower':
      return simple((s) => s.toLowerCase());
    case 'upper':
      return simple((s) => s.toUpperCase());
    case 'trim':
      // SQL trim removes spaces only, not tabs or newlines.
      return simple((s) => s.replace(/^ +| +$/g, ''));
    case 'length':
      return simple((s) => Array.from(s).length, 'num');
    case 'substr':
    case 'substring': {
      expectArg(e, args, 0, 'str');
      expectArg(e, args, 1, 'number');
      if (args[2]) expectArg(e, args, 2, 'number');
      const pos = e.pos;
      return {
        type: 'str',
        eval: (f) =>
          mapCells(args.map((a) => a.eval(f)), f.n, 'str', true, ([s, start, len]) => {
            // Postgres: characters from `start` (1-based, may be ≤ 0) for `len` characters from there.
            const chars = Array.from(s as string);
            const from = Number(start);
            let to = chars.length + 1;
            if (len !== undefined) {
              if (Number(len) < 0) throw new SynqxError('DATA_ERROR', `negative substring length not allowed (at position ${pos + 1})`);
              to = Math.min(to, from + Number(len));
            }
            return chars.slice(Math.max(from, 1) - 1, Math.max(to, 1) - 1).join('');
          }),
      };
    }
    case 'concat':
    // `a || b`: the same text of each value, but like SQL a NULL operand makes the result NULL.
    case '||': {
      const types = args.map((a) => a.type);
      return {
        type: 'str',
        eval: (f) =>
          mapCells(args.map((a) => a.eval(f)), f.n, 'str', fn === '||', (cells) => {
            let out = '';
            cells.forEach((c, j) => {
              // Like Postgres concat(): NULLs are skipped and booleans print as t / f.
              if (c === null) return;
              out += typeof c === 'boolean' ? (c ? 't' : 'f') : cellText(c, types[j]!);
            });
            return out;
          }),
      };
    }
    case 'replace': {
      for (let i = 0; i < 3; i++) expectArg(e, args, i, 'str');
      return {
        type: 'str',
        eval: (f) =>
          mapCells(args.map((a) => a.eval(f)), f.n, 'str', true, ([s, from, to]) => (from === '' ? s : (s as string).split(from as string).join(to as string))),
      };
    }
    case 'regexp_replace':
      return regexpReplace(e, args);
  }
  return undefined;
}

function regexpReplace(e: Call, args: Bound[]): Bound {
  expectArg(e, args, 0, 'str');
  expectArg(e, args, 2, 'str');
  const pattern = constantText(e, args, 1, 'the regexp_replace pattern');
  const flagText = args[3] ? constantText(e, args, 3, 'the regexp_replace flags') : '';
  if (pattern === null || flagText === null) {
    const nothing = { s: true, type: 'str', value: null } as const;
    return { type: 'str', constant: nothing, eval: () => nothing };
  }
  let flags = 'u';
  for (const c of flagText) {
    const js = REGEX_FLAGS[c];
    if (js === undefined) throw expressionError('expression_type', e.args[3]!.pos, `unknown regexp_replace flag '${c}'`, Object.keys(REGEX_FLAGS));
    if (js && !flags.includes(js)) flags += js;
  }
  if (flagText.includes('g')) flags += 'g';
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, flags);
  } catch (err) {
    throw expressionError('expression_type', e.args[1]!.pos, `invalid regular expression: ${(err as Error).message}`, ['a valid regular expression']);
  }
  const fixed = args[2]!.constant;
  const replacement = fixed?.type === 'str' && fixed.value !== null ? translateReplacement(fixed.value) : undefined;
  return {
    type: 'str',
    eval: (f) =>
      mapCells([args[0]!.eval(f), args[2]!.eval(f)], f.n, 'str', true, ([s, r]) => {
        regex.lastIndex = 0;
        return (s as string).replace(regex, replacement ?? translateReplacement(r as string));
      }),
  };
}
