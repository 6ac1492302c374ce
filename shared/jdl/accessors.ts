/**
 * Typed reads of JDL attributes, as lenient as DIRAC where DIRAC is lenient: numbers may be
 * written as strings, lists as one string or a comma-separated string, and flags as yes/no.
 * Each returns `undefined` (or `[]` for lists) when the attribute is absent, and throws a
 * `JdlValueError` naming the attribute when its value cannot mean what is asked.
 */
import type { ClassAd, JdlValue } from './classad.ts';
import { JdlValueError } from './errors.ts';
import { formatValue, valueText } from './serialize.ts';

const TRUE_SPELLINGS = new Set(['true', 'yes', 'y', '1']);
const FALSE_SPELLINGS = new Set(['false', 'no', 'n', '0']);

/** A single value as text: strings as they are, numbers and expressions as written. */
export function getString(ad: ClassAd, name: string): string | undefined {
  const value = ad.get(name);
  if (value === undefined) return undefined;
  if (value.kind === 'list' || value.kind === 'classad') throw invalid(name, value, 'a single value');
  return valueText(value);
}

/** `{ "a", "b" }`, `"a"` or `"a, b"` all give `["a", "b"]`-style lists; absent gives `[]`. */
export function getStringList(ad: ClassAd, name: string): string[] {
  const value = ad.get(name);
  if (value === undefined) return [];
  switch (value.kind) {
    case 'list':
      return value.items.map((item) => {
        if (item.kind === 'list' || item.kind === 'classad')
          throw invalid(name, value, 'a list of plain values');
        return valueText(item);
      });
    case 'string':
      return value.value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    case 'classad':
      throw invalid(name, value, 'a list of values');
    default:
      return [valueText(value)];
  }
}

/** An integer or float, also when written as a string (`CPUTime = "86400"`). */
export function getNumber(ad: ClassAd, name: string): number | undefined {
  const value = ad.get(name);
  if (value === undefined) return undefined;
  if (value.kind === 'integer' || value.kind === 'float') return value.value;
  const text = value.kind === 'string' ? value.value.trim() : '';
  const number = Number(text);
  if (text === '' || !Number.isFinite(number)) throw invalid(name, value, 'a number');
  return number;
}

/** `true`/`false`, and DIRAC's spellings yes/no, y/n and 1/0, quoted or not, in any case. */
export function getBoolean(ad: ClassAd, name: string): boolean | undefined {
  const value = ad.get(name);
  if (value === undefined) return undefined;
  if (value.kind === 'boolean') return value.value;
  const spelling =
    value.kind === 'list' || value.kind === 'classad' ? '' : valueText(value).trim().toLowerCase();
  if (TRUE_SPELLINGS.has(spelling)) return true;
  if (FALSE_SPELLINGS.has(spelling)) return false;
  throw invalid(name, value, 'true or false (or yes/no, 1/0)');
}

function invalid(name: string, value: JdlValue, wanted: string): JdlValueError {
  const shown = formatValue(value).replace(/\s+/g, ' ');
  const excerpt = shown.length > 60 ? `${shown.slice(0, 57)}...` : shown;
  return new JdlValueError(name, `${name} must be ${wanted}, not ${excerpt}.`);
}
