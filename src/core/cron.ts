import { CronExpressionParser } from 'cron-parser';
import { SynqxError } from './errors.js';

/**
 * Cron expressions and time zones for pipeline schedules. The API validates with these and the
 * scheduler computes fire times with them, so what is accepted is exactly what will run.
 *
 * Accepted: 5 fields (minute hour day-of-month month day-of-week) or 6 fields (seconds first), or
 * one of cron-parser's aliases (`@daily`, `@hourly`, …). Time zones are IANA names known to Intl.
 */
export const CRON_MAX_LENGTH = 100;

export type CronCheck = { ok: true; fieldCount: 5 | 6 } | { ok: false; message: string };
export type ZoneCheck = { ok: true; zone: string } | { ok: false; message: string };

const ALIASES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly', '@minutely', '@weekdays', '@weekends']);

export function checkCron(expression: string): CronCheck {
  const expr = expression.trim();
  if (expr === '') return { ok: false, message: 'cron expression is empty' };
  if (expr.length > CRON_MAX_LENGTH) return { ok: false, message: `cron expression is longer than ${CRON_MAX_LENGTH} characters` };
  let fieldCount: 5 | 6 = 6;
  if (expr.startsWith('@')) {
    if (!ALIASES.has(expr.toLowerCase())) return { ok: false, message: `unknown cron alias "${expr}"` };
  } else {
    const fields = expr.split(/\s+/);
    const n = fields.length;
    // cron-parser fills in missing fields silently; a 3- or 4-field typo must not become "every minute".
    if (n !== 5 && n !== 6) return { ok: false, message: `cron expression must have 5 or 6 fields, got ${n}` };
    // Hashed fields (H) pick a random slot per parse unless seeded: the schedule would drift between processes.
    if (fields.some((f) => f.split(/[,/-]/).some((token) => /^h(\(|$)/i.test(token)))) {
      return { ok: false, message: 'hashed (H) cron fields are not supported' };
    }
    fieldCount = n === 5 ? 5 : 6;
  }
  try {
    CronExpressionParser.parse(expr, { tz: 'UTC' }).next();
  } catch (err) {
    return { ok: false, message: `invalid cron expression: ${(err as Error).message}` };
  }
  return { ok: true, fieldCount };
}

export function checkTimeZone(zone: string): ZoneCheck {
  if (zone.trim() === '') return { ok: false, message: 'time zone is empty' };
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    return { ok: true, zone: resolved };
  } catch {
    return { ok: false, message: `unknown time zone "${zone}" (use an IANA name such as "Europe/Berlin" or "UTC")` };
  }
}

/**
 * The next `count` fire times strictly after `after`, computed in `timeZone` (so `0 9 * * *` fires
 * at 09:00 local time on both sides of a DST change). Throws CONFIG_INVALID for a bad expression or zone.
 */
export function nextFireTimes(expression: string, timeZone: string, after: Date, count = 1): Date[] {
  const cron = checkCron(expression);
  if (!cron.ok) throw new SynqxError('CONFIG_INVALID', cron.message);
  const zone = checkTimeZone(timeZone);
  if (!zone.ok) throw new SynqxError('CONFIG_INVALID', zone.message);
  const it = CronExpressionParser.parse(expression.trim(), { tz: zone.zone, currentDate: after });
  const out: Date[] = [];
  for (let i = 0; i < count && it.hasNext(); i++) out.push(it.next().toDate());
  return out;
}

export function nextFireTime(expression: string, timeZone: string, after: Date): Date | undefined {
  return nextFireTimes(expression, timeZone, after, 1)[0];
}
