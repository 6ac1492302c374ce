/**
 * The pilot's reporter (DIRAC's JobReport, for every job of the pilot at once). Job wrappers record
 * status updates as they happen; each is stamped with the time of the call (ISO, milliseconds,
 * strictly increasing per job so two updates in one millisecond keep their order). Every heartbeat
 * period the pilot sends all queued updates in one `PATCH /api/jobs/status`, then every running
 * wrapper's figures in one `PATCH /api/jobs/heartbeat`, and hands the Kill commands of the answer
 * to the wrappers. A send that fails keeps its updates queued for the next one: each carries its
 * own time, so the API still applies them in their true order. Sends never overlap, so a job's
 * updates never overtake each other on the way.
 *
 * These batches are the pilot's own calls, made with the pilot credential: like DIRAC's pilot-level
 * heartbeat loop, one request per period covers every job. A job wrapper's final flush of its one
 * job goes through that job's API instead (its payload token), still in the same one-at-a-time
 * order.
 */
import type {
  HeartbeatData,
  JobApi,
  JobReporter,
  PilotApi,
  StatusUpdate,
  WrapperHandle,
} from '#pilot/api.ts';
import { ApiCallError } from '#pilot/retry.ts';
import { isRetryableFailure } from '#shared/jobs/retryable-failures.ts';
import type { Logger } from '#shared/log.ts';

export interface Reporter {
  /** The reporter a job's wrapper gets. */
  forJob(jobId: number): JobReporter;
  /** One heartbeat period: every queued status update, then the running wrappers' heartbeats. */
  cycle(running: ReadonlyMap<number, WrapperHandle>): Promise<void>;
  /** Sends the queued updates of these jobs (all jobs when omitted) now. */
  flush(jobIds?: readonly number[]): Promise<void>;
  /** Updates waiting to be sent. */
  pending(): number;
}

export interface ReporterDeps {
  readonly api: Pick<PilotApi, 'sendStatuses' | 'sendHeartbeats'>;
  readonly logger: Logger;
  /** Milliseconds since the epoch (replaced in tests). */
  readonly now?: () => number;
}

type Queue = Map<number, Map<string, StatusUpdate>>;

export function createReporter(deps: ReporterDeps): Reporter {
  const now = deps.now ?? Date.now;
  const queued: Queue = new Map();
  const lastStamp = new Map<number, number>();
  const flushWanted = new Set<number>();
  let chain: Promise<void> = Promise.resolve();

  const record = (jobId: number, update: StatusUpdate) => {
    const stamp = Math.max(now(), (lastStamp.get(jobId) ?? Number.NEGATIVE_INFINITY) + 1);
    lastStamp.set(jobId, stamp);
    const updates = queued.get(jobId) ?? new Map<string, StatusUpdate>();
    queued.set(jobId, updates);
    updates.set(new Date(stamp).toISOString(), { ...update, Source: update.Source ?? 'JobWrapper' });
  };

  /** Runs after every send before it: one request at a time. */
  const serially = (send: () => Promise<void>): Promise<void> => {
    const run = chain.then(send);
    chain = run.catch(() => undefined);
    return run;
  };

  const take = (jobIds: readonly number[]): Queue => {
    const taken: Queue = new Map();
    for (const jobId of jobIds) {
      const updates = queued.get(jobId);
      if (updates && updates.size > 0) taken.set(jobId, updates);
      queued.delete(jobId);
    }
    return taken;
  };

  /** Puts back updates whose send failed, before any recorded since (they are older). */
  const requeue = (taken: Queue) => {
    for (const [jobId, updates] of taken) {
      const later = queued.get(jobId);
      queued.set(jobId, later ? new Map([...updates, ...later]) : updates);
    }
  };

  const body = (batch: Queue) =>
    Object.fromEntries([...batch].map(([jobId, updates]) => [String(jobId), Object.fromEntries(updates)]));

  /** Sends the updates of `jobIds`, with the pilot's API or, for one job, `via` that job's own. */
  const sendStatuses = async (
    jobIds: readonly number[],
    via: Pick<JobApi, 'sendStatuses'> = deps.api,
  ): Promise<void> => {
    const batch = take(jobIds);
    if (batch.size === 0) return;
    try {
      const unapplied = notApplied(await via.sendStatuses(body(batch)));
      if (unapplied.size > 0) {
        // The API did not reach these jobs (its time budget, its store): sent again next time.
        requeue(new Map([...batch].filter(([jobId]) => unapplied.has(jobId))));
        deps.logger.warn('status updates not applied; kept for the next heartbeat', { jobs: unapplied.size });
      }
    } catch (error) {
      if (!isRefusal(error)) {
        requeue(batch);
        deps.logger.warn('status updates not sent; kept for the next heartbeat', {
          jobs: batch.size,
          error: message(error),
        });
        return;
      }
      if (batch.size > 1) {
        // One job's refused update must not drop the others': send them job by job.
        for (const jobId of batch.keys()) queued.set(jobId, batch.get(jobId) as Map<string, StatusUpdate>);
        for (const jobId of batch.keys()) await sendStatuses([jobId]);
        return;
      }
      deps.logger.warn('status updates refused by the API; dropped', {
        jobId: [...batch.keys()][0],
        updates: Object.fromEntries([...batch.values()].flatMap((updates) => [...updates])),
        error: message(error),
      });
    }
  };

  const sendHeartbeats = async (running: ReadonlyMap<number, WrapperHandle>): Promise<void> => {
    const beats: Record<string, HeartbeatData> = {};
    for (const [jobId, handle] of running) {
      try {
        beats[String(jobId)] = handle.heartbeat();
      } catch (error) {
        deps.logger.warn('a job wrapper gave no heartbeat', { jobId, error: message(error) });
      }
    }
    if (Object.keys(beats).length === 0) return;
    let commands: Awaited<ReturnType<PilotApi['sendHeartbeats']>>;
    try {
      commands = await deps.api.sendHeartbeats(beats);
    } catch (error) {
      // Refused (a job that just ended is no longer running): the next beat is for the others.
      const level = isRefusal(error) ? 'debug' : 'warn';
      deps.logger[level]('heartbeats not sent', { jobs: Object.keys(beats).length, error: message(error) });
      return;
    }
    for (const { job_id: jobId, command } of commands) {
      const handle = running.get(jobId);
      if (command === 'Kill' && handle) {
        deps.logger.info('Kill command received', { jobId });
        handle.kill();
      } else {
        deps.logger.warn('job command not handled', { jobId, command });
      }
    }
  };

  return {
    forJob: (jobId) => ({
      status: (update) => record(jobId, update),
      flush: (via) => {
        if (via) return serially(() => sendStatuses([jobId], via));
        flushWanted.add(jobId);
        // Flushes asked for while a send is in flight go together in the next request.
        return serially(() => {
          const jobIds = [...flushWanted];
          flushWanted.clear();
          return sendStatuses(jobIds);
        });
      },
    }),
    cycle: (running) =>
      serially(async () => {
        await sendStatuses([...queued.keys()]);
        await sendHeartbeats(running);
      }),
    flush: (jobIds) => serially(() => sendStatuses(jobIds ?? [...queued.keys()])),
    pending: () => [...queued.values()].reduce((sum, updates) => sum + updates.size, 0),
  };
}

/** The API answered that these updates are wrong (4xx but 429): sending them again cannot help. */
const isRefusal = (error: unknown): boolean => error instanceof ApiCallError && !error.retryable;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Jobs of a status answer that the API did not change but may on a new try (docs/jobs.md). */
function notApplied(answer: unknown): Set<number> {
  const failed = (answer as { failed?: Record<string, { code?: string }> } | undefined)?.failed ?? {};
  return new Set(
    Object.entries(failed)
      .filter(([, failure]) => isRetryableFailure(failure))
      .map(([jobId]) => Number(jobId)),
  );
}
