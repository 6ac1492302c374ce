/**
 * Submission (DIRAC's JobManager.submitJob, DiracX's submit routes): check every job, take job ids
 * in one block, write the jobs as Received / "Job accepted", and hand them to the executor chain.
 * Nothing is written unless every job of the request passes its checks.
 *
 * A request that cannot write all its jobs within its budget (or whose job store failed part-way)
 * ends with the jobs written so far and the ids of the rest, kept under an Idempotency-Key (the
 * caller's, or one made here): the same request sent again with that key writes the rest, never
 * new jobs (docs/jobs.md, Large submissions).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Identity } from '#shared/auth/identity.ts';
import type { MuonConfig } from '#shared/config/schema.ts';
import { BadRequestError, ConflictError, ServiceUnavailableError } from '#shared/errors.ts';
import { type Budget, unlimitedBudget } from '#shared/http/budget.ts';
import { assertCanSubmit } from '#shared/jobs/access.ts';
import type { JobDescription, JobRecord } from '#shared/jobs/model.ts';
import type { JobRepository } from '#shared/jobs/repository.ts';
import { minorStatus } from '#shared/jobs/status.ts';
import { historyEntry } from '#shared/jobs/status-updates.ts';
import type { IdempotencyRecord } from '#shared/jobs/store/idempotency.ts';
import { checkDraft, type DraftJob, type SubmissionProblems } from '#shared/jobs/submission/checks.ts';
import { writeAndStart } from '#shared/jobs/submission/write.ts';
import type { Logger } from '#shared/log.ts';

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
  /** Records that these chunks of the submission's jobs are written. */
  markWritten(key: string, chunks: readonly number[]): Promise<void>;
}

export interface SubmissionDeps {
  readonly config: MuonConfig;
  readonly jobs: JobRepository;
  readonly idempotency: (identity: Identity) => IdempotencyPort;
  readonly startChain: (jobIds: readonly number[]) => Promise<void>;
  readonly now: () => Date;
  readonly logger?: Logger;
}

/** What a submission came to: every job, or the jobs written and how to write the rest. */
export interface SubmissionOutcome {
  /** The jobs that exist, in request order. */
  readonly jobs: InsertedJob[];
  /** Ids kept for the jobs not written yet; empty when the submission is complete. */
  readonly pending: number[];
  /** Why the pending jobs were not written. */
  readonly stopped?: string;
  /** The key under which sending the request again writes the pending jobs. */
  readonly idempotencyKey?: string;
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

/** A submission that must be complete (one job for a transformation task): an incomplete one throws. */
export async function submitJobs(
  deps: SubmissionDeps,
  identity: Identity,
  request: SubmissionRequest,
): Promise<InsertedJob[]> {
  const outcome = await submitWithin(deps, identity, request, unlimitedBudget);
  if (outcome.pending.length > 0) {
    throw new ServiceUnavailableError(`The submission stopped: ${outcome.stopped}.`);
  }
  return outcome.jobs;
}

/** Checks and submits the request, writing jobs while `budget` lasts. */
export async function submitWithin(
  deps: SubmissionDeps,
  identity: Identity,
  request: SubmissionRequest,
  budget: Budget,
): Promise<SubmissionOutcome> {
  const descriptions = checkRequest(deps, identity, request);
  const requestHash = createHash('sha256').update(request.canonical).digest('hex');
  const { firstJobId, submissionTime, retry, writtenChunks } = await reserve(
    deps,
    identity,
    request,
    requestHash,
    descriptions.length,
  );
  const ids = Array.from({ length: descriptions.length }, (_, i) => firstJobId + i);
  const records = descriptions.map((description, i) =>
    newJobRecord(identity, ids[i] as number, description, submissionTime),
  );

  await request.beforeWrite?.();
  const key = request.idempotencyKey;
  const store = deps.idempotency(identity);
  const { written, stopped, chunks } = await writeAndStart(deps, records, budget, {
    retry,
    written: new Set(writtenChunks),
    ...(key ? { onWritten: (index: number) => store.markWritten(key, [index]) } : {}),
  });
  const jobs = written.map((job) => ({
    JobID: job.jobId,
    Status: job.status,
    MinorStatus: job.minorStatus,
    TimeStamp: job.submissionTime,
  }));
  if (stopped === undefined) {
    if (key) await store.complete(key);
    return { jobs, pending: [] };
  }
  if (written.length === 0 && !key) {
    throw new ServiceUnavailableError(`Nothing was stored: ${stopped}. Send the request again.`);
  }
  const done = new Set(written.map((job) => job.jobId));
  const pending = ids.filter((id) => !done.has(id));
  const resumeKey =
    key ?? (await keepForResume(deps, identity, requestHash, records, submissionTime, chunks));
  return { jobs, pending, stopped, ...(resumeKey ? { idempotencyKey: resumeKey } : {}) };
}

/** The request's job descriptions, once every job passed its checks; a 400 naming the problems otherwise. */
function checkRequest(
  deps: SubmissionDeps,
  identity: Identity,
  request: SubmissionRequest,
): JobDescription[] {
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
    const description = checkDraft(
      draft,
      deps.config,
      { name: identity.vo, config: voConfig },
      problems,
      identity.username,
    );
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
  return descriptions;
}

/**
 * A request without an Idempotency-Key that stopped part-way gets one now, recording its id range
 * as a keyed request would have, so that sending it again with this key writes the rest. Undefined
 * when even that record cannot be written (the job store is down): the rest is then lost.
 */
async function keepForResume(
  deps: SubmissionDeps,
  identity: Identity,
  requestHash: string,
  records: readonly JobRecord[],
  submissionTime: string,
  writtenChunks: readonly number[],
): Promise<string | undefined> {
  const key = `muon-${randomUUID()}`;
  const first = records[0] as JobRecord;
  const record: IdempotencyRecord = {
    requestHash,
    firstJobId: first.jobId,
    count: records.length,
    submissionTime,
    state: 'pending',
    writtenChunks,
  };
  try {
    return (await deps.idempotency(identity).put(key, record)) ? key : undefined;
  } catch (error) {
    deps.logger?.warn('no idempotency record for an incomplete submission', { error });
    return undefined;
  }
}

async function reserve(
  deps: SubmissionDeps,
  identity: Identity,
  request: SubmissionRequest,
  requestHash: string,
  count: number,
): Promise<{
  firstJobId: number;
  submissionTime: string;
  retry: boolean;
  writtenChunks?: readonly number[];
}> {
  const key = request.idempotencyKey;
  if (!key) {
    const ids = await deps.jobs.allocateIds(count);
    return { firstJobId: ids[0] as number, submissionTime: deps.now().toISOString(), retry: false };
  }
  const store = deps.idempotency(identity);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const existing = await store.get(key);
    if (existing) {
      if (existing.requestHash !== requestHash || existing.count !== count) {
        throw new ConflictError(
          `The Idempotency-Key "${key}" was already used for a different submission; use a new key.`,
          'job.idempotency_mismatch',
        );
      }
      return {
        firstJobId: existing.firstJobId,
        submissionTime: existing.submissionTime,
        retry: true,
        ...(existing.writtenChunks ? { writtenChunks: existing.writtenChunks } : {}),
      };
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
