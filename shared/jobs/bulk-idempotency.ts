/**
 * Kill, delete and reschedule under an `Idempotency-Key` (issue 15): sending the same request again
 * never does a job twice. The per-job answers of earlier attempts are kept (shared/http/idempotency/
 * store.ts); an attempt changes only the jobs with no final answer yet (those not reached within
 * the budget, or that the job store failed), and answers for all of them. This matters for
 * reschedule, which counts: without it a retried request would reschedule its jobs twice. The
 * same key with other job ids is a 409, as for submissions.
 */
import { createHash } from 'node:crypto';
import type { Identity } from '#shared/auth/identity.ts';
import { ConflictError } from '#shared/errors.ts';
import type { AnswerStore } from '#shared/http/idempotency/store.ts';
import type { BulkResult, Failure } from '#shared/jobs/control.ts';

/** How long one attempt holds its key: past the API's 30 s, so a dead attempt frees it soon after. */
const lockMs = 60_000;

/** Failures that another attempt may turn into a success. */
const retryable = new Set<Failure['code']>(['not_attempted', 'unavailable']);

export async function idempotentBulk<T>(
  store: AnswerStore,
  identity: Identity,
  route: string,
  key: string | undefined,
  jobIds: readonly number[],
  run: (jobIds: readonly number[]) => Promise<BulkResult<T>>,
): Promise<BulkResult<T>> {
  if (!key) return run(jobIds);
  const ids = [...new Set(jobIds)].sort((a, b) => a - b);
  const scope = { vo: identity.vo, sub: identity.sub, route, key };
  const requestHash = createHash('sha256').update(ids.join(',')).digest('hex');
  const kept = await store.get(scope);
  if (kept && kept.requestHash !== requestHash) {
    throw new ConflictError(
      `The Idempotency-Key "${key}" was already used for other jobs; use a new key.`,
      'request.idempotency_mismatch',
    );
  }
  const lockedUntil = await store.lock(scope, requestHash, lockMs, kept === undefined);
  if (lockedUntil === false) {
    throw new ConflictError(
      `A request with the Idempotency-Key "${key}" is still running; send it again in a few seconds.`,
      'request.idempotency_in_progress',
    );
  }
  let result: BulkResult<T>;
  try {
    // Read again under the lock: an attempt that ended meanwhile left its answers.
    const before = ((await store.get(scope))?.answer as BulkResult<T> | undefined) ?? {
      success: {},
      failed: {},
    };
    const done = new Set([
      ...Object.keys(before.success),
      ...Object.entries(before.failed)
        .filter(([, failure]) => !retryable.has(failure.code))
        .map(([id]) => id),
    ]);
    const now = await run(ids.filter((id) => !done.has(String(id))));
    result = {
      success: { ...before.success, ...now.success },
      failed: Object.fromEntries(
        Object.entries({ ...before.failed, ...now.failed }).filter(([id]) => !(id in now.success)),
      ),
    };
  } catch (error) {
    await store.release(scope, lockedUntil);
    throw error;
  }
  await store.save(scope, result, lockedUntil);
  return result;
}
