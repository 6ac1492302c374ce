/**
 * Long-polling one job: `GET /api/jobs/{jobId}?wait=S[&status=X]` answers as soon as the job's
 * Status is no longer X (without X: once it has ended: final or deleted), or after S seconds with the job as it is.
 * DIRAC has no such call (its clients poll `getJobsStatus`); a CLI waiting on a job (`muon job
 * wait`, `muon cwl-runner`) would otherwise send a request every few tenths of a second, each one
 * authenticated and logged, and still learn of the change up to a poll later. Here the API reads
 * the job item itself, which costs one consistent read per look and no HTTP round trip.
 */
import { z } from 'zod';
import type { JobRecord } from '#shared/jobs/model.ts';
import { isEnded, jobStatusSchema } from '#shared/jobs/status.ts';

/** API Gateway ends a request at 29 s; the answer must be sent well before. */
export const maxWaitSeconds = 20;

export const jobWaitQuerySchema = z.object({
  wait: z.coerce
    .number()
    .min(0, 'wait is a number of seconds, from 0')
    .max(maxWaitSeconds, `wait is at most ${maxWaitSeconds} seconds (ask again after the answer)`)
    .optional(),
  status: jobStatusSchema.optional(),
});

export type JobWaitQuery = z.infer<typeof jobWaitQuerySchema>;

/** How long to wait between two looks: often at first (a job's early steps take tenths of a second), then less. */
const lookAfterMs = (elapsedMs: number) => (elapsedMs < 5_000 ? 100 : 500);

/**
 * The job once it has left `query.status` (or, without one, reached a final status), or when
 * `query.wait` seconds are over; no wait is one read. A missing job ends the wait at once.
 */
export async function waitForJob(
  read: () => Promise<JobRecord | undefined>,
  query: JobWaitQuery,
  sleep: (ms: number) => Promise<unknown> = (ms) => new Promise((done) => setTimeout(done, ms)),
  now: () => number = Date.now,
): Promise<JobRecord | undefined> {
  const started = now();
  const deadline = started + (query.wait ?? 0) * 1000;
  const settled = (job: JobRecord) =>
    query.status === undefined ? isEnded(job.status) : job.status !== query.status;
  for (;;) {
    const job = await read();
    if (!job || settled(job)) return job;
    const left = deadline - now();
    if (left <= 0) return job;
    await sleep(Math.min(left, lookAfterMs(now() - started)));
  }
}
