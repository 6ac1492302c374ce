/**
 * The JDL data model.
 *
 * Glossary:
 * - ClassAd: an ordered record of attributes, `[ Name = value; ... ]`. Attribute names are
 *   case-insensitive (as in HTCondor ClassAds); the spelling first written is kept for display.
 * - JdlValue: a literal (string, integer, float, boolean), a list `{ a, b }`, a nested ClassAd, or
 *   an expression kept as its source text (`other.Site == "X"`, `%(InputData)s`): muon never
 *   evaluates expressions, it only carries them.
 */
export type JdlValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'list'; readonly items: readonly JdlValue[] }
  | { readonly kind: 'classad'; readonly value: ClassAd }
  | { readonly kind: 'expression'; readonly source: string };

export type JdlValueKind = JdlValue['kind'];

export const stringValue = (value: string): JdlValue => ({ kind: 'string', value });
export const booleanValue = (value: boolean): JdlValue => ({ kind: 'boolean', value });
export const floatValue = (value: number): JdlValue => ({ kind: 'float', value });
export const listValue = (items: readonly JdlValue[]): JdlValue => ({ kind: 'list', items });
export const classAdValue = (value: ClassAd): JdlValue => ({ kind: 'classad', value });
export const expressionValue = (source: string): JdlValue => ({ kind: 'expression', source });

export function integerValue(value: number): JdlValue {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  return { kind: 'integer', value };
}

/** `Name` or `Name.Sub` (DIRAC uses dotted names such as `Parameters.A`). */
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export function isAttributeName(name: string): boolean {
  return ATTRIBUTE_NAME.test(name);
}

interface Attribute {
  readonly name: string;
  readonly value: JdlValue;
}

export class ClassAd implements Iterable<[string, JdlValue]> {
  // Keyed by the lower-cased name; a Map keeps insertion order, and re-setting a key keeps its slot.
  private readonly attributes = new Map<string, Attribute>();

  constructor(entries: Iterable<readonly [string, JdlValue]> = []) {
    for (const [name, value] of entries) this.set(name, value);
  }

  get size(): number {
    return this.attributes.size;
  }

  has(name: string): boolean {
    return this.attributes.has(name.toLowerCase());
  }

  get(name: string): JdlValue | undefined {
    return this.attributes.get(name.toLowerCase())?.value;
  }

  /**
   * Sets an attribute. Redefining one replaces its value where it stands (like the dict behind
   * DIRAC's ClassAd, so the last definition wins) and keeps its first spelling.
   */
  set(name: string, value: JdlValue): this {
    if (!isAttributeName(name)) throw new RangeError(`not a JDL attribute name: '${name}'`);
    const key = name.toLowerCase();
    this.attributes.set(key, { name: this.attributes.get(key)?.name ?? name, value });
    return this;
  }

  delete(name: string): boolean {
    return this.attributes.delete(name.toLowerCase());
  }

  /** The attribute names, in order, as first spelled. */
  names(): string[] {
    return [...this.attributes.values()].map((attribute) => attribute.name);
  }

  *[Symbol.iterator](): Iterator<[string, JdlValue]> {
    for (const { name, value } of this.attributes.values()) yield [name, value];
  }

  /** A deep copy: nested ClassAds are copied too, so editing the copy never touches this one. */
  clone(): ClassAd {
    return new ClassAd([...this].map(([name, value]) => [name, cloneValue(value)] as const));
  }
}

export function cloneValue(value: JdlValue): JdlValue {
  switch (value.kind) {
    case 'list':
      return listValue(value.items.map(cloneValue));
    case 'classad':
      return classAdValue(value.value.clone());
    default:
      return value;
  }
}
