/**
 * Output uploads that outlast a slow or briefly unreachable API (issue 15). DIRAC's job wrapper
 * hands an upload that failed to a failover request (RequestDB) that an agent retries later; muon
 * has no request system, so the wrapper itself keeps trying, with the files still on disk, until
 * `pilot.outputUploads.deadlineSeconds` after its outputs step began. Each try is a whole call
 * (the HTTP client already retries a few times inside it); between tries the wait starts at
 * `firstRetrySeconds` and doubles up to `maxRetrySeconds`. Only failures the API may get over (no
 * answer, a 5xx, a 429) are tried again: a refusal (4xx) is an answer. Past the deadline the job
 * is rescheduled (`OutputDeadlineError`): it runs again elsewhere and writes its outputs anew.
 */

import { ApiCallError } from '#pilot/retry.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { Logger } from '#shared/log.ts';
import { JobStepError } from './errors.ts';

export type OutputUploadSettings = MuonConfig['pilot']['outputUploads'];

/** The outputs could not be uploaded before the deadline: the job is rescheduled, not failed. */
export class OutputDeadlineError extends JobStepError {
  constructor(minor: string, what: string, deadlineSeconds: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      minor,
      `${what} not uploaded within ${deadlineSeconds} s (${reason}); rescheduled, this run's outputs are discarded`,
      { code: 'wrapper.output_deadline', cause, action: 'reschedule' },
    );
  }
}

/** Whether the API may get over this failure: an ApiCallError marked retryable, here or as a cause. */
export function isTransient(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e instanceof ApiCallError) return e.retryable;
  }
  return false;
}

export interface OutputRetry {
  /**
   * `attempt` until it succeeds, fails for good (thrown as is), or the deadline passes
   * (OutputDeadlineError with `minor`, the step the job was in).
   */
  run<T>(what: string, minor: string, attempt: () => Promise<T>): Promise<T>;
}

/** One try, no retry: for callers that do not wait for the API (and tests of other steps). */
export const singleTry: OutputRetry = { run: (_what, _minor, attempt) => attempt() };

export interface OutputRetryOptions {
  readonly logger: Logger;
  /** Throws when the job was killed or interrupted: checked between waits. */
  readonly checkpoint: () => void;
  readonly now?: () => number;
}

/** Waits are cut into slices so that a Kill or an interrupt is seen within a second. */
const sliceMs = 1000;

export function createOutputRetry(settings: OutputUploadSettings, options: OutputRetryOptions): OutputRetry {
  const now = options.now ?? Date.now;
  const deadline = now() + settings.deadlineSeconds * 1000;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  return {
    async run(what, minor, attempt) {
      for (let n = 1; ; n += 1) {
        try {
          return await attempt();
        } catch (error) {
          if (!isTransient(error)) throw error;
          const left = deadline - now();
          if (left <= 0) throw new OutputDeadlineError(minor, what, settings.deadlineSeconds, error);
          const wait = Math.min(
            left,
            settings.maxRetrySeconds * 1000,
            settings.firstRetrySeconds * 1000 * 2 ** (n - 1),
          );
          options.logger.warn('output upload failed, trying again', {
            what,
            attempt: n,
            waitMs: Math.round(wait),
            deadlineInMs: Math.round(left),
            error: (error as Error).message,
          });
          for (let waited = 0; waited < wait; waited += sliceMs) {
            options.checkpoint();
            await sleep(Math.min(sliceMs, wait - waited));
          }
          options.checkpoint();
        }
      }
    },
  };
}
