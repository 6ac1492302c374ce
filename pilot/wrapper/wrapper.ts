/**
 * The job wrapper (DIRAC's JobWrapper and JobWrapperTemplate): runs one matched job in
 * `<workRoot>/<jobId>/` and reports every step through the pilot's reporter, in DIRAC's words
 * (docs/pilots.md, The job wrapper):
 *   initialize → input sandbox → input data → execute (preProcess, payload, postProcess)
 *   → output sandbox → output data → job outputs → finalize (final status, flush, remove the directory).
 * The watchdog starts at initialization, so downloads count toward the wall clock. The payload
 * runs where `context.payloadRunner` says: here by default, on a batch system's node in push mode
 * (pilot/push/), where every other step still runs here.
 *
 * Everything the wrapper asks of the API for its job (sandboxes, data, outputs, its final statuses,
 * its reschedule) goes through the job's own API, with the job's payload token
 * (pilot/wrapper/payload-token.ts); the pilot credential serves only the pilot's batches.
 *
 * Stopping: a Kill command (`kill()`) stops the payload and ends the job Killed without reporting
 * or uploading anything more (the server already set Killed); `interrupt()` (the pilot is going
 * away) stops it and reschedules the job; a watchdog limit stops it and fails the job with the
 * watchdog's minor status, after uploading the output sandbox. A step that fails ends the job
 * Failed with the step's minor status (or Rescheduled when the wrapper could not start, as DIRAC).
 */
import type {
  JobApi,
  MatchedJob,
  StatusUpdate,
  WrapperContext,
  WrapperHandle,
  WrapperOutcome,
} from '#pilot/api.ts';
import { acquireSharedSampler, type ProcessSampler } from '#pilot/watchdog/sampler.ts';
import { cpuLimitSeconds, startWatchdog, type Watchdog } from '#pilot/watchdog/watchdog.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import type { Logger } from '#shared/log.ts';
import { defaultHooks } from './default-hooks.ts';
import { JobStepError } from './errors.ts';
import { execute } from './execute.ts';
import { type HookContext, type HookVerdict, loadHooks } from './hooks.ts';
import { prepareInputs } from './inputs.ts';
import type { RunningPayload } from './payload.ts';
import { payloadTokenSource } from './payload-token.ts';
import { processOutputs } from './process-outputs.ts';
import { createJobDirectory, type JobPaths, jobPaths, removeJobDirectory } from './workdir.ts';

export interface JobWrapperOptions {
  /** The pilot's process sampler; by default the process-wide one for `watchdog.checkSeconds`. */
  readonly sampler?: ProcessSampler;
}

type StopReason =
  | { readonly kind: 'kill' }
  | { readonly kind: 'interrupt'; readonly reason: string }
  | { readonly kind: 'watchdog'; readonly minorStatus: string; readonly message: string };

/** Thrown at a checkpoint once the job must stop. */
class StopSignal extends Error {}

/** DIRAC's ApplicationStatus column holds 255 characters. */
const applicationStatus = (text: string) => (text.length > 255 ? `${text.slice(0, 252)}...` : text);

export function startJobWrapper(
  job: MatchedJob,
  context: WrapperContext,
  options: JobWrapperOptions = {},
): WrapperHandle {
  const wrapper = new JobWrapper(job, context, options);
  return {
    jobId: job.JobID,
    heartbeat: () => wrapper.heartbeat(),
    kill: () => wrapper.stop({ kind: 'kill' }),
    interrupt: (reason) => wrapper.stop({ kind: 'interrupt', reason }),
    done: wrapper.done,
  };
}

class JobWrapper {
  readonly done: Promise<WrapperOutcome>;
  private readonly paths: JobPaths;
  private readonly logger: Logger;
  /** The job's own API, with its payload token. */
  private readonly api: JobApi;
  private stopReason: StopReason | undefined;
  private watchdog: Watchdog | undefined;
  private payload: RunningPayload | undefined;
  private releaseSampler: (() => void) | undefined;

  constructor(
    private readonly job: MatchedJob,
    private readonly context: WrapperContext,
    private readonly options: JobWrapperOptions,
  ) {
    this.paths = jobPaths(context.workRoot, job.JobID);
    this.logger = context.logger.child({ jobId: job.JobID });
    const pilotApi = context.api;
    this.api = pilotApi.forJob(
      job.JobID,
      payloadTokenSource(job, () => pilotApi.payloadToken(job.JobID)),
    );
    this.done = this.run();
  }

  heartbeat() {
    return this.watchdog?.heartbeat() ?? {};
  }

  stop(reason: StopReason): void {
    // A Kill command wins over any other reason; otherwise the first one stands.
    if (this.stopReason && reason.kind !== 'kill') return;
    if (this.stopReason?.kind === 'kill') return;
    this.stopReason = reason;
    this.logger.info('stopping the job', { ...reason });
    void this.payload?.terminate(this.graceMs);
  }

  private get graceMs() {
    return this.context.config.watchdog.killGraceSeconds * 1000;
  }

  private async run(): Promise<WrapperOutcome> {
    try {
      return await this.steps();
    } catch (error) {
      return await this.endOnError(error);
    } finally {
      this.watchdog?.stop();
      this.releaseSampler?.();
      await removeJobDirectory(this.paths).catch((error: unknown) =>
        this.logger.warn('cannot remove the job directory', { error }),
      );
    }
  }

  private async steps(): Promise<WrapperOutcome> {
    const { job, context, paths, api } = this;
    let hooks: typeof defaultHooks;
    try {
      await createJobDirectory(paths);
      hooks = await loadHooks(context.config.hooks, context.configDir, defaultHooks);
    } catch (error) {
      throw new JobStepError(minorStatus.jobWrapperInitialization, (error as Error).message, {
        cause: error,
        action: 'reschedule',
      });
    }
    this.report({ Status: 'Running', MinorStatus: minorStatus.jobInitialization });
    this.startWatchdog();
    this.checkpoint();

    const cwlDocument = await prepareInputs({
      api,
      job,
      paths,
      logger: this.logger,
      report: (update) => this.report(update),
      checkpoint: () => this.checkpoint(),
    });
    this.checkpoint();

    const execution = await execute({
      context: this.hookContext(),
      cwlDocument,
      hooks,
      watchdog: this.watchdog as Watchdog,
      runner: context.payloadRunner,
      report: (update) => this.report(update),
      started: (payload) => {
        this.payload = payload;
        if (this.stopReason) void payload.terminate(this.graceMs);
      },
      running: (where) => {
        if (this.stopReason && this.stopReason.kind !== 'watchdog') return;
        this.report({
          Status: 'Running',
          MinorStatus: minorStatus.application,
          ...(where ? { ApplicationStatus: applicationStatus(where) } : {}),
        });
      },
      stopped: () => this.stopReason !== undefined && this.stopReason.kind !== 'watchdog',
      watchdogVerdict: () => (this.stopReason?.kind === 'watchdog' ? this.stopReason : undefined),
    });
    if (execution.kind === 'stopped') throw new StopSignal();
    if (execution.kind === 'verdict') return this.endWith(execution.verdict);

    const { result, decision } = execution;
    if (decision.status === 'Rescheduled') return this.reschedule(decision.minorStatus, decision.reason);
    this.report({
      Status: 'Completing',
      MinorStatus: decision.minorStatus,
      ...(decision.applicationStatus
        ? { ApplicationStatus: applicationStatus(decision.applicationStatus) }
        : {}),
    });
    const failure = await processOutputs({
      api,
      job,
      paths,
      config: context.config,
      logger: this.logger,
      result,
      decision,
      report: (update) => this.report(update),
      checkpoint: () => this.checkpoint(),
    });
    return this.end(failure === undefined ? { status: 'Done' } : { status: 'Failed', minorStatus: failure });
  }

  private hookContext(): HookContext {
    const { job, context, paths } = this;
    return {
      job,
      workDir: paths.root,
      paths,
      site: context.site,
      gridCE: context.gridCE,
      processors: context.processors,
      config: context.config,
      logger: this.logger,
    };
  }

  private startWatchdog(): void {
    const { config } = this.context;
    let sampler = this.options.sampler;
    if (!sampler) {
      const shared = acquireSharedSampler(config.watchdog.checkSeconds * 1000, this.context.logger);
      sampler = shared.sampler;
      this.releaseSampler = shared.release;
    }
    this.watchdog = startWatchdog({
      limits: config.watchdog,
      cpuLimitSeconds: cpuLimitSeconds(
        this.job.CPUTime,
        config.cpuNormalizationFactor,
        config.watchdog.cpuLimitMargin,
      ),
      workDir: this.paths.root,
      stdout: this.context.payloadRunner?.peek?.(this.paths) ?? this.paths.stdout,
      peekLines: config.peekLines,
      sampler,
      remote: this.context.payloadRunner?.remote ?? false,
      onLimit: (minor, message) => this.stop({ kind: 'watchdog', minorStatus: minor, message }),
    });
  }

  /** Kill and interrupt stop the job between steps; a watchdog limit does until the payload has run. */
  private checkpoint(): void {
    const reason = this.stopReason;
    if (reason && (reason.kind !== 'watchdog' || !this.payload)) throw new StopSignal();
  }

  /** Nothing is reported once a Kill command arrived: the server has set Killed. */
  private report(update: StatusUpdate): void {
    if (this.stopReason?.kind === 'kill') return;
    this.context.reporter.status({ Source: 'JobWrapper', ...update });
  }

  /** The job's queued statuses, with its payload token; with the pilot's once the job is final (Killed). */
  private async flush(asPilot = false): Promise<void> {
    await this.context.reporter.flush(asPilot ? undefined : this.api).catch((error: unknown) => {
      this.logger.warn('cannot send the job statuses', { error });
    });
  }

  private async end(outcome: WrapperOutcome, detail?: string): Promise<WrapperOutcome> {
    if (outcome.status === 'Done') {
      this.report({ Status: 'Done', MinorStatus: minorStatus.executionComplete });
    } else if (outcome.status === 'Failed') {
      this.report({
        Status: 'Failed',
        MinorStatus: outcome.minorStatus,
        ...(detail ? { ApplicationStatus: applicationStatus(detail) } : {}),
      });
    }
    await this.flush();
    this.logger.info('job wrapper done', { outcome });
    return outcome;
  }

  private endWith(verdict: HookVerdict): Promise<WrapperOutcome> {
    return verdict.status === 'Failed'
      ? this.end({ status: 'Failed', minorStatus: verdict.minorStatus }, verdict.applicationStatus)
      : this.reschedule(verdict.minorStatus, verdict.reason);
  }

  /** DIRAC's rescheduleFailedJob: the minor status, the statuses sent, then the reschedule request. */
  private async reschedule(minor: string, reason: string): Promise<WrapperOutcome> {
    this.report({ MinorStatus: minor, ApplicationStatus: applicationStatus(reason) });
    await this.flush();
    try {
      await this.api.reschedule();
    } catch (error) {
      this.logger.error('cannot reschedule the job', { error });
    }
    this.logger.info('job wrapper done', { outcome: 'Rescheduled', reason });
    return { status: 'Rescheduled', reason };
  }

  private async endOnError(error: unknown): Promise<WrapperOutcome> {
    const reason = this.stopReason;
    if (reason && (error instanceof StopSignal || reason.kind !== 'watchdog' || !this.payload)) {
      await this.payload?.exit;
      if (reason.kind === 'kill') {
        // The server set Killed: the job's payload token no longer works, so the pilot sends what is left.
        await this.flush(true);
        this.logger.info('job wrapper done', { outcome: 'Killed' });
        return { status: 'Killed' };
      }
      if (reason.kind === 'interrupt')
        return this.reschedule(minorStatus.goingToRescheduleJob, reason.reason);
      return this.end({ status: 'Failed', minorStatus: reason.minorStatus }, reason.message);
    }
    if (error instanceof JobStepError) {
      this.logger.warn('job step failed', { minorStatus: error.minorStatus, error: error.message });
      return error.action === 'reschedule'
        ? this.reschedule(error.minorStatus, error.message)
        : this.end({ status: 'Failed', minorStatus: error.minorStatus }, error.message);
    }
    this.logger.error('job wrapper exception', { error });
    return this.end(
      { status: 'Failed', minorStatus: minorStatus.exceptionDuringExecution },
      error instanceof Error ? error.message : String(error),
    );
  }
}
