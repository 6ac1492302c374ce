/**
 * Submission (DIRAC's JobManager.submitJob, DiracX's submit routes): check every job, take job ids
 * in one block, write the jobs as Received / "Job accepted", and hand them to the executor chain.
 * Nothing is written unless every job of the request passes its checks.
 */
import { createHash } from 'node:crypto';
import type { Identity } from '#shared/auth/identity.ts';
import { chunk, forEachLimited } from '#shared/concurrency.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { BadRequestError, ConflictError } from '#shared/errors.ts';
import { assertCanSubmit } from '#shared/jobs/access.ts';
import type { JobDescription, JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import type { IdempotencyRecord } from '#shared/jobs/store/idempotency.ts';
import { checkDraft, type DraftJob, type SubmissionProblems } from '#shared/jobs/submission/checks.ts';

export interface InsertedJob {
  JobID: number;
  Status: string;
  MinorStatus: string;
  TimeStamp: string;
}

export interface IdempotencyPort {
  get(key: string): Promise<IdempotencyRecord | undefined>;
  put(key: string, record: IdempotencyRecord): Promise<boolean>;
  complete(key: string): Promise<void>;
}

export interface SubmissionDeps {
  readonly config: MuonConfig;
  readonly jobs: JobRepository;
  readonly idempotency: (identity: Identity) => IdempotencyPort;
  readonly startChain: (jobIds: readonly number[]) => Promise<void>;
  readonly now: () => Date;
}

export interface SubmissionRequest {
  readonly drafts: readonly DraftJob[];
  /** Problems found while reading the request (JDL syntax, CWL validation). */
  readonly problems: SubmissionProblems;
  /** Canonical text of the request, for idempotency. */
  readonly canonical: string;
  readonly idempotencyKey?: string;
  /** Runs once the jobs are known to be valid, before any job is written (stores the workflow). */
  readonly beforeWrite?: () => Promise<void>;
}

const maxProblemsShown = 20;

export async function submitJobs(
  deps: SubmissionDeps,
  identity: Identity,
  request: SubmissionRequest,
): Promise<InsertedJob[]> {
  assertCanSubmit(identity);
  const { maxJobsPerSubmission } = deps.config.limits;
  if (request.drafts.length > maxJobsPerSubmission) {
    throw new BadRequestError(
      `The request makes ${request.drafts.length} jobs; at most ${maxJobsPerSubmission} may be submitted at once. Split it.`,
      { code: 'job.too_many' },
    );
  }
  const voConfig = deps.config.virtualOrganizations[identity.vo];
  if (!voConfig) throw new BadRequestError(`Unknown virtual organisation ${identity.vo}.`);
  const problems = request.problems;
  const descriptions: JobDescription[] = [];
  for (const draft of request.drafts) {
    const description = checkDraft(draft, deps.config, { name: identity.vo, config: voConfig }, problems);
    if (description) descriptions.push(description);
  }
  if (!problems.empty || descriptions.length === 0) {
    const shown = problems.list.slice(0, maxProblemsShown);
    const more = problems.list.length - shown.length;
    throw new BadRequestError(
      problems.empty
        ? 'The request contains no job.'
        : `The submission was refused; nothing was stored. ${problems.list.length} problem(s):\n${shown.join('\n')}${more > 0 ? `\n(and ${more} more)` : ''}`,
      { code: 'job.invalid_submission' },
    );
  }

  const { firstJobId, submissionTime, retry } = await reserve(deps, identity, request, descriptions.length);
  const ids = Array.from({ length: descriptions.length }, (_, i) => firstJobId + i);
  const records = descriptions.map((description, i) =>
    newJobRecord(identity, ids[i] as number, description, submissionTime),
  );

  await request.beforeWrite?.();
  await writeAndStart(deps, records, retry);
  if (request.idempotencyKey) await deps.idempotency(identity).complete(request.idempotencyKey);
  return records.map((job) => ({
    JobID: job.jobId,
    Status: job.status,
    MinorStatus: job.minorStatus,
    TimeStamp: job.submissionTime,
  }));
}

/**
 * Writes the jobs and starts their chain in chunks, several at a time, so that the first executors
 * work while the last jobs are still being written; a chunk is sent to the chain only once stored.
 * A retry (same idempotency key, maybe while the first attempt still runs) writes only the jobs
 * that do not exist, so it never resets a job already on its way; executors drop the duplicate
 * messages of jobs that moved on.
 */
async function writeAndStart(deps: SubmissionDeps, records: readonly JobRecord[], retry: boolean) {
  await forEachLimited(chunk(records, 250), 4, async (jobs) => {
    await (retry ? deps.jobs.insertIfAbsent(jobs) : deps.jobs.insert(jobs));
    await deps.startChain(jobs.map((job) => job.jobId));
  });
}

async function reserve(
  deps: SubmissionDeps,
  identity: Identity,
  request: SubmissionRequest,
  count: number,
): Promise<{ firstJobId: number; submissionTime: string; retry: boolean }> {
  const key = request.idempotencyKey;
  if (!key) {
    const ids = await deps.jobs.allocateIds(count);
    return { firstJobId: ids[0] as number, submissionTime: deps.now().toISOString(), retry: false };
  }
  const store = deps.idempotency(identity);
  const requestHash = createHash('sha256').update(request.canonical).digest('hex');
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const existing = await store.get(key);
    if (existing) {
      if (existing.requestHash !== requestHash || existing.count !== count) {
        throw new ConflictError(
          `The Idempotency-Key "${key}" was already used for a different submission; use a new key.`,
          'job.idempotency_mismatch',
        );
      }
      return { firstJobId: existing.firstJobId, submissionTime: existing.submissionTime, retry: true };
    }
    const ids = await deps.jobs.allocateIds(count);
    const record: IdempotencyRecord = {
      requestHash,
      firstJobId: ids[0] as number,
      count,
      submissionTime: deps.now().toISOString(),
      state: 'pending',
    };
    if (await store.put(key, record))
      return { firstJobId: record.firstJobId, submissionTime: record.submissionTime, retry: false };
  }
  throw new ConflictError(`Another submission with Idempotency-Key "${key}" is in progress; retry shortly.`);
}

/** A job as submitted; `%j` in its JDL and arguments becomes its id, as DIRAC does. */
export function newJobRecord(
  identity: Identity,
  jobId: number,
  description: JobDescription,
  time: string,
): JobRecord {
  const withId = (text: string | undefined) => text?.replaceAll('%j', String(jobId));
  const described: JobDescription = {
    ...description,
    ...(description.jdl ? { jdl: withId(description.jdl) } : {}),
    ...(description.arguments ? { arguments: withId(description.arguments) } : {}),
    jobName: withId(description.jobName) ?? description.jobName,
  };
  return {
    jobId,
    vo: identity.vo,
    owner: identity.username,
    ownerSub: identity.sub,
    ownerGroup: identity.group,
    status: 'Received',
    minorStatus: minorStatus.jobAccepted,
    applicationStatus: 'Unknown',
    site: 'ANY',
    jobName: described.jobName,
    jobType: described.jobType,
    jobGroup: described.jobGroup,
    userPriority: described.priority,
    submissionTime: time,
    lastUpdateTime: time,
    lastStatusTime: time,
    rescheduleCounter: 0,
    description: described,
    parameters: {},
    commands: [],
    history: [
      historyEntry({
        time,
        status: 'Received',
        minorStatus: minorStatus.jobAccepted,
        applicationStatus: 'Unknown',
        source: 'JobManager',
      }),
    ],
    version: 1,
  };
}
