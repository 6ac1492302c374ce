/**
 * The pilots table: every key is built here, and every read and write of a pilot record is one
 * call here. A pilot is one item, `PILOT#<reference>` / `PILOT`; its `statusKey` (`<vo>#<status>`)
 * and `updatedAt` place it in the `byStatus` index, where a site director counts a VO's pilots.
 * Writes are single conditional UpdateItems, so a failed condition is a typed answer, not an error.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import type { PilotRecord, PilotStatus } from '#shared/pilots/model.ts';

export const pilotKey = (reference: string) => ({ pk: `PILOT#${reference}`, sk: 'PILOT' });
export const pilotStatusKey = (vo: string, status: PilotStatus) => `${vo}#${status}`;
/** How a job's owner is named in a pilot's `owners`. */
export const ownerName = (vo: string, owner: string) => `${vo}/${owner}`;

export function fromPilotItem(item: Record<string, unknown>): PilotRecord {
  const { pk: _pk, sk: _sk, statusKey: _statusKey, jobIds, owners, ...rest } = item;
  // Sets come back as JavaScript Sets, and DynamoDB stores no empty set: absent means none yet.
  return {
    ...(rest as Omit<PilotRecord, 'jobIds' | 'owners'>),
    jobIds: [...((jobIds as Set<number> | undefined) ?? [])].sort((a, b) => a - b),
    owners: [...((owners as Set<string> | undefined) ?? [])].sort(),
  };
}

export async function getPilot(
  dynamo: DynamoDBDocumentClient,
  table: string,
  reference: string,
): Promise<PilotRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table, Key: pilotKey(reference), ConsistentRead: true }),
  );
  return Item ? fromPilotItem(Item) : undefined;
}

/** What a registration writes; the rest of the record is kept or filled in later. */
export type PilotRegistration = Omit<
  PilotRecord,
  'jobIds' | 'owners' | 'logKey' | 'submittedAt' | 'updatedAt' | 'lastSeenAt' | 'registeredAt'
>;

/**
 * Registers a pilot as of `time`. A record of the same VO that a site director created before the
 * pilot started (`Submitted`, or `Waiting` once its computing element said it is queued) is taken over, keeping what the registration does not say; any
 * other existing record is refused (`'exists'`).
 */
export async function registerPilot(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: PilotRegistration,
  time: string,
): Promise<'registered' | 'exists'> {
  const fields: Record<string, unknown> = {
    ...pilot,
    statusKey: pilotStatusKey(pilot.vo, pilot.status),
    registeredAt: time,
    updatedAt: time,
    lastSeenAt: time,
  };
  const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: pilotKey(pilot.pilotReference),
        UpdateExpression: `SET ${entries.map(([field]) => `#${field} = :${field}`).join(', ')}`,
        ConditionExpression: 'attribute_not_exists(pk) OR (#status IN (:submitted, :waiting) AND #vo = :vo)',
        ExpressionAttributeNames: Object.fromEntries(entries.map(([field]) => [`#${field}`, field])),
        ExpressionAttributeValues: {
          ...Object.fromEntries(entries.map(([field, value]) => [`:${field}`, value])),
          ':submitted': 'Submitted' satisfies PilotStatus,
          ':waiting': 'Waiting' satisfies PilotStatus,
        },
      }),
    );
    return 'registered';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'exists';
    throw error;
  }
}

type StatusChange = { status: PilotStatus; statusReason: string; time: string };

const statusFields = (vo: string, change: StatusChange) => ({
  status: change.status,
  statusReason: change.statusReason,
  statusKey: pilotStatusKey(vo, change.status),
  updatedAt: change.time,
});

/** Sets a pilot's status; false if the VO has no such pilot. */
export function setPilotStatus(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: { vo: string; reference: string },
  change: StatusChange,
): Promise<boolean> {
  return updateExisting(dynamo, table, pilot, { set: statusFields(pilot.vo, change) });
}

/** Records where the pilot's log is, as the pilot asks to upload it. */
export function setPilotLogKey(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: { vo: string; reference: string },
  logKey: string,
  time: string,
): Promise<boolean> {
  return updateExisting(dynamo, table, pilot, { set: { logKey, lastSeenAt: time } });
}

/**
 * Adds jobs the pilot started, and their owners, to the record, and marks the pilot seen: one
 * UpdateItem for all of them (sets, so a job added twice is there once). False if the VO has no
 * such pilot.
 */
export function recordPilotJobs(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: { vo: string; reference: string },
  jobs: readonly { jobId: number; owner: string }[],
  time: string,
): Promise<boolean> {
  return updateExisting(dynamo, table, pilot, {
    set: { lastSeenAt: time },
    add: {
      jobIds: new Set(jobs.map((job) => job.jobId)),
      owners: new Set(jobs.map((job) => ownerName(pilot.vo, job.owner))),
    },
  });
}

/** A condition on the record besides its existence and VO, with its names and values. */
interface Condition {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * One UpdateItem on an existing pilot of the VO, if `also` holds; false when there is none or it
 * does not hold.
 */
async function updateExisting(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: { vo: string; reference: string },
  changes: { set: Record<string, unknown>; add?: Record<string, Set<unknown>> },
  also?: Condition,
): Promise<boolean> {
  const set = Object.entries(changes.set);
  const add = Object.entries(changes.add ?? {});
  const clauses = [`SET ${set.map(([field]) => `#${field} = :${field}`).join(', ')}`];
  if (add.length > 0) clauses.push(`ADD ${add.map(([field]) => `#${field} :${field}`).join(', ')}`);
  const all = [...set, ...add];
  return conditionHolds(
    dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: pilotKey(pilot.reference),
        UpdateExpression: clauses.join(' '),
        ConditionExpression: `attribute_exists(pk) AND #vo = :vo${also ? ` AND (${also.expression})` : ''}`,
        ExpressionAttributeNames: {
          '#vo': 'vo',
          ...Object.fromEntries(all.map(([field]) => [`#${field}`, field])),
          ...also?.names,
        },
        ExpressionAttributeValues: {
          ':vo': pilot.vo,
          ...Object.fromEntries(all.map(([field, value]) => [`:${field}`, value])),
          ...also?.values,
        },
      }),
    ),
  );
}

/** What a site director knows of a pilot it just submitted. */
export interface SubmittedPilot {
  readonly pilotReference: string;
  readonly vo: string;
  readonly site: string;
  readonly gridCE: string;
  readonly ceType: string;
}

/**
 * The record of a pilot a site director submitted, `Submitted` until the pilot registers (and
 * takes it over) or its computing element says otherwise. False if the reference has a record.
 */
export async function createSubmittedPilot(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: SubmittedPilot,
  time: string,
): Promise<boolean> {
  const status: PilotStatus = 'Submitted';
  return conditionHolds(
    dynamo.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...pilotKey(pilot.pilotReference),
          ...pilot,
          // No stamp and no secret until the pilot registers: nothing can act as this pilot yet.
          pilotStamp: '',
          secretHash: '',
          resources: {},
          version: 'unknown',
          status,
          statusReason: 'Submitted by the site director',
          statusKey: pilotStatusKey(pilot.vo, status),
          submittedAt: time,
          updatedAt: time,
          lastSeenAt: time,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

/** A VO's pilots in one status, through the byStatus index, at most `limit` of them. */
export async function listPilotsByStatus(
  dynamo: DynamoDBDocumentClient,
  table: string,
  vo: string,
  status: PilotStatus,
  limit: number,
): Promise<PilotRecord[]> {
  const found: PilotRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'byStatus',
        KeyConditionExpression: 'statusKey = :key',
        ExpressionAttributeValues: { ':key': pilotStatusKey(vo, status) },
        Limit: Math.min(500, limit - found.length),
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) found.push(fromPilotItem(item));
    start = page.LastEvaluatedKey;
  } while (start && found.length < limit);
  return found;
}

/**
 * Sets a pilot's status if it is still `from` (what the caller read): a pilot that reported in
 * between wins. False when the record changed or is gone.
 */
export function setPilotStatusFrom(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: { vo: string; reference: string; from: PilotStatus },
  change: StatusChange,
): Promise<boolean> {
  return updateExisting(
    dynamo,
    table,
    pilot,
    { set: statusFields(pilot.vo, change) },
    { expression: '#status = :from', names: { '#status': 'status' }, values: { ':from': pilot.from } },
  );
}

/** The pilot as the caller read it, as a condition: any change since (a match, a report) wins. */
const unchanged = (pilot: PilotRecord): Condition => ({
  expression:
    '#status = :readStatus AND #updatedAt = :readUpdatedAt AND (attribute_not_exists(#lastSeenAt) OR #lastSeenAt = :readLastSeenAt)',
  names: { '#status': 'status', '#updatedAt': 'updatedAt', '#lastSeenAt': 'lastSeenAt' },
  values: {
    ':readStatus': pilot.status,
    ':readUpdatedAt': pilot.updatedAt,
    ':readLastSeenAt': pilot.lastSeenAt ?? '',
  },
});

/** Marks a pilot Aborted if its record is still as read; false otherwise. */
export function abortPilotAsRead(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: PilotRecord,
  change: Omit<StatusChange, 'status'>,
): Promise<boolean> {
  const set = statusFields(pilot.vo, { ...change, status: 'Aborted' });
  return updateExisting(
    dynamo,
    table,
    { vo: pilot.vo, reference: pilot.pilotReference },
    { set },
    unchanged(pilot),
  );
}

/** Deletes a pilot's record if it is still as read; false otherwise. */
export function deletePilotAsRead(
  dynamo: DynamoDBDocumentClient,
  table: string,
  pilot: PilotRecord,
): Promise<boolean> {
  const condition = unchanged(pilot);
  return conditionHolds(
    dynamo.send(
      new DeleteCommand({
        TableName: table,
        Key: pilotKey(pilot.pilotReference),
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      }),
    ),
  );
}
