/**
 * JSON that keeps integers exact. CWL documents and outputs may hold integers beyond 2^53 (a `long`
 * default of 10^42; cwltool, in Python, keeps them exact), and JavaScript's numbers would turn them
 * into 1e+42 on the way from the CLI to the pilot and back. At every JSON boundary a CWL document,
 * input object or output object crosses, muon parses with `parseJson` (such integers become
 * `bigint`) and writes with `stringifyJson` (a `bigint` is written as its digits).
 *
 * Both take the native path unless the text holds a run of 16 digits or the value a `bigint`, so
 * ordinary requests cost what `JSON.parse`/`JSON.stringify` cost; the exact path is lossless-json.
 */
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';

/** 2^53 has 16 digits: a shorter integer is always exact as a number. */
const mayHoldUnsafeInteger = /\d{16}/;

export function parseJson(text: string): unknown {
  if (!mayHoldUnsafeInteger.test(text)) return JSON.parse(text);
  try {
    return parseLossless(text, null, exactNumber);
  } catch (error) {
    // The native parser's message is the one people know ("Unexpected token } in JSON at ...").
    JSON.parse(text);
    throw error;
  }
}

export function stringifyJson(value: unknown, indent?: number): string {
  try {
    return JSON.stringify(value, null, indent);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    return stringifyLossless(value, null, indent) as string;
  }
}

/** An integer beyond 2^53 as a `bigint`, any other number as a number. */
function exactNumber(text: string): number | bigint {
  const value = Number(text);
  return Number.isSafeInteger(value) || !/^-?\d+$/.test(text) ? value : BigInt(text);
}

/** Whether a JSON value is a number for CWL's int, long, float and double. */
export const isJsonNumber = (value: unknown): value is number | bigint =>
  typeof value === 'number' || typeof value === 'bigint';
