/**
 * The per-job failures of a bulk answer (kill, delete, reschedule, status updates) that the same
 * request sent again may turn into a success: the API's time budget ran out before the job
 * (`not_attempted`) or its job store failed (`unavailable`). Callers that finish such a request
 * (the CLI's bulk commands, the pilot's status reporter) send those jobs again; any other failure
 * is an answer.
 */
import type { Failure } from '#shared/jobs/control.ts';

const retryableCodes: ReadonlySet<string> = new Set<Failure['code']>(['not_attempted', 'unavailable']);

export const isRetryableFailure = (failure: { readonly code?: string }): boolean =>
  failure.code !== undefined && retryableCodes.has(failure.code);
