/**
 * Content addressing of CWL documents: a workflow is stored once, under the SHA-256 of its
 * canonical JSON, and every job refers to it by that id (as DiracX's CWL submission design does).
 * Canonical JSON here is JSON with object keys sorted by UTF-16 code units and no whitespace,
 * which for the values YAML and JSON parsers produce is the JSON Canonicalization Scheme
 * (RFC 8785): the same document written as YAML or JSON, with keys in any order, gets one id.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return serialize(value, '(document)');
}

/** The SHA-256 hex digest of the canonical JSON: the id a CWL document is stored under. */
export function workflowId(document: unknown): string {
  return canonicalWorkflow(document).id;
}

/** Both at once, so a document that is stored is serialized only once. */
export function canonicalWorkflow(document: unknown): { id: string; json: string } {
  const json = canonicalJson(document);
  return { id: createHash('sha256').update(json, 'utf8').digest('hex'), json };
}

function serialize(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  // An integer beyond 2^53, kept exact by shared/json.ts and the CLI's YAML reading.
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    // NaN and Infinity have no JSON form; silently writing null would change the document.
    if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be written as JSON`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, index) => (item === undefined ? 'null' : serialize(item, `${path}[${index}]`))).join(',')}]`;
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${serialize(item, `${path}.${key}`)}`).join(',')}}`;
  }
  // Dates (YAML 1.1 timestamps), Maps, bigints, functions: refuse rather than guess a form.
  throw new TypeError(`${path}: a ${describe(value)} cannot be written as canonical JSON`);
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' &&
  value !== null &&
  [Object.prototype, null].includes(Object.getPrototypeOf(value));

const describe = (value: unknown): string =>
  typeof value === 'object' && value !== null ? (value.constructor?.name ?? 'object') : typeof value;
