/**
 * An executor (DIRAC's optimizer) looks at one job and says what happens next. It does not write
 * the job or send messages itself: the chain runner (chain.ts) applies its outcome with one
 * versioned write and hands the job to the next executor's queue.
 */
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobChanges } from '#shared/jobs/store/write-jobs.ts';

export type ExecutorOutcome =
  /** Go on to the next executor of the job's chain, recording `changes`. */
  | { readonly kind: 'continue'; readonly changes?: JobChanges }
  /** The job cannot run: Failed, with a reason the user can act on. */
  | { readonly kind: 'fail'; readonly reason: string; readonly detail?: string }
  /** Not yet: look again after `seconds` (reschedule delays, inactive sites). */
  | { readonly kind: 'hold'; readonly seconds: number; readonly applicationStatus: string }
  /** End of the chain: the job is in its task queue and Waiting for a pilot. */
  | { readonly kind: 'waiting'; readonly changes: JobChanges };

export interface Executor {
  /** DIRAC's name for it, which is also the job's minor status while it waits for this executor. */
  readonly name: string;
  optimize(job: JobRecord): Promise<ExecutorOutcome>;
}
