/**
 * The pilot's job agent (DIRAC's JobAgent with a pool of slots): it asks the matcher for a job while
 * cores are free, starts a job wrapper for each match, and stops taking jobs when asked to, after
 * its maximum number of jobs, when too little time is left, or after `idleStopSeconds` with nothing
 * to run. After an empty answer it waits longer each time (pilot/polling.ts); after a match it asks
 * again at once while cores are free (DIRAC's filling mode), and so it does after a wake-up, which
 * also forgets the empty answers. Once stopped it asks no more; a job it will not run (matched as
 * the stop came, too big, its wrapper did not start) is handed back with a reschedule, and the
 * agent returns only after those hand-backs were answered.
 */
import { randomUUID } from 'node:crypto';
import type { MatchedJob, PilotApi, ResourceRequest, WrapperContext, WrapperHandle } from '#pilot/api.ts';
import { createIdleClock, pollWaitSeconds, type WakeUps } from '#pilot/polling.ts';
import type { Reporter } from '#pilot/reporter.ts';
import { ApiCallError } from '#pilot/retry.ts';
import { processorsFor, type Slots } from '#pilot/slots.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { MuonError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';

/** Starts the job wrapper of one matched job (pilot/wrapper/ in production, fakes in tests). */
export type WrapperFactory = (job: MatchedJob, context: WrapperContext) => WrapperHandle;

/** The pilot cannot go on: the API refused what only a broken pilot or configuration would send. */
export class PilotStoppedError extends MuonError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('pilot.stopped', 500, message, options);
  }
}

export interface JobAgentDeps {
  readonly api: Pick<PilotApi, 'requestJob' | 'reschedule'>;
  readonly reporter: Pick<Reporter, 'flush'>;
  readonly slots: Slots;
  /** The running wrappers by job id; the agent adds and removes them, the heartbeat reads them. */
  readonly running: Map<number, WrapperHandle>;
  readonly config: Pick<MuonConfig['pilot'], 'pollSeconds' | 'maxPollSeconds' | 'minTimeLeftSeconds'>;
  readonly idleStopSeconds: number;
  readonly maxJobs?: number;
  readonly timeLeft: () => Promise<number | undefined>;
  readonly request: (timeLeftSeconds: number | undefined) => ResourceRequest;
  readonly startWrapper: WrapperFactory;
  readonly context: (job: MatchedJob, processors: number) => WrapperContext;
  readonly logger: Logger;
  /** Wake-ups that end a wait for work at once (the embedded runtime's, when a job waits). */
  readonly wakeUps?: Pick<WakeUps, 'subscribe'>;
  /** Aborted when the pilot must stop taking jobs; its reason is logged. */
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

/** Takes and starts jobs until there is a reason to stop; returns the reason. */
export async function takeJobs(deps: JobAgentDeps): Promise<string> {
  const { slots, running, logger, signal } = deps;
  const idle = createIdleClock(deps.idleStopSeconds, deps.now);
  const waiter = createWaiter(signal);
  let emptyAnswers = 0;
  let started = 0;

  // Hand-backs still on their way: the agent returns only once they are, so the pilot never ends
  // (and loses its credential) before the API took back the jobs it will not run.
  const handBacks = new Set<Promise<void>>();
  const reschedule = (jobId: number, why: string) => {
    logger.warn('job not run; asking to reschedule it', { jobId, why });
    const handBack = deps.api
      .reschedule([jobId])
      .catch((error) => logger.error('reschedule failed', { jobId, error }))
      .finally(() => handBacks.delete(handBack));
    handBacks.add(handBack);
  };

  const start = (job: MatchedJob): boolean => {
    const jobId = job.JobID;
    const processors = processorsFor(job.Description, slots.free, slots.total);
    if (processors === undefined) {
      reschedule(jobId, `it needs more cores than the ${slots.free} free`);
      return false;
    }
    slots.take(jobId, processors, job.Description.maxRamMb);
    let handle: WrapperHandle;
    try {
      handle = deps.startWrapper(job, deps.context(job, processors));
    } catch (error) {
      slots.release(jobId);
      logger.error('the job wrapper did not start', { jobId, error });
      reschedule(jobId, 'the job wrapper did not start');
      return false;
    }
    running.set(jobId, handle);
    logger.info('job started', { jobId, processors, owner: job.Owner, jobType: job.JobType });
    handle.done
      .then(
        (outcome) => logger.info('job ended', { jobId, ...outcome }),
        (error) => {
          logger.error('the job wrapper failed', { jobId, error });
          reschedule(jobId, 'the job wrapper failed');
        },
      )
      .finally(() => {
        running.delete(jobId);
        slots.release(jobId);
        idle.busy();
        void deps.reporter.flush([jobId]);
        waiter.wake();
      });
    return true;
  };

  // One id per request; a request that failed on the way is asked again under its id, as a repeat:
  // if it did claim a job, the matcher gives that job back rather than claiming another.
  let unanswered: string | undefined;
  const ask = async (timeLeft: number | undefined): Promise<MatchedJob | undefined> => {
    const repeat = unanswered !== undefined;
    const id = unanswered ?? randomUUID();
    unanswered = id;
    try {
      const job = await deps.api.requestJob({
        ...deps.request(timeLeft),
        RequestID: id,
        ...(repeat ? { Repeat: true } : {}),
      });
      unanswered = undefined;
      return job;
    } catch (error) {
      if (error instanceof ApiCallError && error.status !== undefined && !error.retryable)
        unanswered = undefined;
      if (error instanceof ApiCallError && !error.retryable) {
        throw new PilotStoppedError(`the matcher refused the pilot's request: ${error.message}`, {
          cause: error,
        });
      }
      logger.warn('matcher request failed', { error: (error as Error).message });
      return undefined;
    }
  };

  // A wake-up that comes while the pilot asks must not be lost: the answer may predate the job.
  let woken = false;
  const unsubscribe = deps.wakeUps?.subscribe(() => {
    emptyAnswers = 0;
    woken = true;
    waiter.wake();
  });
  try {
    return await takeUntilStopped();
  } finally {
    unsubscribe?.();
    await Promise.all(handBacks);
  }

  async function takeUntilStopped(): Promise<string> {
    while (!signal.aborted) {
      if (deps.maxJobs !== undefined && started >= deps.maxJobs)
        return `it started ${started} jobs, its maximum`;
      const timeLeft = await deps.timeLeft();
      if (timeLeft !== undefined && timeLeft < deps.config.minTimeLeftSeconds) {
        return `${timeLeft} s left, less than pilot.minTimeLeftSeconds (${deps.config.minTimeLeftSeconds} s)`;
      }
      if (slots.free === 0) {
        await waiter.wait(60_000);
        continue;
      }
      if (slots.running === 0 && idle.remainingMs() <= 0) return `no work for ${deps.idleStopSeconds} s`;
      // A stop that came while the time left was read: no claim to hand back.
      if (signal.aborted) break;
      woken = false;
      const job = await ask(timeLeft);
      if (signal.aborted && job) {
        // Asked before the stop and matched after it: the job goes back to its task queue.
        reschedule(job.JobID, 'the pilot is stopping');
        break;
      }
      if (job) {
        emptyAnswers = 0;
        idle.busy();
        if (start(job)) started += 1;
        continue;
      }
      emptyAnswers += 1;
      let waitMs = pollWaitSeconds(emptyAnswers, deps.config) * 1000;
      if (slots.running === 0) waitMs = Math.min(waitMs, Math.max(0, idle.remainingMs()));
      if (!woken) await waiter.wait(waitMs);
    }
    return stopReason(signal);
  }
}

/**
 * After the pilot stopped taking jobs: running jobs finish; when the pilot was asked to stop they
 * get `graceSeconds`, then are interrupted (their wrappers reschedule them), at once when `force`
 * is aborted.
 */
export async function drainJobs(options: {
  readonly running: ReadonlyMap<number, WrapperHandle>;
  readonly stop: AbortSignal;
  readonly force: AbortSignal;
  readonly graceSeconds: number;
  /** How long interrupted wrappers get to stop their payloads and report. */
  readonly interruptSeconds: number;
  readonly logger: Logger;
}): Promise<void> {
  const { running, logger } = options;
  if (running.size === 0) return;
  if (!options.stop.aborted) {
    logger.info('waiting for running jobs', { jobs: running.size });
    await Promise.race([settled(running), aborted(options.stop)]);
  }
  if (running.size === 0) return;
  logger.info('stopping: running jobs get the grace period', {
    jobs: running.size,
    graceSeconds: options.graceSeconds,
  });
  // The wait's timer goes with it: a pending timer would keep a finished pilot process alive.
  const grace = new AbortController();
  await Promise.race([
    settled(running),
    delay(options.graceSeconds * 1000, AbortSignal.any([options.force, grace.signal])),
    aborted(options.force),
  ]);
  grace.abort();
  await interruptAll(running, `the pilot stopped (${stopReason(options.stop)})`, {
    logger,
    waitSeconds: options.interruptSeconds,
  });
  if (running.size > 0) logger.error('job wrappers did not stop in time', { jobIds: [...running.keys()] });
}

/** Interrupts every running wrapper, then waits until they end, at most `waitSeconds`. */
export async function interruptAll(
  running: ReadonlyMap<number, WrapperHandle>,
  reason: string,
  options: { readonly logger: Logger; readonly waitSeconds: number },
): Promise<void> {
  for (const [jobId, handle] of running) {
    options.logger.warn('interrupting job', { jobId, reason });
    try {
      handle.interrupt(reason);
    } catch (error) {
      options.logger.error('interrupt failed', { jobId, error });
    }
  }
  // The wait's timer goes with it: a pending timer would keep an ended pilot's process alive.
  const waiting = new AbortController();
  await Promise.race([settled(running), delay(options.waitSeconds * 1000, waiting.signal)]);
  waiting.abort();
}

const settled = (running: ReadonlyMap<number, WrapperHandle>) =>
  Promise.allSettled([...running.values()].map((handle) => handle.done));

const stopReason = (signal: AbortSignal): string =>
  signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'stop requested');

/** Waits that end early when the pilot stops or, if `wake` is called, when a slot frees. */
function createWaiter(signal: AbortSignal) {
  let wakeUp: (() => void) | undefined;
  return {
    wake: () => wakeUp?.(),
    wait: (ms: number) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        const finish = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          wakeUp = undefined;
          resolve();
        };
        const timer = setTimeout(finish, ms);
        signal.addEventListener('abort', finish, { once: true });
        wakeUp = finish;
      }),
  };
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

const aborted = (signal: AbortSignal): Promise<void> =>
  signal.aborted
    ? Promise.resolve()
    : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
