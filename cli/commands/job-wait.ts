/**
 * `muon job wait ID...`: returns once every job has ended (DIRAC's Job.wait / dirac-wms-job-status
 * in a loop). One job is followed by long poll (`GET /api/jobs/{id}?wait`, shared/jobs/wait.ts),
 * so the command returns as the job ends; several by a search every `--interval` seconds, one
 * request per page of ids. On a terminal a progress bar counts the ended jobs and a table lists
 * them at the end; piped, a line `JobID<TAB>Status<TAB>MinorStatus` as each one ends.
 * Exit code 0 when all are Done, 1 when any ended otherwise, 3 at the --timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from '#cli/client.ts';
import type { JobApi } from '#cli/commands/job-api.ts';
import { CliError } from '#cli/errors.ts';
import { createProgress, formatRecords, type Output, toJson } from '#cli/format.ts';
import { chunk } from '#shared/concurrency.ts';
import { maxPerPage } from '#shared/jobs/search/query.ts';
import { isEnded, type JobStatus } from '#shared/jobs/status.ts';
import { maxWaitSeconds } from '#shared/jobs/wait.ts';

/** Exit code when the jobs had not all ended by `--timeout`. */
export const TIMED_OUT = 3;

export interface WaitOptions {
  /** Seconds between two searches, for several jobs. */
  readonly interval: number;
  /** Give up after this many seconds. */
  readonly timeout?: number;
  readonly json: boolean;
}

interface JobState {
  readonly JobID: number;
  readonly Status: string;
  readonly MinorStatus: string;
}

export async function waitForJobs(
  api: JobApi,
  ids: readonly number[],
  options: WaitOptions,
  out: Output,
  err: Output,
): Promise<void> {
  const deadline =
    options.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeout * 1000;
  const ended = new Map<number, JobState>();
  const progress = createProgress(err, ids.length, 'waiting');
  const onEnd = (job: JobState) => {
    ended.set(job.JobID, job);
    progress.advance(1);
    if (!out.isTTY && !options.json) out.write(`${job.JobID}\t${job.Status}\t${job.MinorStatus}\n`);
  };
  const look = ids.length === 1 ? longPoll(api, ids[0] as number, deadline) : search(api, ids);
  while (ended.size < ids.length && Date.now() < deadline) {
    for (const job of await look()) if (!ended.has(job.JobID) && isEnded(job.Status as JobStatus)) onEnd(job);
    if (ended.size < ids.length && ids.length > 1)
      await sleep(Math.max(0, Math.min(options.interval * 1000, deadline - Date.now())));
  }
  progress.end();

  const jobs = ids.flatMap((id) => ended.get(id) ?? []);
  if (options.json) out.write(`${toJson(jobs)}\n`);
  else if (out.isTTY) out.write(`${formatRecords(out, ['JobID', 'Status', 'MinorStatus'], jobs)}\n`);
  const waiting = ids.filter((id) => !ended.has(id));
  if (waiting.length > 0) {
    throw new CliError(`Not ended after ${options.timeout} s: job ${waiting.join(', ')}.`, TIMED_OUT);
  }
  if (jobs.some((job) => job.Status !== 'Done')) process.exitCode = 1;
}

/**
 * One long-polled look at a job (`?wait`, shared/jobs/wait.ts): answered once its Status is no
 * longer `status` (without one: once it has ended), else after at most 20 s and before `deadline`.
 */
export async function lookAtJob(
  client: ApiClient,
  jobId: number,
  deadline: number,
  status?: string,
): Promise<Omit<JobState, 'JobID'>> {
  const wait = Math.max(1, Math.min(maxWaitSeconds, Math.floor((deadline - Date.now()) / 1000)));
  const query = `wait=${wait}${status ? `&status=${encodeURIComponent(status)}` : ''}`;
  const { body } = await client.request<Omit<JobState, 'JobID'>>('GET', `/api/jobs/${jobId}?${query}`);
  return body;
}

/** One job: each look holds until the job ends (or 20 s pass). */
function longPoll(api: JobApi, jobId: number, deadline: number) {
  return async (): Promise<JobState[]> => {
    const { Status, MinorStatus } = await lookAtJob(api.client, jobId, deadline);
    return [{ JobID: jobId, Status, MinorStatus }];
  };
}

/** Several jobs: one search per page of ids. A job the search does not find is an error. */
function search(api: JobApi, ids: readonly number[]) {
  return async (): Promise<JobState[]> => {
    const found: JobState[] = [];
    for (const slice of chunk(ids, maxPerPage)) {
      const page = await api.search(
        {
          parameters: ['JobID', 'Status', 'MinorStatus'],
          search: [{ parameter: 'JobID', operator: 'in', values: slice }],
          sort: [{ parameter: 'JobID', direction: 'asc' }],
        },
        1,
        slice.length,
      );
      found.push(...(page.rows as unknown as JobState[]));
    }
    const seen = new Set(found.map((job) => job.JobID));
    const missing = ids.filter((id) => !seen.has(id));
    if (missing.length > 0) throw new CliError(`No job ${missing.join(', ')} (or not one you may see).`);
    return found;
  };
}
