/**
 * Metadata fields (DIRAC's `addMetadataField`): each key of a VO has one type, integer, float,
 * string or date. A key is declared explicitly, or on first use with the type its value reads as;
 * from then on every value, set or queried, must be of that type.
 */
import {
  type Condition,
  dateMillis,
  type MetaQuery,
  type MetaType,
  type MetaValue,
  metaKeyPattern,
} from '#shared/catalog/query.ts';
import { BadRequestError } from '#shared/errors.ts';

/** DIRAC keeps string metadata in VARCHAR(128); muon allows a little more. */
export const maxStringLength = 256;

const integerText = /^[+-]?\d+$/;
const article = (type: MetaType) => (type === 'integer' ? 'an integer' : `a ${type}`);

/** The type a first value declares: whole numbers integer, other numbers float, ISO dates date. */
export function inferType(value: MetaValue): MetaType {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  return Number.isNaN(dateMillis(value)) ? 'string' : 'date';
}

/** `value` as it is stored for a key of `type`, or undefined when it is not of that type. */
export function asType(type: MetaType, value: MetaValue): MetaValue | undefined {
  switch (type) {
    case 'integer': {
      const number = typeof value === 'number' ? value : integerText.test(value) ? Number(value) : Number.NaN;
      return Number.isSafeInteger(number) ? number : undefined;
    }
    case 'float': {
      const number = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
      return Number.isFinite(number) ? number : undefined;
    }
    case 'date': {
      const millis = typeof value === 'string' ? dateMillis(value) : Number.NaN;
      return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
    }
    case 'string': {
      const text = String(value);
      // Control characters would sort below the index's value separator.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of the check
      return text.length > 0 && text.length <= maxStringLength && !/[\u0000-\u001f]/.test(text)
        ? text
        : undefined;
    }
  }
}

/** `asType`, or a 400 naming the key, its type and the value. */
export function valueOfType(key: string, type: MetaType, value: MetaValue): MetaValue {
  const typed = asType(type, value);
  if (typed === undefined) {
    const shown = typeof value === 'string' ? `"${value}"` : String(value);
    const hint =
      type === 'string'
        ? ` (1 to ${maxStringLength} characters, no control characters)`
        : type === 'date'
          ? ' (ISO 8601: 2024-01-15 or 2024-01-15T10:00:00Z)'
          : '';
    throw new BadRequestError(`Metadata key "${key}" is ${article(type)}; ${shown} is not${hint}.`, {
      code: 'catalog.wrong_type',
    });
  }
  return typed;
}

export function assertMetaKey(key: string): void {
  if (!metaKeyPattern.test(key)) {
    throw new BadRequestError(
      `"${key}" is not a metadata key: a letter, then up to 63 letters, digits or "_".`,
      { code: 'catalog.invalid_key' },
    );
  }
}

/**
 * The query with its values in their keys' types, or undefined when a key is unknown to the VO
 * (no file can match it yet). A value of the wrong type is a 400.
 */
export function typedQuery(query: MetaQuery, types: ReadonlyMap<string, MetaType>): MetaQuery | undefined {
  const typed: Condition[] = [];
  for (const condition of query) {
    const type = types.get(condition.key);
    if (!type) return undefined;
    // Comparing an integer key with 2.5 is meaningful: numbers only need to be numbers.
    const values = condition.values.map((value) =>
      type === 'integer' && asType('float', value) !== undefined
        ? (asType('float', value) as number)
        : valueOfType(condition.key, type, value),
    );
    typed.push({ ...condition, values });
  }
  return typed;
}
