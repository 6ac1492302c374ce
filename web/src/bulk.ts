/**
 * Kill, reschedule and delete finished as the CLI finishes them (no DOM: the unit tests load it):
 * one Idempotency-Key for every send, sent again while the API answers a 5xx or leaves jobs
 * `not_attempted` or `unavailable`, so a busy moment does not leave part of a selection unchanged.
 * The API changes each job once whatever the number of sends.
 */
import { bulkAnswerUnfinished } from '#shared/jobs/retryable-failures.ts';

export interface BulkResult {
  readonly success: Record<string, unknown>;
  readonly failed: Record<string, { readonly detail: string; readonly code?: string }>;
}

/** How often a request is sent, and the wait before the second time (doubling after). */
const attempts = 5;
const firstWaitMs = 500;

/**
 * `send(idempotencyKey)` until its answer is finished or `attempts` are used: the last answer is
 * the result, and an error is thrown at once unless it is a 5xx (an error with `status` ≥ 500).
 */
export async function finishBulk(
  send: (idempotencyKey: string) => Promise<{ readonly status: number; readonly body: BulkResult }>,
): Promise<BulkResult> {
  const idempotencyKey = crypto.randomUUID();
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { status, body } = await send(idempotencyKey);
      if (attempt === attempts || !bulkAnswerUnfinished(status, body)) return body;
    } catch (error) {
      if (attempt === attempts || !isServerError(error)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, firstWaitMs * 2 ** (attempt - 1)));
  }
}

const isServerError = (error: unknown): boolean =>
  typeof error === 'object' &&
  error !== null &&
  'status' in error &&
  typeof error.status === 'number' &&
  error.status >= 500;
