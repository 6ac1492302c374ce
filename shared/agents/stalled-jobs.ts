/**
 * The StalledJobs agent (DIRAC's StalledJobAgent). Each run, per VO:
 * - Running or Completing jobs with no sign of life (heartbeat, status update, start) for
 *   `stalledAfterSeconds` become Stalled, their minor status kept;
 * - a Stalled job whose pilot is gone (it ended, or was not seen for `pilotGoneAfterSeconds`) is
 *   rescheduled, as the job manager reschedules (so `jobs.maxRescheduling` still fails it); one
 *   whose pilot lives but that stays Stalled for `failAfterSeconds` is Failed;
 * - a Matched job whose pilot ended (its record says so, or there is none) is rescheduled at once:
 *   a pilot killed between the claim and the job's first report cannot hand it back itself;
 * - other Matched jobs older than `matchedTimeoutSeconds` and Rescheduled ones older than
 *   `rescheduledTimeoutSeconds` are rescheduled.
 * At most `maxJobsPerRun` jobs change per run; each walk keeps its place for the next run.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rescheduleOnce, sweepJobs } from '#shared/agents/job-sweep.ts';
import { runBudget } from '#shared/agents/sweep.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { type JobStatus, minorStatus } from '#shared/jobs/status.ts';
import { failJob } from '#shared/jobs/transitions/fail.ts';
import { allOf, quietSince, samePilot } from '#shared/jobs/transitions/guards.ts';
import { stallJob } from '#shared/jobs/transitions/stall.ts';
import type { Logger } from '#shared/log.ts';
import { endedStatuses, type PilotRecord } from '#shared/pilots/model.ts';
import { getPilot } from '#shared/pilots/records.ts';

export type StalledJobsSettings = MuonConfig['agents']['stalledJobs'];

export interface StalledJobsDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly countersTable: string;
  readonly pilotsTable: string;
  readonly jobs: JobRepository;
  /** Sends rescheduled jobs to the start of the executor chain. */
  readonly startChain: (jobIds: readonly number[]) => Promise<void>;
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface StalledJobsRun {
  examined: number;
  stalled: number;
  rescheduled: number;
  failed: number;
}

/** Stalled first (they wait on a decision), Running last (the most jobs by far). */
const swept: readonly JobStatus[] = ['Stalled', 'Matched', 'Rescheduled', 'Completing', 'Running'];
const judgedWithPilot: ReadonlySet<JobStatus> = new Set(['Stalled', 'Matched']);

const agentSource = 'StalledJobAgent';

/** A pilot that ended, or that was not seen for `pilotGoneAfterSeconds`, is gone. */
export type PilotState = 'alive' | 'gone';

export type Verdict =
  | { readonly act: 'stall' }
  | { readonly act: 'reschedule' }
  | { readonly act: 'fail'; readonly minorStatus: string };

type Timed = Pick<JobRecord, 'status' | 'lastUpdateTime' | 'heartBeatTime' | 'startExecTime'>;

/** The newest sign that the job lives: a heartbeat, any update, its start (DIRAC: max(HB, LUT)). */
export const lastSignOfLife = (job: Timed): number =>
  Math.max(
    Date.parse(job.lastUpdateTime),
    job.heartBeatTime ? Date.parse(job.heartBeatTime) : 0,
    job.startExecTime ? Date.parse(job.startExecTime) : 0,
  );

/** No record, or no pilot named by the job, counts as gone: nothing will report on the job. */
export function pilotState(
  pilot: Pick<PilotRecord, 'status' | 'lastSeenAt'> | undefined,
  settings: StalledJobsSettings,
  now: number,
): PilotState {
  if (!pilot || endedStatuses.has(pilot.status)) return 'gone';
  const seen = Date.parse(pilot.lastSeenAt);
  return now - seen > settings.pilotGoneAfterSeconds * 1000 ? 'gone' : 'alive';
}

/**
 * A Matched job's pilot is gone only once it ended: one not seen for a while may still start the
 * job, which `matchedTimeoutSeconds` covers.
 */
export const matchedPilotState = (pilot: Pick<PilotRecord, 'status'> | undefined): PilotState =>
  !pilot || endedStatuses.has(pilot.status) ? 'gone' : 'alive';

/**
 * The quiet time after which a job in `status` is acted on; none for a status not judged, or for a
 * Stalled or Matched job whose pilot is gone (that alone decides). The verdict and its write's
 * guard use it.
 */
function quietLimit(
  status: JobStatus,
  settings: StalledJobsSettings,
  pilot?: PilotState,
): number | undefined {
  switch (status) {
    case 'Running':
    case 'Completing':
      return settings.stalledAfterSeconds;
    case 'Stalled':
      return pilot === 'gone' ? undefined : settings.failAfterSeconds;
    case 'Matched':
      return pilot === 'gone' ? undefined : settings.matchedTimeoutSeconds;
    case 'Rescheduled':
      return settings.rescheduledTimeoutSeconds;
    default:
      return undefined;
  }
}

/**
 * What the agent does with a job as of `now`, or nothing. A Stalled job needs its pilot's state;
 * without one (`undefined`) only the other statuses are judged, a Matched job by its age alone.
 */
export function judge(
  job: Timed,
  settings: StalledJobsSettings,
  now: number,
  pilot?: PilotState,
): Verdict | undefined {
  const limit = quietLimit(job.status, settings, pilot);
  const quiet = limit !== undefined && now - lastSignOfLife(job) > limit * 1000;
  switch (job.status) {
    case 'Running':
    case 'Completing':
      return quiet ? { act: 'stall' } : undefined;
    case 'Stalled':
      if (pilot === 'gone') {
        return settings.rescheduleWhenPilotGone
          ? { act: 'reschedule' }
          : { act: 'fail', minorStatus: minorStatus.stalledPilotNotRunning };
      }
      // Marking a job Stalled updates it, so this counts from then, as in DIRAC.
      if (pilot === 'alive' && quiet) {
        return { act: 'fail', minorStatus: `Stalling for more than ${settings.failAfterSeconds} sec` };
      }
      return undefined;
    case 'Matched':
      return pilot === 'gone' || quiet ? { act: 'reschedule' } : undefined;
    case 'Rescheduled':
      return quiet ? { act: 'reschedule' } : undefined;
    default:
      return undefined;
  }
}

type Outcome = 'stalled' | 'rescheduled' | 'failed';

export async function findStalledJobs(deps: StalledJobsDeps): Promise<StalledJobsRun> {
  const settings = deps.config.agents.stalledJobs;
  const run: StalledJobsRun = { examined: 0, stalled: 0, rescheduled: 0, failed: 0 };
  const now = deps.now().getTime();
  const pilots: PilotReads = new Map();
  await sweepJobs(deps, {
    vos: Object.keys(deps.config.virtualOrganizations),
    statuses: swept,
    cursor: (vo, status) => `stalledJobs#${vo}#${status}`,
    budget: runBudget(settings.maxJobsPerRun),
    run,
    // Stalled and Matched jobs are judged with their pilot, read only for them.
    worthReading: (job) => judgedWithPilot.has(job.status) || judge(job, settings, now) !== undefined,
    settle: (jobId) => settle(deps, jobId, now, pilots),
  });
  return run;
}

/**
 * Judges the job as it is now and writes the verdict with its transition, which holds only on the
 * pilot read and, but for a vanished pilot, while the job stays quiet: a heartbeat that lands
 * first wins, and the job is judged again next run.
 */
async function settle(
  deps: StalledJobsDeps,
  jobId: number,
  now: number,
  pilots: PilotReads,
): Promise<Outcome | undefined> {
  const settings = deps.config.agents.stalledJobs;
  const job = await deps.jobs.get(jobId);
  if (!job) return undefined;
  const pilotReference = job.pilotReference;
  const pilot = await pilotOf(deps, job, now, pilots);
  const verdict = judge(job, settings, now, pilot);
  if (!verdict) return undefined;
  const outcome = await write(deps, job, verdict, now, pilot);
  if (outcome)
    deps.logger.info('stalled jobs agent', { jobId, status: job.status, outcome, pilotReference, pilot });
  return outcome;
}

/** Pilot records read in one run, by reference: a pilot's jobs share one read. */
type PilotReads = Map<string, Promise<PilotRecord | undefined>>;

/** The state of the pilot a Stalled or Matched job was handed to; undefined for the others. */
async function pilotOf(
  deps: StalledJobsDeps,
  job: JobRecord,
  now: number,
  pilots: PilotReads,
): Promise<PilotState | undefined> {
  if (!judgedWithPilot.has(job.status)) return undefined;
  const reference = job.pilotReference;
  let read = reference ? pilots.get(reference) : undefined;
  if (reference && !read) {
    read = getPilot(deps.dynamo, deps.pilotsTable, reference);
    pilots.set(reference, read);
  }
  const record = await read;
  return job.status === 'Stalled'
    ? pilotState(record, deps.config.agents.stalledJobs, now)
    : matchedPilotState(record);
}

async function write(
  deps: StalledJobsDeps,
  job: JobRecord,
  verdict: Verdict,
  now: number,
  pilot?: PilotState,
): Promise<Outcome | undefined> {
  const settings = deps.config.agents.stalledJobs;
  const time = new Date(now).toISOString();
  const seconds = quietLimit(job.status, settings, pilot);
  const since = seconds === undefined ? undefined : new Date(now - seconds * 1000).toISOString();
  const guard = allOf(samePilot(job.pilotReference), since === undefined ? undefined : quietSince(since));
  const store = deps.jobs.transitions;
  switch (verdict.act) {
    case 'stall': {
      const result = await stallJob(store, job, { time, source: agentSource, quietSince: since ?? time });
      return result.ok ? 'stalled' : undefined;
    }
    case 'fail': {
      // The Kill command reaches a pilot that is only out of touch, if it ever comes back.
      const result = await failJob(store, job, {
        time,
        source: agentSource,
        minorStatus: verdict.minorStatus,
        guard,
      });
      return result.ok ? 'failed' : undefined;
    }
    case 'reschedule':
      return rescheduleOnce(deps.jobs, job, {
        time,
        source: agentSource,
        maxRescheduling: deps.config.jobs.maxRescheduling,
        guard,
      });
  }
}
