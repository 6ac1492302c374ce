/**
 * Push mode's payload runner: the job wrapper runs on the edge node and hands this runner only the
 * payload, which it submits to Slurm as a batch script in the job directory (on a file system the
 * compute nodes share). One loop asks `squeue` about every submitted payload at once every
 * `pollSeconds`; when Slurm says a payload's batch job ended, the runner reads the exit code, CPU
 * and wall-clock time the script left in the job's `.muon/` and settles its `exit`. Stopping a
 * payload (Kill, interrupt, the wall-clock limit) is `scancel`.
 */
import { writeFile } from 'node:fs/promises';
import { JobStepError } from '#pilot/wrapper/errors.ts';
import type { PayloadExit, PayloadRunner, RunningPayload } from '#pilot/wrapper/payload.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import type { Logger } from '#shared/log.ts';
import { batchOutputTail, payloadEnding, phaseOf, readResult, type ScriptResult } from './ending.ts';
import {
  type PayloadFiles,
  payloadFiles,
  payloadScript,
  sbatchArguments,
  timeLimitMinutes,
} from './script.ts';
import type { PushSettings } from './settings.ts';
import type { SlurmClient } from './slurm-client.ts';

/** The push settings it uses: where and how to submit (`timeLimitMinutes`: the partition's limit), how often to poll. */
export interface SlurmRunnerOptions
  extends Pick<
    PushSettings,
    'partition' | 'account' | 'sbatchOptions' | 'timeLimitMinutes' | 'isolateNetwork' | 'pollSeconds'
  > {
  readonly client: SlurmClient;
  readonly pilotReference: string;
  /** `cpuNormalizationFactor` and the watchdog's limits give each payload's `--time`. */
  readonly config: MuonConfig['pilot'];
  readonly logger: Logger;
}

export interface SlurmPayloadRunner extends PayloadRunner {
  /** Stops polling (the pilot ends); payloads it still follows are left as they are. */
  close(): void;
}

interface Tracked {
  readonly slurmJobId: string;
  readonly jobId: number;
  readonly files: PayloadFiles;
  ran: boolean;
  cancelRequested: boolean;
  cancelSent: boolean;
  /** Polls in a row that did not list the job. */
  missing: number;
  /** Polls since Slurm said it ended without the exit code file. */
  endedWithoutResult: number;
  running(where: string): void;
  exit(exit: PayloadExit): void;
  fail(error: Error): void;
}

/** Polls a forgotten job, or a file a shared file system shows late, is waited for. */
const patiencePolls = 3;

export function createSlurmPayloadRunner(options: SlurmRunnerOptions): SlurmPayloadRunner {
  const { client, logger } = options;
  const tracked = new Map<string, Tracked>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const schedule = () => {
    if (timer || closed || tracked.size === 0) return;
    timer = setTimeout(() => {
      void poll().finally(() => {
        timer = undefined;
        schedule();
      });
    }, options.pollSeconds * 1000);
  };

  const sendCancel = async (job: Tracked) => {
    try {
      await client.cancel(job.slurmJobId);
      job.cancelSent = true;
    } catch (error) {
      logger.warn('scancel failed; trying again at the next poll', {
        jobId: job.jobId,
        slurmJobId: job.slurmJobId,
        error: (error as Error).message,
      });
    }
  };

  const end = async (job: Tracked, state: string, result: ScriptResult) => {
    tracked.delete(job.slurmJobId);
    const ending = payloadEnding({
      slurmJobId: job.slurmJobId,
      state,
      cancelRequested: job.cancelRequested,
      result,
    });
    logger.info('payload ended in Slurm', {
      jobId: job.jobId,
      slurmJobId: job.slurmJobId,
      state,
      ...ending,
    });
    if (ending.kind === 'reschedule') {
      job.fail(new JobStepError(minorStatus.goingToRescheduleJob, ending.reason, { action: 'reschedule' }));
    } else if (ending.kind === 'error') {
      const output = await batchOutputTail(job.files.batchOutput);
      job.fail(
        new JobStepError(
          minorStatus.exceptionDuringExecution,
          output ? `${ending.message} ${output}` : ending.message,
        ),
      );
    } else {
      // A payload that left its exit code ran, even if no poll caught it running.
      if (result.exitCode !== undefined) job.running(`Slurm job ${job.slurmJobId}`);
      job.exit({
        exitCode: ending.exitCode,
        signal: ending.signal,
        ...(result.cpuSeconds !== undefined ? { cpuSeconds: result.cpuSeconds } : {}),
        ...(result.wallClockSeconds !== undefined ? { wallClockSeconds: result.wallClockSeconds } : {}),
        ...(ending.limit ? { limit: ending.limit } : {}),
      });
    }
  };

  /** One `squeue` for every payload in Slurm (one per 200), then what each answer means. */
  const poll = async () => {
    const jobs = [...tracked.values()];
    await Promise.all(jobs.filter((job) => job.cancelRequested && !job.cancelSent).map(sendCancel));
    let states: Awaited<ReturnType<SlurmClient['query']>>;
    try {
      states = await client.query(jobs.map((job) => job.slurmJobId));
    } catch (error) {
      logger.warn('squeue failed; asking again at the next poll', {
        payloads: jobs.length,
        error: (error as Error).message,
      });
      return;
    }
    for (const job of jobs) {
      // Given up on by `terminate` meanwhile.
      if (!tracked.has(job.slurmJobId)) continue;
      const seen = states.get(job.slurmJobId);
      if (!seen) {
        job.missing += 1;
        const result = await readResult(job.files);
        if (result.exitCode !== undefined || job.missing >= patiencePolls) await end(job, 'UNKNOWN', result);
        continue;
      }
      job.missing = 0;
      const phase = phaseOf(seen.state);
      if (phase === 'running') {
        job.running(`Slurm job ${job.slurmJobId}${seen.nodes ? ` on ${seen.nodes}` : ''}`);
      } else if (phase === 'ended') {
        const result = await readResult(job.files);
        const late =
          result.exitCode === undefined &&
          result.error === undefined &&
          (seen.state === 'COMPLETED' || seen.state === 'FAILED') &&
          job.endedWithoutResult < patiencePolls;
        if (late) job.endedWithoutResult += 1;
        else await end(job, seen.state, result);
      }
    }
  };

  return {
    remote: true,

    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },

    async start(payload, launch) {
      const { job, paths, processors } = launch;
      const files = payloadFiles(paths);
      const script = payloadScript({
        jobId: job.JobID,
        pilotReference: options.pilotReference,
        paths,
        command: payload.command,
        env: payload.env,
        isolateNetwork: options.isolateNetwork,
      });
      await writeFile(files.script, script, { mode: 0o755 });
      const { config } = options;
      const args = sbatchArguments({
        jobId: job.JobID,
        paths,
        processors,
        timeLimitMinutes: timeLimitMinutes({
          cpuTime: job.CPUTime,
          cpuNormalizationFactor: config.cpuNormalizationFactor,
          cpuLimitMargin: config.watchdog.cpuLimitMargin,
          maxWallClockSeconds: config.watchdog.maxWallClockSeconds,
          partitionLimitMinutes: options.timeLimitMinutes,
        }),
        memoryMb: job.Description.maxRamMb,
        wholeNode: job.Description.wholeNode,
        partition: options.partition,
        account: options.account,
        extra: options.sbatchOptions,
      });
      let slurmJobId: string;
      try {
        slurmJobId = await client.submit(args);
      } catch (error) {
        // DIRAC's JobAgent reschedules a job its CE refused.
        throw new JobStepError(
          minorStatus.goingToRescheduleJob,
          `Slurm did not take the payload: ${(error as Error).message}`,
          { cause: error, action: 'reschedule' },
        );
      }
      launch.logger.info('payload submitted to Slurm', { slurmJobId, processors });
      launch.report({
        Status: 'Running',
        MinorStatus: minorStatus.submittingToCe,
        ApplicationStatus: `Slurm job ${slurmJobId}`,
      });
      return follow(slurmJobId, job.JobID, files);
    },
  };

  function follow(slurmJobId: string, jobId: number, files: PayloadFiles): RunningPayload {
    let running: (where: string) => void = () => undefined;
    let exit: (exit: PayloadExit) => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    const started = new Promise<string | undefined>((resolve) => {
      running = resolve;
    });
    const ended = new Promise<PayloadExit>((resolve, reject) => {
      exit = resolve;
      fail = reject;
    });
    // The wrapper awaits it; a rejection must not count as unhandled before it does.
    ended.catch(() => undefined);
    const job: Tracked = {
      slurmJobId,
      jobId,
      files,
      ran: false,
      cancelRequested: false,
      cancelSent: false,
      missing: 0,
      endedWithoutResult: 0,
      running: (where) => {
        if (job.ran) return;
        job.ran = true;
        running(where);
      },
      exit,
      fail,
    };
    tracked.set(slurmJobId, job);
    schedule();
    const gone: PayloadExit = { exitCode: null, signal: 'SIGTERM' };
    return {
      running: started,
      exit: ended,
      async terminate(graceMs) {
        if (!tracked.has(slurmJobId)) return ended.catch(() => gone);
        job.cancelRequested = true;
        await sendCancel(job);
        // Slurm's KillWait is the grace; if Slurm does not confirm in time the pilot stops waiting.
        const patienceMs = graceMs + (patiencePolls + 1) * options.pollSeconds * 1000 + 20_000;
        let giveUp: NodeJS.Timeout | undefined;
        const timeout = new Promise<PayloadExit>((resolve) => {
          giveUp = setTimeout(() => {
            if (tracked.delete(slurmJobId)) {
              logger.error('Slurm did not confirm the cancel; the payload is left to it', {
                jobId,
                slurmJobId,
              });
              exit(gone);
            }
            resolve(gone);
          }, patienceMs);
        });
        try {
          return await Promise.race([ended.catch(() => gone), timeout]);
        } finally {
          clearTimeout(giveUp);
        }
      },
      reap: () => undefined,
    };
  }
}
