/**
 * Partial timestamps, as DiracX's search accepts them for time columns: `"2025"`, `"2025-08"`,
 * `"2025-08-25"`, `"2025-08-25 10"`, `"2025-08-25T10:30"`, `"2025-08-25 10:30:00"` and
 * `"2025-08-25T10:30:00.123456Z"`. Each names the half-open range of instants it covers
 * (`"2025-08"` is [2025-08-01, 2025-09-01)), so filters compare against range bounds instead of
 * truncating every stored time.
 *
 * Times are counted in integer microseconds since the epoch: exact up to year 2255, and fine enough
 * for the six fraction digits DiracX accepts.
 */

export const timeResolutions = ['year', 'month', 'day', 'hour', 'minute', 'second', 'microsecond'] as const;
export type TimeResolution = (typeof timeResolutions)[number];

/** [start, end) in microseconds since the epoch. */
export interface TimeRange {
  readonly resolution: TimeResolution;
  readonly start: number;
  readonly end: number;
}

export const timestampForms =
  '"YYYY", "YYYY-MM", "YYYY-MM-DD", "YYYY-MM-DD HH", "YYYY-MM-DD HH:MM", "YYYY-MM-DD HH:MM:SS" or ' +
  '"YYYY-MM-DD HH:MM:SS.ffffff" (T or a space between date and time, optional trailing Z; UTC)';

const partialTimestamp =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[ T](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?Z?)?)?)?$/;

const micros = { second: 1_000_000, minute: 60_000_000, hour: 3_600_000_000, day: 86_400_000_000 };

/** The range a partial timestamp covers, or undefined when it is not one (or names no real time). */
export function parsePartialTimestamp(text: string): TimeRange | undefined {
  const match = partialTimestamp.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction] = match;
  const parts = [y, mo ?? '01', d ?? '01', h ?? '00', mi ?? '00', s ?? '00'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [year, month, day, hour, minute, second] = parts;
  const date = utc(year, month - 1, day, hour, minute, second);
  const isReal =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!isReal) return undefined;
  const start = date.getTime() * 1000 + (fraction ? Number(fraction.padEnd(6, '0')) : 0);
  if (fraction !== undefined) return { resolution: 'microsecond', start, end: start + 1 };
  if (s !== undefined) return { resolution: 'second', start, end: start + micros.second };
  if (mi !== undefined) return { resolution: 'minute', start, end: start + micros.minute };
  if (h !== undefined) return { resolution: 'hour', start, end: start + micros.hour };
  if (d !== undefined) return { resolution: 'day', start, end: start + micros.day };
  if (mo !== undefined) {
    return { resolution: 'month', start, end: utc(year, month, 1, 0, 0, 0).getTime() * 1000 };
  }
  return { resolution: 'year', start, end: utc(year + 1, 0, 1, 0, 0, 0).getTime() * 1000 };
}

/** A stored time (ISO 8601) in microseconds, or undefined when absent or unreadable. */
export function storedTimeMicros(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms * 1000;
}

// `Date.UTC` maps years 0-99 to 1900-1999; setting the fields one by one does not.
function utc(year: number, monthIndex: number, day: number, hour: number, minute: number, second: number) {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  date.setUTCHours(hour, minute, second, 0);
  return date;
}
