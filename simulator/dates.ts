// The simulator's date handling: the usage period a query asks for (ISO 8601 dates, RFC 3339 date-times), its default, and the non-ISO format of the non-iso-date mode.
import type { UsagePeriod } from './customers';

/** A usage period, or why the query does not give one (answered as 400). */
export type PeriodOrProblem = { ok: true; period: UsagePeriod } | { ok: false; message: string };

/** The default usage period: the first day of the current UTC month to the end of today (UTC). */
export function defaultPeriod(now: Date): UsagePeriod {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return {
    start: new Date(Date.UTC(year, month, 1)).toISOString(),
    end: new Date(Date.UTC(year, month, now.getUTCDate(), 23, 59, 59)).toISOString(),
  };
}

/**
 * The usage period `start_date` and `end_date` ask for (each defaulting to `defaultPeriod(now)`'s), as two instants;
 * a problem naming the parameter when one is not a date, is given twice, or the start is after the end.
 */
export function requestedPeriod(startDate: unknown, endDate: unknown, now: Date): PeriodOrProblem {
  const fallback = defaultPeriod(now);
  const start = dateParameter(startDate, 'start_date', 'start');
  const end = dateParameter(endDate, 'end_date', 'end');
  for (const parsed of [start, end]) {
    if (parsed.kind === 'invalid') return { ok: false, message: parsed.message };
  }
  const period = {
    start: start.kind === 'given' ? start.iso : fallback.start,
    end: end.kind === 'given' ? end.iso : fallback.end,
  };
  if (Date.parse(period.start) > Date.parse(period.end)) {
    const endName = end.kind === 'given' ? 'end_date' : 'the default end_date (today)';
    return { ok: false, message: `start_date (${period.start}) must not be after ${endName} (${period.end})` };
  }
  return { ok: true, period };
}

type DateParameter = { kind: 'absent' } | { kind: 'given'; iso: string } | { kind: 'invalid'; message: string };

const dateOnlyPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** Reads an ISO 8601 date or RFC 3339 date-time; a date-only start means 00:00:00.000Z, a date-only end 23:59:59.000Z. */
function dateParameter(raw: unknown, name: string, bound: 'start' | 'end'): DateParameter {
  if (raw === undefined) return { kind: 'absent' };
  if (typeof raw !== 'string') return { kind: 'invalid', message: `${name} must be given once, as a single ISO 8601 date or date-time` };
  const invalid: DateParameter = {
    kind: 'invalid',
    message: `${name} must be an ISO 8601 date (YYYY-MM-DD) or RFC 3339 date-time, not ${JSON.stringify(raw.slice(0, 40))}`,
  };
  const dateOnly = dateOnlyPattern.exec(raw);
  if (dateOnly) {
    if (!isCalendarDate(dateOnly[1], dateOnly[2], dateOnly[3])) return invalid;
    return { kind: 'given', iso: `${raw}T${bound === 'start' ? '00:00:00' : '23:59:59'}.000Z` };
  }
  const dateTime = dateTimePattern.exec(raw);
  if (!dateTime) return invalid;
  const [, year, month, day, hour, minute, second, , offsetHour, offsetMinute] = dateTime;
  const inRange = (value: string | undefined, max: number): boolean => value === undefined || Number(value) <= max;
  if (
    !isCalendarDate(year, month, day) ||
    !inRange(hour, 23) ||
    !inRange(minute, 59) ||
    !inRange(second, 59) ||
    !inRange(offsetHour, 23) ||
    !inRange(offsetMinute, 59)
  ) {
    return invalid;
  }
  const instant = Date.parse(raw.toUpperCase());
  if (Number.isNaN(instant)) return invalid;
  const iso = new Date(instant).toISOString();
  // An offset can push year 0000 or 9999 out of the four-digit range, which is no longer RFC 3339.
  if (!/^\d{4}-/.test(iso)) return invalid;
  return { kind: 'given', iso };
}

function isCalendarDate(year: string | undefined, month: string | undefined, day: string | undefined): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
  return d <= daysInMonth;
}

/** "2024-01-15T09:00:00.000Z" → "15/01/2024 09:00:00" (UTC): the format the non-iso-date mode serves. */
export function nonIsoDate(iso: string): string {
  const date = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${pad(date.getUTCMonth() + 1)}/${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  );
}
