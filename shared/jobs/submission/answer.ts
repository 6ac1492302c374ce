/**
 * The HTTP answer to a submission. Complete: 201 with the jobs, as DiracX answers. Stopped
 * part-way (its time budget, or the job store failing): 202 with the jobs that exist, the ids kept
 * for the rest and the Idempotency-Key (also as a header) under which sending the same request
 * again writes them; the caller repeats until it gets the 201. DiracX has no such answer: it would
 * end at the gateway's 30 s with a 504 while its jobs were being written.
 */
import { respond } from '#shared/http/route.ts';
import type { SubmissionOutcome } from '#shared/jobs/submission/submit.ts';

export function submissionAnswer(outcome: SubmissionOutcome) {
  if (outcome.pending.length === 0) return respond(201, outcome.jobs);
  const total = outcome.jobs.length + outcome.pending.length;
  const key = outcome.idempotencyKey;
  const again = key
    ? `Send the same request again with the header "Idempotency-Key: ${key}" to submit the other ${outcome.pending.length}; they keep the ids in "pending" and do not exist until then.`
    : `The other ${outcome.pending.length} were not submitted and cannot be resumed; submit them again.`;
  return respond(
    202,
    {
      detail: `${outcome.jobs.length} of ${total} jobs were submitted before the request stopped (${outcome.stopped}). ${again}`,
      submitted: outcome.jobs,
      pending: outcome.pending,
      ...(key ? { idempotency_key: key } : {}),
    },
    { ...(key ? { 'idempotency-key': key } : {}), 'retry-after': '1' },
  );
}
