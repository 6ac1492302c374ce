/**
 * The one write behind every job transition (DIRAC's `JobDB.setJobAttributes` with its
 * `JobLoggingDB.addLoggingRecord`, done as one DynamoDB UpdateItem): the status, its index key, the
 * minor status, the times, the transition's own attributes and the history rows, conditional on
 * `#status IN (...)`. The source statuses come from DIRAC's table (`sourcesOf`), so a race between
 * two writers is decided by the table: the second write either is still legal from where the first
 * left the job, or fails and says where the job is. A failed condition is a typed result.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import type { JobCommand, JobRecord, StatusHistoryEntry } from '#shared/jobs/model.ts';
import { canTransition, type JobStatus, jobStatuses } from '#shared/jobs/status.ts';
import { fromJobItem, jobKey, statusKey } from '#shared/jobs/store/keys.ts';
import { getJob } from '#shared/jobs/store/read-jobs.ts';
import { countMetric, type MetricName, metricNames } from '#shared/metrics.ts';

/** The jobs table a function was granted, as the transitions use it. */
export interface TransitionStore {
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: string;
}

/** The statuses from which DIRAC's table allows `to`. Staying in `to` is no transition. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return jobStatuses.filter((from) => from !== to && canTransition(from, to));
}

/** Statuses in which a pilot may be running the job: stopping it takes a Kill command. */
export const onAPilot: readonly JobStatus[] = ['Matched', 'Running', 'Stalled', 'Completing'];

/** A further condition of a transition: what its decision was made on (a task queue, a pilot). */
export interface Guard {
  readonly expression: string;
  readonly names?: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
}

export interface TransitionWrite {
  readonly jobId: number;
  /** The job's VO, for its status index key. */
  readonly vo: string;
  readonly from: readonly JobStatus[];
  readonly to: JobStatus;
  /** `lastUpdateTime`, and `lastStatusTime` unless `statusTime` says otherwise. */
  readonly time: string;
  readonly statusTime?: string;
  readonly minorStatus?: string;
  readonly applicationStatus?: string;
  /** The transition's other attributes. */
  readonly set?: Readonly<Record<string, unknown>>;
  /** Attributes set only if absent (the first start, the first end). */
  readonly setIfAbsent?: Readonly<Record<string, unknown>>;
  /** Numbers added to (the reschedule counter), so that no read value is written back. */
  readonly add?: Readonly<Record<string, number>>;
  /** Commands for the job's pilot, appended to those not yet delivered. */
  readonly commands?: readonly JobCommand[];
  readonly remove?: readonly string[];
  readonly history: readonly StatusHistoryEntry[];
  readonly guard?: Guard;
}

export type TransitionResult =
  | { readonly ok: true; readonly job: JobRecord; readonly previous: JobStatus }
  /** Refused: the job is `current` (the table or the guard did not allow the write there). */
  | { readonly ok: false; readonly current: JobStatus; readonly job: JobRecord }
  /** Refused and not read back, or the job does not exist. */
  | { readonly ok: false; readonly current: undefined };

/** Attributes only this module writes, or that no transition may change. */
const reserved = new Set([
  ...['pk', 'sk', 'jobId', 'vo', 'owner', 'status', 'statusKey', 'history', 'version'],
  ...['lastUpdateTime', 'lastStatusTime'],
]);

/**
 * A refused write has `current` undefined, as for a job that does not exist, unless `readBack`
 * asks for the job as it is now (`settle` and reports, which decide again on it).
 */
export async function writeTransition(
  store: TransitionStore,
  write: TransitionWrite,
  options: { readonly readBack?: boolean } = {},
): Promise<TransitionResult> {
  try {
    const { Attributes } = await store.dynamo.send(updateCommand(store, write, 'ALL_NEW'));
    const job = fromJobItem(Attributes ?? {});
    const previous = previousStatus(job, write);
    if (previous !== write.to) countArrival(write.to);
    return { ok: true, job, previous };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    if (options.readBack !== true) return { ok: false, current: undefined };
    const job = await getJob(store.dynamo, store.table, write.jobId);
    return job ? { ok: false, current: job.status, job } : { ok: false, current: undefined };
  }
}

/**
 * The same write for a caller that only needs to know whether it held (the executor chain): the
 * table sends nothing back, so the job item, description and history included, is neither
 * serialised nor parsed again.
 */
export async function writeTransitionOnly(store: TransitionStore, write: TransitionWrite): Promise<boolean> {
  const held = await conditionHolds(store.dynamo.send(updateCommand(store, write, 'NONE')));
  if (held && !write.from.includes(write.to)) countArrival(write.to);
  return held;
}

/**
 * The statuses whose arrivals are counted as metrics (shared/metrics.ts; no-ops off Lambda). A write
 * that keeps the status (a minor or application status reported on a Matched or Done job) is none.
 */
const arrivalMetrics: Partial<Record<JobStatus, MetricName>> = {
  Matched: metricNames.jobsMatched,
  Done: metricNames.jobsDone,
  Failed: metricNames.jobsFailed,
};

function countArrival(status: JobStatus): void {
  const name = arrivalMetrics[status];
  if (name) countMetric(name);
}

function updateCommand(store: TransitionStore, write: TransitionWrite, returnValues: 'ALL_NEW' | 'NONE') {
  if (write.from.length === 0)
    throw new Error(`Transition to ${write.to} of job ${write.jobId} has no source`);
  const names: Record<string, string> = {
    '#status': 'status',
    '#statusKey': 'statusKey',
    '#lastUpdateTime': 'lastUpdateTime',
    '#lastStatusTime': 'lastStatusTime',
    '#version': 'version',
    '#history': 'history',
  };
  const values: Record<string, unknown> = {
    ':to': write.to,
    ':statusKey': statusKey(write.vo, write.to, write.jobId),
    ':time': write.time,
    ':statusTime': write.statusTime ?? write.time,
    ':one': 1,
    ':history': write.history,
  };
  const sets = [
    '#status = :to',
    '#statusKey = :statusKey',
    '#lastUpdateTime = :time',
    '#lastStatusTime = :statusTime',
    '#version = #version + :one',
    '#history = list_append(#history, :history)',
  ];
  const used = new Set<string>();
  // A dotted field is a path into a map (`parameters.Pilot_Reference`).
  const name = (field: string) => {
    const parts = field.split('.');
    if (reserved.has(parts[0] as string) || used.has(field))
      throw new Error(`A transition may not set ${field} so`);
    used.add(field);
    return parts
      .map((part, i) => {
        names[`#a${used.size}_${i}`] = part;
        return `#a${used.size}_${i}`;
      })
      .join('.');
  };
  const value = (v: unknown) => {
    const key = `:v${Object.keys(values).length}`;
    values[key] = v;
    return key;
  };
  const fields: Record<string, unknown> = { ...write.set };
  if (write.minorStatus !== undefined) fields.minorStatus = write.minorStatus;
  if (write.applicationStatus !== undefined) fields.applicationStatus = write.applicationStatus;
  for (const [field, v] of Object.entries(fields))
    if (v !== undefined) sets.push(`${name(field)} = ${value(v)}`);
  for (const [field, v] of Object.entries(write.setIfAbsent ?? {})) {
    const alias = name(field);
    sets.push(`${alias} = if_not_exists(${alias}, ${value(v)})`);
  }
  for (const [field, by] of Object.entries(write.add ?? {})) {
    const alias = name(field);
    sets.push(`${alias} = ${alias} + ${value(by)}`);
  }
  if (write.commands && write.commands.length > 0) {
    const alias = name('commands');
    sets.push(`${alias} = list_append(if_not_exists(${alias}, ${value([])}), ${value(write.commands)})`);
  }
  // The claiming request (`matchRequest`, the sparse byMatchRequest index) is only wanted while the
  // job is Matched, for a repeat of that request (shared/matcher/repeats.ts); leaving Matched
  // forgets it, so the index holds Matched jobs only and an old request never finds a later match.
  const remove =
    write.to === 'Matched' ? (write.remove ?? []) : [...new Set([...(write.remove ?? []), 'matchRequest'])];
  const removals = remove.map(name);
  const sources = write.from.map((status, i) => {
    values[`:from${i}`] = status;
    return `:from${i}`;
  });
  const guard = write.guard;
  Object.assign(names, guard?.names);
  Object.assign(values, guard?.values);
  return new UpdateCommand({
    TableName: store.table,
    Key: jobKey(write.jobId),
    UpdateExpression: `SET ${sets.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.join(', ')}` : ''}`,
    ConditionExpression: `#status IN (${sources.join(', ')})${guard ? ` AND (${guard.expression})` : ''}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: returnValues,
  });
}

/**
 * Decides a transition on the job as read and writes it; when the write is refused but the job is
 * still in one of `allowed` (another writer changed it within them), decides again on the job as
 * it is now. `decide` answering undefined means the job no longer qualifies.
 */
export async function settle(
  store: TransitionStore,
  job: JobRecord,
  allowed: readonly JobStatus[],
  decide: (job: JobRecord) => TransitionWrite | undefined,
  attempts = 8,
): Promise<TransitionResult> {
  let current = job;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const write = allowed.includes(current.status) ? decide(current) : undefined;
    if (!write) return { ok: false, current: current.status, job: current };
    const result = await writeTransition(store, write, { readBack: true });
    if (result.ok || result.current === undefined) return result;
    current = result.job;
  }
  throw new Error(`Job ${job.jobId} kept changing while it was moved to ${allowed.join('/')}; try again.`);
}

/** The row before this write's rows says where the job was: every transition appends history. */
function previousStatus(job: JobRecord, write: TransitionWrite): JobStatus {
  const before = job.history[job.history.length - write.history.length - 1];
  return before?.resultingStatus ?? (write.from[0] as JobStatus);
}
