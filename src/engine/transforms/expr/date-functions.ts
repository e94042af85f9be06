import type { Call } from './ast.js';
import { mapCells } from './cells.js';
import type { Bound } from './compile.js';
import { expressionError } from './expr-error.js';
import { constantText, expectArg } from './function-args.js';

/** Timestamps are epoch microseconds in UTC (see values.ts); these work on that, in UTC. */
const US = { ms: 1000, second: 1e6, minute: 6e7, hour: 3.6e9, day: 8.64e10 } as const;

const TRUNC_UNITS = ['microseconds', 'milliseconds', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year', 'decade', 'century'];
const EXTRACT_FIELDS = [
  'year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'milliseconds', 'microseconds', 'dow', 'isodow', 'doy', 'epoch', 'decade', 'century',
];
/** Postgres accepts plurals and a few abbreviations for both. */
const ALIASES: Readonly<Record<string, string>> = {
  years: 'year', months: 'month', weeks: 'week', days: 'day', hours: 'hour', minutes: 'minute', seconds: 'second',
  millisecond: 'milliseconds', microsecond: 'microseconds', us: 'microseconds', ms: 'milliseconds', quarters: 'quarter',
};

const floorDiv = (x: number, d: number) => Math.floor(x / d) * d;

function utcMicros(y: number, m: number, d: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, m, d);
  return date.getTime() * 1000;
}

export function truncate(unit: string, micros: number): number {
  const d = new Date(Math.floor(micros / 1000));
  const y = d.getUTCFullYear();
  switch (unit) {
    case 'microseconds': return micros;
    case 'milliseconds': return floorDiv(micros, US.ms);
    case 'second': return floorDiv(micros, US.second);
    case 'minute': return floorDiv(micros, US.minute);
    case 'hour': return floorDiv(micros, US.hour);
    case 'day': return floorDiv(micros, US.day);
    // ISO weeks start on Monday; 1970-01-01 was a Thursday, hence the 3-day shift.
    case 'week': return floorDiv(micros + 3 * US.day, 7 * US.day) - 3 * US.day;
    case 'month': return utcMicros(y, d.getUTCMonth(), 1);
    case 'quarter': return utcMicros(y, d.getUTCMonth() - (d.getUTCMonth() % 3), 1);
    case 'year': return utcMicros(y, 0, 1);
    case 'decade': return utcMicros(y - (((y % 10) + 10) % 10), 0, 1);
    default: return utcMicros(y - ((((y - 1) % 100) + 100) % 100), 0, 1); // century: 2001, 2101, …
  }
}

function isoWeek(micros: number): number {
  const monday = truncate('week', micros);
  const thursday = new Date((monday + 3 * US.day) / 1000);
  const jan1 = utcMicros(thursday.getUTCFullYear(), 0, 1);
  return Math.floor((thursday.getTime() * 1000 - jan1) / (7 * US.day)) + 1;
}

export function extractField(field: string, micros: number): number {
  const d = new Date(Math.floor(micros / 1000));
  const y = d.getUTCFullYear();
  const sub = micros - floorDiv(micros, US.minute);
  switch (field) {
    case 'year': return y;
    case 'quarter': return Math.floor(d.getUTCMonth() / 3) + 1;
    case 'month': return d.getUTCMonth() + 1;
    case 'week': return isoWeek(micros);
    case 'day': return d.getUTCDate();
    case 'hour': return d.getUTCHours();
    case 'minute': return d.getUTCMinutes();
    case 'second': return sub / 1e6;
    case 'milliseconds': return sub / 1e3;
    case 'microseconds': return sub;
    case 'dow': return d.getUTCDay();
    case 'isodow': return d.getUTCDay() || 7;
    case 'doy': return Math.floor((truncate('day', micros) - utcMicros(y, 0, 1)) / US.day) + 1;
    case 'epoch': return micros / 1e6;
    case 'decade': return Math.floor(y / 10);
    default: return Math.floor((y - 1) / 100) + 1; // century
  }
}

function unitArg(e: Call, args: Bound[], known: string[], what: string): string | null {
  const raw = constantText(e, args, 0, `the ${what}`);
  if (raw === null) return null;
  const lower = raw.toLowerCase();
  const unit = ALIASES[lower] ?? lower;
  if (!known.includes(unit)) throw expressionError('expression_type', e.args[0]!.pos, `unknown ${what} '${raw}'`, known);
  return unit;
}

export function bindDateCall(e: Call, args: Bound[]): Bound | undefined {
  if (e.name !== 'date_trunc' && e.name !== 'extract' && e.name !== 'date_part') return undefined;
  const trunc = e.name === 'date_trunc';
  const unit = unitArg(e, args, trunc ? TRUNC_UNITS : EXTRACT_FIELDS, trunc ? 'date_trunc unit' : `${e.name} field`);
  expectArg(e, args, 1, 'time');
  const type = trunc ? 'time' : 'num';
  if (unit === null) {
    const nothing = { s: true, type, value: null } as const;
    return { type, constant: nothing, eval: () => nothing };
  }
  const fn = trunc ? truncate : extractField;
  return { type, eval: (f) => mapCells([args[1]!.eval(f)], f.n, type, true, ([ts]) => fn(unit, ts as number)) };
}
