import type { ClassAd, JdlValue } from '#shared/jdl/index.ts';

/** A ClassAd as plain data: attribute order, spelling and value kinds all kept, for `toEqual`. */
export function structure(ad: ClassAd): unknown[] {
  return [...ad].map(([name, value]) => [name, valueStructure(value)]);
}

function valueStructure(value: JdlValue): unknown {
  switch (value.kind) {
    case 'list':
      return { list: value.items.map(valueStructure) };
    case 'classad':
      return { classad: structure(value.value) };
    case 'expression':
      return { expression: value.source };
    default:
      return { [value.kind]: value.value };
  }
}

/**
 * A ClassAd as a readable object for assertions: strings, numbers and booleans as themselves,
 * lists as arrays, nested ClassAds as objects and expressions as `{ expression: source }`.
 */
export function plain(ad: ClassAd): Record<string, unknown> {
  return Object.fromEntries([...ad].map(([name, value]) => [name, plainValue(value)]));
}

export function plainValue(value: JdlValue): unknown {
  switch (value.kind) {
    case 'list':
      return value.items.map(plainValue);
    case 'classad':
      return plain(value.value);
    case 'expression':
      return { expression: value.source };
    default:
      return value.value;
  }
}

/** The error `run` throws, so a test can assert on its fields. */
export function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}
