/**
 * A file's status in a transformation (DIRAC's TransformationFiles): one item per (transformation,
 * LFN) under the LFN's shard. Every change is one conditional write on the status it was decided
 * on, so a file joins once, is Assigned to one task at a time, and is settled once per attempt.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds, queryPages } from '#shared/aws/dynamo.ts';
import { forEachLimited } from '#shared/concurrency.ts';
import {
  allFileShards,
  fileKey,
  filePartition,
  fileStatusKey,
  fileStatusKeyOf,
} from '#shared/transformations/keys.ts';
import type { FileCounts, FileStatus, TransformationFile } from '#shared/transformations/model.ts';
import { emptyFileCounts, fileStatuses } from '#shared/transformations/model.ts';
import type { TableStore } from '#shared/transformations/store/transformations.ts';

function fromItem(item: Record<string, unknown>): TransformationFile {
  const { pk: _pk, sk: _sk, fileStatusKey: _key, ...rest } = item;
  return rest as unknown as TransformationFile;
}

/** The file joins the transformation as Unused; false when it had joined already. */
export function addFile(
  store: TableStore,
  transformationId: number,
  lfn: string,
  time: string,
  size?: number,
): Promise<boolean> {
  const file: TransformationFile = {
    transformationId,
    lfn,
    status: 'Unused',
    errorCount: 0,
    ...(size !== undefined ? { size } : {}),
    updatedAt: time,
  };
  return conditionHolds(
    store.dynamo.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...fileKey(transformationId, lfn),
          fileStatusKey: fileStatusKeyOf(transformationId, lfn, 'Unused'),
          ...file,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

interface StatusChange {
  readonly transformationId: number;
  readonly lfn: string;
  readonly to: FileStatus;
  readonly time: string;
  readonly condition: string;
  readonly values?: Record<string, unknown>;
  readonly set?: Record<string, unknown>;
  readonly remove?: readonly string[];
  readonly addErrors?: boolean;
}

function changeStatus(store: TableStore, change: StatusChange): Promise<boolean> {
  const names: Record<string, string> = { '#status': 'status', '#key': 'fileStatusKey', '#at': 'updatedAt' };
  const values: Record<string, unknown> = {
    ':to': change.to,
    ':key': fileStatusKeyOf(change.transformationId, change.lfn, change.to),
    ':time': change.time,
    ...change.values,
  };
  const sets = ['#status = :to', '#key = :key', '#at = :time'];
  for (const [field, value] of Object.entries(change.set ?? {})) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  if (change.addErrors) {
    names['#errors'] = 'errorCount';
    values[':one'] = 1;
    sets.push('#errors = #errors + :one');
  }
  for (const field of change.remove ?? []) names[`#${field}`] = field;
  const remove = (change.remove ?? []).map((field) => `#${field}`);
  for (const match of change.condition.matchAll(/#(\w+)/g)) names[`#${match[1]}`] ??= match[1] as string;
  return conditionHolds(
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.table,
        Key: fileKey(change.transformationId, change.lfn),
        UpdateExpression: `SET ${sets.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: change.condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** Unused → Assigned to the task; false when the file is not Unused (another task has it, or it is done). */
export const claimFile = (
  store: TableStore,
  transformationId: number,
  lfn: string,
  taskId: number,
  time: string,
) =>
  changeStatus(store, {
    transformationId,
    lfn,
    to: 'Assigned',
    time,
    condition: '#status = :unused',
    values: { ':unused': 'Unused' },
    set: { taskId },
  });

const assignedTo = '#status = :assigned AND #taskId = :task';

/** Assigned to the task → Processed: its job is Done. */
export const fileProcessed = (
  store: TableStore,
  transformationId: number,
  lfn: string,
  taskId: number,
  time: string,
) =>
  changeStatus(store, {
    transformationId,
    lfn,
    to: 'Processed',
    time,
    condition: assignedTo,
    values: { ':assigned': 'Assigned', ':task': taskId },
    remove: ['reason'],
  });

/**
 * Assigned to the task → Unused with one more failed attempt, or Problematic when that attempt is
 * the `maxReset`th (DIRAC's MaxReset); false when the file was settled already.
 */
export async function fileFailed(
  store: TableStore,
  transformationId: number,
  lfn: string,
  taskId: number,
  maxReset: number,
  reason: string,
  time: string,
): Promise<FileStatus | undefined> {
  const values = { ':assigned': 'Assigned', ':task': taskId };
  const common = { transformationId, lfn, time, set: { reason }, remove: ['taskId'], addErrors: true };
  const reset = await changeStatus(store, {
    ...common,
    to: 'Unused',
    condition: `${assignedTo} AND #errorCount < :limit`,
    values: { ...values, ':limit': maxReset - 1 },
  });
  if (reset) return 'Unused';
  const problematic = await changeStatus(store, {
    ...common,
    to: 'Problematic',
    set: { reason: `${reason} (failed ${maxReset} times)` },
    condition: assignedTo,
    values,
  });
  return problematic ? 'Problematic' : undefined;
}

export interface FilePage {
  readonly files: TransformationFile[];
  readonly next?: string;
}

/**
 * Files of a transformation, of one status (the index) or all (the shards), shard after shard.
 * `next` is opaque to callers: the shard and the last LFN read.
 */
export async function listFiles(
  store: TableStore,
  transformationId: number,
  options: { status?: FileStatus; limit: number; next?: string; consistent?: boolean },
): Promise<FilePage> {
  const files: TransformationFile[] = [];
  let [shard, after] = decodeNext(options.next);
  while (shard < allFileShards().length && files.length < options.limit) {
    const byStatus = options.status !== undefined;
    const page = await store.dynamo.send(
      new QueryCommand({
        TableName: store.table,
        ...(byStatus ? { IndexName: 'byFileStatus' } : {}),
        KeyConditionExpression: byStatus ? '#key = :key' : '#pk = :key',
        ExpressionAttributeNames: byStatus ? { '#key': 'fileStatusKey' } : { '#pk': 'pk' },
        ExpressionAttributeValues: {
          ':key': byStatus
            ? fileStatusKey(transformationId, shard, options.status as FileStatus)
            : filePartition(transformationId, shard),
        },
        Limit: options.limit - files.length,
        ...(!byStatus && options.consistent ? { ConsistentRead: true } : {}),
        ...(after !== undefined
          ? { ExclusiveStartKey: startKey(transformationId, shard, after, options.status) }
          : {}),
      }),
    );
    for (const item of page.Items ?? []) files.push(fromItem(item));
    const last = page.LastEvaluatedKey?.sk as string | undefined;
    if (last !== undefined) after = last;
    else {
      shard += 1;
      after = undefined;
    }
  }
  const more = shard < allFileShards().length;
  return { files, ...(more ? { next: encodeNext(shard, after) } : {}) };
}

function startKey(transformationId: number, shard: number, lfn: string, status?: FileStatus) {
  const key = { pk: filePartition(transformationId, shard), sk: lfn };
  return status === undefined
    ? key
    : { ...key, fileStatusKey: fileStatusKey(transformationId, shard, status), lfn };
}

const encodeNext = (shard: number, after: string | undefined) =>
  Buffer.from(JSON.stringify([shard, after ?? null])).toString('base64url');

function decodeNext(next: string | undefined): [number, string | undefined] {
  if (next === undefined) return [0, undefined];
  try {
    const [shard, after] = JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as [
      number,
      string | null,
    ];
    if (Number.isInteger(shard) && shard >= 0 && (after === null || typeof after === 'string'))
      return [shard, after ?? undefined];
  } catch {
    // fall through to the refusal
  }
  throw new TypeError('not a page token');
}

/** Files by status: a count per shard and status on the index, shards in parallel. */
export async function countFiles(store: TableStore, transformationId: number): Promise<FileCounts> {
  const counts = emptyFileCounts();
  const jobs = allFileShards().flatMap((shard) => fileStatuses.map((status) => ({ shard, status })));
  await forEachLimited(jobs, 16, async ({ shard, status }) => {
    const pages = queryPages(store.dynamo, {
      TableName: store.table,
      IndexName: 'byFileStatus',
      KeyConditionExpression: '#key = :key',
      ExpressionAttributeNames: { '#key': 'fileStatusKey' },
      ExpressionAttributeValues: { ':key': fileStatusKey(transformationId, shard, status) },
      Select: 'COUNT',
    });
    for await (const page of pages) counts[status] += page.Count ?? 0;
  });
  return counts;
}

/** Whether any file of the transformation has the status (one item read per shard at most). */
export async function anyFile(
  store: TableStore,
  transformationId: number,
  status: FileStatus,
): Promise<boolean> {
  const found = await Promise.all(
    allFileShards().map(async (shard) => {
      const page = await store.dynamo.send(
        new QueryCommand({
          TableName: store.table,
          IndexName: 'byFileStatus',
          KeyConditionExpression: '#key = :key',
          ExpressionAttributeNames: { '#key': 'fileStatusKey' },
          ExpressionAttributeValues: { ':key': fileStatusKey(transformationId, shard, status) },
          Limit: 1,
        }),
      );
      return (page.Items ?? []).length > 0;
    }),
  );
  return found.some(Boolean);
}

export async function getFile(
  store: TableStore,
  transformationId: number,
  lfn: string,
): Promise<TransformationFile | undefined> {
  const { Item } = await store.dynamo.send(
    new GetCommand({ TableName: store.table, Key: fileKey(transformationId, lfn), ConsistentRead: true }),
  );
  return Item ? fromItem(Item) : undefined;
}

export async function deleteFile(store: TableStore, transformationId: number, lfn: string): Promise<void> {
  await store.dynamo.send(new DeleteCommand({ TableName: store.table, Key: fileKey(transformationId, lfn) }));
}
