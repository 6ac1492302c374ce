/**
 * The UnconfirmedMatches agent (issue 15): a Matched job that no report from its pilot confirmed
 * within `matcher.confirmSeconds` of the claim is rescheduled, so it goes back to Waiting through
 * Rescheduled and the executor chain, as DIRAC's StalledJobAgent does with Matched jobs past
 * MatchedTime (7200 s), only sooner. Such a match most likely never reached its pilot (the answer
 * was lost on the way, the pilot timed out and did not repeat): a pilot that got its job reports
 * on it within one heartbeat period (`pilot.heartbeatSeconds`), which moves the job's update time
 * or its status. The StalledJobs agent's Matched rules stay as they are: this one comes first.
 *
 * Each run, per VO, walks the Matched jobs (the byStatus index, whose projection carries the
 * times) and reschedules the quiet ones with a write that holds only if the job is still Matched
 * to the same pilot and still quiet: a report that lands first wins. A rescheduled job counts
 * towards `jobs.maxRescheduling`, as DIRAC's Matched kick does.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { rescheduleOnce, sweepJobs } from '#shared/agents/job-sweep.ts';
import { lastSignOfLife } from '#shared/agents/stalled-jobs.ts';
import { runBudget } from '#shared/agents/sweep.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { allOf, quietSince, samePilot } from '#shared/jobs/transitions/guards.ts';
import type { Logger } from '#shared/log.ts';

export interface UnconfirmedMatchesDeps {
  readonly config: MuonConfig;
  readonly dynamo: DynamoDBDocumentClient;
  readonly jobsTable: string;
  readonly countersTable: string;
  readonly jobs: JobRepository;
  /** Sends rescheduled jobs to the start of the executor chain. */
  readonly startChain: (jobIds: readonly number[]) => Promise<void>;
  readonly now: () => Date;
  readonly logger: Logger;
}

export interface UnconfirmedMatchesRun {
  examined: number;
  rescheduled: number;
  failed: number;
}

const agentSource = 'UnconfirmedMatches';

export async function returnUnconfirmedMatches(deps: UnconfirmedMatchesDeps): Promise<UnconfirmedMatchesRun> {
  const run: UnconfirmedMatchesRun = { examined: 0, rescheduled: 0, failed: 0 };
  const now = deps.now().getTime();
  const since = new Date(now - deps.config.matcher.confirmSeconds * 1000).toISOString();
  await sweepJobs(deps, {
    vos: Object.keys(deps.config.virtualOrganizations),
    statuses: ['Matched'],
    cursor: (vo) => `unconfirmedMatches#${vo}`,
    budget: runBudget(deps.config.agents.stalledJobs.maxJobsPerRun),
    run,
    worthReading: (job) => lastSignOfLife(job) < Date.parse(since),
    settle: (jobId) => giveBack(deps, jobId, since, now),
  });
  return run;
}

/** Reschedules the job if it is still Matched and quiet since `since`, as read now. */
async function giveBack(
  deps: UnconfirmedMatchesDeps,
  jobId: number,
  since: string,
  now: number,
): Promise<'rescheduled' | 'failed' | undefined> {
  const job = await deps.jobs.get(jobId);
  if (job?.status !== 'Matched' || lastSignOfLife(job) >= Date.parse(since)) return undefined;
  const outcome = await rescheduleOnce(deps.jobs, job, {
    time: new Date(now).toISOString(),
    source: agentSource,
    maxRescheduling: deps.config.jobs.maxRescheduling,
    guard: allOf(samePilot(job.pilotReference), quietSince(since)),
  });
  if (!outcome) return undefined;
  deps.logger.info('unconfirmed match given back', {
    jobId,
    pilotReference: job.pilotReference,
    matchedAt: job.lastUpdateTime,
    outcome,
  });
  return outcome;
}
