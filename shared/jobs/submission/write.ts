/**
 * Writing a submission's jobs and starting their chain (DIRAC's JobDB.insertNewJobIntoDB, then the
 * optimizers' queue), within the request's time budget (shared/http/budget.ts).
 *
 * The jobs go in chunks, several at a time, so that the first executors work while the last jobs
 * are still being written; a chunk is sent to the chain only once stored. A new chunk starts only
 * while the budget lasts (the first one always starts, so each request makes progress); chunks
 * already started finish. A chunk the job store refused stops the rest too. What was written is
 * reported exactly, so the caller can answer per job.
 *
 * A chunk whose chain start failed (SQS did not answer) is still written and counted: its jobs sit
 * in Received and the recovery sweep (shared/agents/recovery.ts) sends them on, so the submission
 * stands and is answered as such instead of a 500 over jobs that go on anyway (issue 15).
 */
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import type { Budget } from '#shared/http/budget.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { SubmissionDeps } from '#shared/jobs/submission/submit.ts';

/**
 * Small chunks, several at once: what is in flight when the budget runs out (at most
 * `parallelChunks` x `chunkSize` jobs) still finishes well within the gateway's 30 s, even on a
 * slow store; each chunk costs one more write to record it (the Idempotency-Key's progress).
 */
const chunkSize = 50;
const parallelChunks = 8;

export interface WriteResult {
  /** The jobs stored, in request order. */
  readonly written: JobRecord[];
  /** The chunks stored, by index. */
  readonly chunks: number[];
  /** Why the other jobs were not written; undefined when all were. */
  readonly stopped?: string;
}

export interface WriteProgress {
  /**
   * The request was seen before under its Idempotency-Key: only the jobs that do not exist are
   * written, so a job already on its way is never reset (executors drop duplicate messages).
   */
  readonly retry: boolean;
  /** Chunks an earlier attempt recorded as written: skipped. */
  readonly written: ReadonlySet<number>;
  /** Records a chunk as written (a failure to record it only costs a retry the re-check). */
  readonly onWritten?: (index: number) => Promise<void>;
}

export async function writeAndStart(
  deps: SubmissionDeps,
  records: readonly JobRecord[],
  budget: Budget,
  progress: WriteProgress,
): Promise<WriteResult> {
  const { retry } = progress;
  const chunks = chunk(records, chunkSize);
  const stored = chunks.map((_, index) => progress.written.has(index));
  let stopped: string | undefined;
  let started = 0;
  await forEachLimited(chunks, parallelChunks, async (jobs, index) => {
    if (stopped || stored[index]) return;
    if (started > 0 && budget.spent()) {
      stopped = `the request used its ${budget.seconds} s`;
      return;
    }
    started += 1;
    try {
      await (retry ? deps.jobs.insertIfAbsent(jobs) : deps.jobs.insert(jobs));
    } catch (error) {
      deps.logger?.warn('submission stopped: the job store failed', { error });
      stopped ??= `the job store did not answer (${error instanceof Error ? error.name : 'error'})`;
      return;
    }
    stored[index] = true;
    await progress.onWritten?.(index).catch((error: unknown) => {
      deps.logger?.warn('submission progress not recorded', { error });
    });
    await deps.startChain(jobs.map((job) => job.jobId)).catch((error: unknown) => {
      deps.logger?.warn('chain start left to the recovery sweep', { jobs: jobs.length, error });
    });
  });
  const written = chunks.flatMap((jobs, index) => (stored[index] ? jobs : []));
  const done = stored.flatMap((isStored, index) => (isStored ? [index] : []));
  return written.length === records.length
    ? { written, chunks: done }
    : { written, chunks: done, stopped: stopped ?? 'unknown' };
}
