/**
 * How job routes read job ids and answer requests over many jobs (DiracX's success/failed shape).
 *
 * A job id written as text (a path parameter, a key of a status or heartbeat map) is a plain
 * decimal integer: `12`, never `0x1`, `1e3`, ` 1`, `1.0`, `01` or `-1`. `Number()` accepts all of
 * those, and two spellings of one job would slip past checks keyed on the text.
 */

import { z } from 'zod';
import {
  ConflictError,
  ForbiddenError,
  MuonError,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '#shared/errors.ts';
import { parsePlainId } from '#shared/http/path-ids.ts';
import type { BulkResult } from '#shared/jobs/control.ts';

export const jobIdTextMessage = 'job ids are plain decimal integers';

/** The job id `text` spells, or undefined when it is not a plain decimal integer (or not a safe one). */
export const parseJobId = parsePlainId;

/**
 * Refuses every key of a map keyed by job id that is not one. Checked on the whole map, not as the
 * record's key schema: zod would bury the message under a generic "Invalid key in record".
 */
export function checkJobIdKeys(body: Readonly<Record<string, unknown>>, ctx: z.RefinementCtx): void {
  for (const key of Object.keys(body)) {
    if (parseJobId(key) === undefined)
      ctx.addIssue({ code: 'custom', path: [key], message: `"${key}": ${jobIdTextMessage}` });
  }
}

/** JSON numbers: `1e3` is the number 1000 there, so only fractions, signs and unsafe integers are refused. */
export const jobIdNumberSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const jobIdsSchema = z.object({
  job_ids: z.array(jobIdNumberSchema).min(1).max(10_000),
});

/** `{jobId}` of a route's path: 422 unless it is a plain decimal integer. */
export const jobIdParameter = (value: string | undefined): number => {
  const id = parseJobId(value);
  if (id === undefined) {
    throw new ValidationError(`"${value ?? ''}" is not a job id: ${jobIdTextMessage}.`, {
      code: 'job.invalid_id',
    });
  }
  return id;
};

/**
 * 200 with `{success, failed}` when any job succeeded. When none did, the error of the failures:
 * 503 if the job store failed or the budget ran out before any job was done (nothing was done: send
 * it again), 404 if the jobs do not exist, 403 if they are not the caller's, 409 if their status
 * forbids it, with the one job's message, or the whole result when there were several.
 */
export function bulkAnswer<T>(result: BulkResult<T>): BulkResult<T> {
  if (Object.keys(result.success).length > 0) return result;
  const failures = Object.values(result.failed);
  const detail = failures.length === 1 ? (failures[0]?.detail ?? 'failed') : result;
  const message =
    typeof detail === 'string' ? detail : `None of the ${failures.length} jobs could be changed.`;
  const codes = new Set(failures.map((f) => f.code));
  if (codes.has('unavailable') || codes.has('not_attempted')) {
    throw new ServiceUnavailableError(message, {
      code: 'job.unavailable',
      ...(typeof detail === 'string' ? {} : { detail }),
    });
  }
  if (codes.has('invalid_transition') || codes.has('limit')) {
    throw new ConflictError(
      message,
      'job.invalid_transition',
      typeof detail === 'string' ? undefined : detail,
    );
  }
  if (codes.has('forbidden')) throw withDetail(new ForbiddenError(message, 'job.forbidden'), detail);
  throw withDetail(new NotFoundError(message, 'job.not_found'), detail);
}

function withDetail(error: MuonError, detail: unknown): MuonError {
  return typeof detail === 'string'
    ? error
    : new MuonError(error.code, error.statusCode, error.message, { detail });
}
