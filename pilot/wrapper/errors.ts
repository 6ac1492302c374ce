/**
 * How a job wrapper step fails: with the minor status the job ends with (DIRAC's words, or the
 * contract's for steps DIRAC reschedules on) and whether the job is failed or rescheduled.
 */
import { minorStatus } from '#shared/jobs/status.ts';

export class JobStepError extends Error {
  readonly code: string;
  readonly minorStatus: string;
  /** Failed (the default) or Rescheduled (the wrapper could not start the job, as DIRAC does). */
  readonly action: 'fail' | 'reschedule';

  constructor(
    minor: string,
    message: string,
    options?: { code?: string; cause?: unknown; action?: 'fail' | 'reschedule' },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? 'wrapper.step_failed';
    this.minorStatus = minor;
    this.action = options?.action ?? 'fail';
  }
}

/** An input sandbox entry would land outside the job directory, or is not a plain file, directory or link. */
export class UnsafeSandboxError extends JobStepError {
  constructor(message: string) {
    super(minorStatus.unsafeInputSandbox, message, { code: 'wrapper.unsafe_sandbox' });
  }
}

export const failedStep = (minor: string, error: unknown): JobStepError =>
  error instanceof JobStepError
    ? error
    : new JobStepError(minor, error instanceof Error ? error.message : String(error), { cause: error });
