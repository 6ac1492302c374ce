/**
 * The per-job failures of a bulk answer (kill, delete, reschedule, status updates) that the same
 * request sent again may turn into a success: the API's time budget ran out before the job
 * (`not_attempted`) or its job store failed (`unavailable`). Callers that finish such a request
 * (the CLI's bulk commands, the web monitor's actions, the pilot's status reporter) send those jobs
 * again; any other failure is an answer. No imports: the web monitor's bundle loads this file.
 */

export const retryableFailureCodes = ['not_attempted', 'unavailable'] as const;
export type RetryableFailureCode = (typeof retryableFailureCodes)[number];

const retryableCodes: ReadonlySet<string> = new Set(retryableFailureCodes);

export const isRetryableFailure = (failure: { readonly code?: string }): boolean =>
  failure.code !== undefined && retryableCodes.has(failure.code);

/**
 * A bulk answer that the same request, sent again with its Idempotency-Key, takes further: a 503
 * (no job changed: send it again) or a 200 whose `failed` holds a retryable failure.
 */
export function bulkAnswerUnfinished(status: number, body: unknown): boolean {
  if (status === 503) return true;
  const failed = typeof body === 'object' && body !== null && 'failed' in body ? body.failed : undefined;
  if (typeof failed !== 'object' || failed === null) return false;
  return Object.values(failed as Record<string, { code?: string }>).some(isRetryableFailure);
}
