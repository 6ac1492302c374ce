import { describe, expect, it } from 'vitest';
import { canonicalJson } from '#shared/cwl/canonical.ts';
import { parseJson, stringifyJson } from '#shared/json.ts';

const big = '4200000000000000000000000000000000000000000';

describe('JSON that keeps integers exact', () => {
  it('reads an integer beyond 2^53 as a bigint and writes it back digit for digit', () => {
    const text = `{"fifth":${big},"third":2.3,"list":[1,-${big},9007199254740993]}`;
    const value = parseJson(text) as { fifth: unknown; third: unknown; list: unknown[] };
    expect(value.fifth).toBe(BigInt(big));
    expect(value.third).toBe(2.3);
    expect(value.list).toEqual([1, -BigInt(big), 9007199254740993n]);
    expect(stringifyJson(value)).toBe(text);
  });

  it('keeps numbers as numbers where they are exact, long digit strings as strings', () => {
    expect(parseJson('{"a":9007199254740991,"b":"12345678901234567890","c":1e300}')).toEqual({
      a: 9007199254740991,
      b: '12345678901234567890',
      c: 1e300,
    });
  });

  it('indents like JSON.stringify, with or without a bigint', () => {
    expect(stringifyJson({ a: [1] }, 2)).toBe(JSON.stringify({ a: [1] }, null, 2));
    expect(stringifyJson({ a: [10n ** 42n] }, 2)).toBe(`{\n  "a": [\n    1${'0'.repeat(42)}\n  ]\n}`);
  });

  it("gives JSON.parse's message for text that is not JSON, on either path", () => {
    expect(() => parseJson('{"a":')).toThrow(/JSON/);
    expect(() => parseJson(`{"a":${big}`)).toThrow(/JSON/);
  });

  it('canonical JSON writes a bigint as its digits', () => {
    expect(canonicalJson({ b: 10n ** 42n, a: 1 })).toBe(`{"a":1,"b":1${'0'.repeat(42)}}`);
  });
});
