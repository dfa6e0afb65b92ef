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
 * How an implementation reads what the page leaves open about start_date and end_date (each field a faithful reading of
 * "ISO 8601"; the simulator's faithful-variant modes set them). The default, `{}`, is the reference reading.
 */
export interface DateReading {
  /** A repeated parameter: refused (default), or its first or last value taken. */
  repeats?: 'reject' | 'first' | 'last';
  /** `start_date=` (empty) is the parameter left out. */
  emptyIsAbsent?: boolean;
  /** Surrounding whitespace is trimmed. */
  trim?: boolean;
  /** `T24:00:00` is accepted as the end of the day (00:00:00 of the next). */
  hour24?: boolean;
  /** A date-time without a time zone is read as UTC. */
  localAsUtc?: boolean;
  /** Date-times are refused: a date-only API. */
  dateOnly?: boolean;
  /** Offsets other than Z are refused. */
  utcOnly?: boolean;
  /** At most this many fractional digits. */
  maxFractionDigits?: number;
  /** A range longer than this many days is refused. */
  maxRangeDays?: number;
  /** A date after today: refused, or the period clamped to today. */
  future?: 'refuse' | 'clamp';
  /** A date-time range is widened to whole UTC days. */
  wholeDays?: boolean;
}

/**
 * The usage period `start_date` and `end_date` ask for (each defaulting to `defaultPeriod(now)`'s), as two instants;
 * a problem naming the parameter when one is not a date, is given twice, or the start is after the end.
 */
export function requestedPeriod(startDate: unknown, endDate: unknown, now: Date): PeriodOrProblem {
  return readPeriod({})(startDate, endDate, now);
}

const dayMs = 86_400_000;

/** The usage period as an implementation with this reading of the open questions computes it. */
export function readPeriod(reading: DateReading): (startDate: unknown, endDate: unknown, now: Date) => PeriodOrProblem {
  return (startDate, endDate, now) => {
    const fallback = defaultPeriod(now);
    const start = dateParameter(startDate, 'start_date', 'start', reading);
    const end = dateParameter(endDate, 'end_date', 'end', reading);
    for (const parsed of [start, end]) {
      if (parsed.kind === 'invalid') return { ok: false, message: parsed.message };
    }
    let from = Date.parse(start.kind === 'given' ? start.iso : fallback.start);
    let to = Date.parse(end.kind === 'given' ? end.iso : fallback.end);
    const endOfToday = Date.parse(fallback.end);
    // A range that ends before it starts is refused as asked, before any reading clamps or widens it into a valid one.
    if (from > to) {
      const endName = end.kind === 'given' ? 'end_date' : 'the default end_date (today)';
      return { ok: false, message: `start_date (${new Date(from).toISOString()}) must not be after ${endName} (${new Date(to).toISOString()})` };
    }
    if (reading.future === 'refuse' && (from > endOfToday || to > endOfToday)) {
      return { ok: false, message: `start_date and end_date must not be after today (${fallback.end.slice(0, 10)})` };
    }
    if (reading.future === 'clamp') {
      to = Math.min(to, endOfToday);
      from = Math.min(from, to);
    }
    if (reading.wholeDays) {
      from = Math.floor(from / dayMs) * dayMs;
      to = Math.floor(to / dayMs) * dayMs + dayMs - 1000;
    }
    if (reading.maxRangeDays !== undefined && to - from > reading.maxRangeDays * dayMs) {
      return { ok: false, message: `the date range may span at most ${reading.maxRangeDays} days` };
    }
    return { ok: true, period: { start: new Date(from).toISOString(), end: new Date(to).toISOString() } };
  };
}

type DateParameter = { kind: 'absent' } | { kind: 'given'; iso: string } | { kind: 'invalid'; message: string };

const dateOnlyPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** Reads an ISO 8601 date or RFC 3339 date-time; a date-only start means 00:00:00.000Z, a date-only end 23:59:59.000Z. */
function dateParameter(given: unknown, name: string, bound: 'start' | 'end', reading: DateReading): DateParameter {
  let raw = given;
  if (Array.isArray(raw) && reading.repeats === 'first') raw = raw[0];
  if (Array.isArray(raw) && reading.repeats === 'last') raw = raw.at(-1);
  if (raw === undefined) return { kind: 'absent' };
  if (typeof raw !== 'string') return { kind: 'invalid', message: `${name} must be given once, as a single ISO 8601 date or date-time` };
  const text: string = reading.trim ? raw.trim() : raw;
  if (reading.emptyIsAbsent && text === '') return { kind: 'absent' };
  const invalid: DateParameter = {
    kind: 'invalid',
    message: `${name} must be an ISO 8601 date (YYYY-MM-DD)${reading.dateOnly ? '' : ' or RFC 3339 date-time'}, not ${JSON.stringify(text.slice(0, 40))}`,
  };
  const dateOnly = dateOnlyPattern.exec(text);
  if (dateOnly) {
    if (!isCalendarDate(dateOnly[1], dateOnly[2], dateOnly[3])) return invalid;
    return { kind: 'given', iso: `${text}T${bound === 'start' ? '00:00:00' : '23:59:59'}.000Z` };
  }
  if (reading.dateOnly) return invalid;
  const local = reading.localAsUtc && /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text) ? `${text}Z` : text;
  const dateTime = dateTimePattern.exec(local);
  if (!dateTime) return invalid;
  const [, year, month, day, hour, minute, second, fraction, zone, offsetHour, offsetMinute] = dateTime;
  if (reading.utcOnly && zone?.toUpperCase() !== 'Z') return invalid;
  if (reading.maxFractionDigits !== undefined && fraction !== undefined && fraction.length - 1 > reading.maxFractionDigits) return invalid;
  const endOfDay = reading.hour24 && hour === '24' && minute === '00' && second === '00' && !/[1-9]/.test(fraction ?? '');
  const inRange = (value: string | undefined, max: number): boolean => value === undefined || Number(value) <= max;
  if (
    !isCalendarDate(year, month, day) ||
    !(endOfDay || inRange(hour, 23)) ||
    !inRange(minute, 59) ||
    !inRange(second, 59) ||
    !inRange(offsetHour, 23) ||
    !inRange(offsetMinute, 59)
  ) {
    return invalid;
  }
  const instant = endOfDay ? Date.parse(local.toUpperCase().replace('T24:', 'T00:')) + dayMs : Date.parse(local.toUpperCase());
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
