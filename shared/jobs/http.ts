/** How job routes answer requests over many jobs (DiracX's success/failed shape). */

import { z } from 'zod';
import { ConflictError, ForbiddenError, MuonError, NotFoundError } from '#shared/errors.ts';
import type { BulkResult } from '#shared/jobs/control.ts';

export const jobIdsSchema = z.object({
  job_ids: z.array(z.number().int().positive()).min(1).max(10_000),
});

export const jobIdParameter = (value: string | undefined): number => {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0)
    throw new NotFoundError(`"${value}" is not a job id.`, 'job.not_found');
  return id;
};

/**
 * 200 with `{success, failed}` when any job succeeded. When none did, the error of the failures:
 * 404 if the jobs do not exist, 403 if they are not the caller's, 409 if their status forbids it,
 * with the one job's message, or the whole result when there were several.
 */
export function bulkAnswer<T>(result: BulkResult<T>): BulkResult<T> {
  if (Object.keys(result.success).length > 0) return result;
  const failures = Object.values(result.failed);
  const detail = failures.length === 1 ? (failures[0]?.detail ?? 'failed') : result;
  const message =
    typeof detail === 'string' ? detail : `None of the ${failures.length} jobs could be changed.`;
  const codes = new Set(failures.map((f) => f.code));
  if (codes.has('invalid_transition') || codes.has('limit')) {
    throw new ConflictError(
      message,
      'job.invalid_transition',
      typeof detail === 'string' ? undefined : detail,
    );
  }
  if (codes.has('forbidden')) throw withDetail(new ForbiddenError(message), detail);
  throw withDetail(new NotFoundError(message, 'job.not_found'), detail);
}

function withDetail(error: MuonError, detail: unknown): MuonError {
  return typeof detail === 'string'
    ? error
    : new MuonError(error.code, error.statusCode, error.message, { detail });
}
