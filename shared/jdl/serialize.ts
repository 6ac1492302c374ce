/**
 * Writes ClassAds back as JDL text. `parseJdl(toJdl(ad))` gives back an equal ClassAd: strings are
 * escaped, floats keep a decimal point, and expressions are written as their source text.
 */
import type { ClassAd, JdlValue } from './classad.ts';

const INDENT = '    ';
/** Lists of plain values up to this width stay on one line; longer ones get a line per item. */
const INLINE_LIST_WIDTH = 80;

export function toJdl(ad: ClassAd): string {
  return formatClassAd(ad, '');
}

/** One value in JDL syntax, as it would stand after `Name = `. */
export function formatValue(value: JdlValue, indent = ''): string {
  switch (value.kind) {
    case 'string':
      return quote(value.value);
    case 'integer':
      return String(value.value);
    case 'float':
      return formatFloat(value.value);
    case 'boolean':
      return value.value ? 'true' : 'false';
    case 'expression':
      return value.source;
    case 'classad':
      return formatClassAd(value.value, indent);
    case 'list':
      return formatList(value.items, indent);
  }
}

/**
 * A value as plain text, the way DIRAC reads an attribute as a string: strings without quotes,
 * numbers as Python prints them, lists as `{a,b}`. Used to fill `%s` placeholders.
 */
export function valueText(value: JdlValue): string {
  switch (value.kind) {
    case 'string':
      return value.value;
    case 'list':
      return `{${value.items.map(valueText).join(',')}}`;
    default:
      return formatValue(value);
  }
}

/**
 * A float the way Python's `str()` prints it (DIRAC computes parameter sequences in Python):
 * always with a decimal point or an exponent, exponents from 1e16 and below 1e-4 (`1e+16`,
 * `1.5e-05`), otherwise the shortest digits that read back to the same number.
 */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const exponentSign = exponent < 0 ? '-' : '+';
    return `${sign}${digits.slice(0, 1)}${fraction}e${exponentSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits.padEnd(exponent + 1, '0')}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

function formatClassAd(ad: ClassAd, indent: string): string {
  if (ad.size === 0) return '[]';
  const inner = indent + INDENT;
  const lines = [...ad].map(([name, value]) => `${inner}${name} = ${formatValue(value, inner)};`);
  return `[\n${lines.join('\n')}\n${indent}]`;
}

function formatList(items: readonly JdlValue[], indent: string): string {
  if (items.length === 0) return '{}';
  const inner = indent + INDENT;
  const formatted = items.map((item) => formatValue(item, inner));
  const inline = `{ ${formatted.join(', ')} }`;
  const plain = items.every((item) => item.kind !== 'list' && item.kind !== 'classad');
  if (plain && inline.length <= INLINE_LIST_WIDTH && !inline.includes('\n')) return inline;
  return `{\n${formatted.map((item) => `${inner}${item}`).join(',\n')}\n${indent}}`;
}

function quote(text: string): string {
  let quoted = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"' || char === '\\') quoted += `\\${char}`;
    else if (char === '\n') quoted += '\\n';
    else if (char === '\t') quoted += '\\t';
    else if (char === '\r') quoted += '\\r';
    else if (code < 0x20 || code === 0x7f) quoted += `\\${code.toString(8).padStart(3, '0')}`;
    else quoted += char;
  }
  return `${quoted}"`;
}
