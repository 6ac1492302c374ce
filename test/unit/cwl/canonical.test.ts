import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { canonicalJson, canonicalWorkflow, workflowId } from '#shared/cwl/index.ts';
import { fixture } from './fixtures.ts';

describe('canonical JSON and workflow ids', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: [{ z: 1, a: 'x y' }], a: null, c: { d: true } })).toBe(
      '{"a":null,"b":[{"a":"x y","z":1}],"c":{"d":true}}',
    );
  });

  it('gives the same id whatever the key order', () => {
    const document = fixture('two-step-workflow.cwl');
    const reversed = JSON.parse(JSON.stringify(document), (_key, value) =>
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value).reverse())
        : value,
    );
    expect(JSON.stringify(reversed)).not.toBe(JSON.stringify(document));
    expect(workflowId(reversed)).toBe(workflowId(document));
  });

  it('gives the same id to the YAML and JSON spellings of a document', async () => {
    const { parse } = await import('yaml');
    const document = fixture('hello-world.cwl');
    expect(workflowId(parse(stringify(document)))).toBe(workflowId(JSON.parse(JSON.stringify(document))));
  });

  it('is the sha256 hex digest of the canonical JSON', () => {
    const document = fixture('hello-world.cwl');
    const { id, json } = canonicalWorkflow(document);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(id).toBe(createHash('sha256').update(json).digest('hex'));
  });

  it('gives a different id when anything changes, the order of list items included', () => {
    const document = fixture('hello-world.cwl');
    expect(workflowId({ ...document, baseCommand: 'printf' })).not.toBe(workflowId(document));
    expect(workflowId({ x: [1, 2] })).not.toBe(workflowId({ x: [2, 1] }));
  });

  it('leaves out undefined fields, as JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('refuses values with no JSON form rather than guessing one', () => {
    expect(() => canonicalJson({ when: new Date(0) })).toThrow(/when: a Date/);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/n: NaN/);
  });
});
