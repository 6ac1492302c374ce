/**
 * Ids of jobs, transformations and productions: plain decimal integers that a JavaScript number
 * holds exactly (jobs' are read with it too, shared/jobs/http.ts). `Number()` turns
 * "9007199254740993" into 9007199254740992, so an unsafe spelling would act on another object.
 */
import { ValidationError } from '#shared/errors.ts';

const plainId = /^[1-9][0-9]{0,15}$/;

/** The id `text` spells, or undefined when it is not a plain decimal safe integer. */
export function parsePlainId(text: string | undefined): number | undefined {
  if (text === undefined || !plainId.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** `{<what>Id}` of a route's path: 422 with `<what>.invalid_id` unless it is a plain decimal safe integer. */
export function pathId(value: string | undefined, what: 'transformation' | 'production'): number {
  const id = parsePlainId(value);
  if (id === undefined) {
    throw new ValidationError(
      `"${value ?? ''}" is not a ${what} id: ${what} ids are plain decimal integers up to ${Number.MAX_SAFE_INTEGER}.`,
      { code: `${what}.invalid_id` },
    );
  }
  return id;
}
