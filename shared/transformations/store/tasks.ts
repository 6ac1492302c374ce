/**
 * Tasks (DIRAC's TransformationTasks): one item per task, written before its files are claimed (the
 * intent a recovery finishes), moved by conditional writes: Created → Submitted once its job
 * exists, → Done or Failed from the job's outcome. While open it is in the sparse `openTasks` index.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionHolds, queryAll } from '#shared/aws/dynamo.ts';
import { openKey, openShardKey, taskBlock, taskKey, taskPartition } from '#shared/transformations/keys.ts';
import type { TaskStatus, TransformationTask } from '#shared/transformations/model.ts';
import type { TableStore } from '#shared/transformations/store/transformations.ts';

const open: readonly TaskStatus[] = ['Created', 'Submitted'];

function fromItem(item: Record<string, unknown>): TransformationTask {
  const { pk: _pk, sk: _sk, openKey: _open, ...rest } = item;
  return rest as unknown as TransformationTask;
}

export async function putTask(store: TableStore, task: TransformationTask): Promise<boolean> {
  return conditionHolds(
    store.dynamo.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...taskKey(task.transformationId, task.taskId),
          openKey: openKey(task.transformationId, task.taskId),
          ...task,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

export async function getTask(
  store: TableStore,
  transformationId: number,
  taskId: number,
): Promise<TransformationTask | undefined> {
  const { Item } = await store.dynamo.send(
    new GetCommand({ TableName: store.table, Key: taskKey(transformationId, taskId), ConsistentRead: true }),
  );
  return Item ? fromItem(Item) : undefined;
}

/**
 * Moves the task from `from` to `to` with the given attributes; a final status leaves the open
 * index. False when the task is not in `from` (another run moved it).
 */
export async function updateTask(
  store: TableStore,
  task: Pick<TransformationTask, 'transformationId' | 'taskId'>,
  from: readonly TaskStatus[],
  to: TaskStatus,
  set: Readonly<Record<string, unknown>>,
  remove: readonly string[] = [],
): Promise<boolean> {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = { ':to': to };
  const sets = ['#status = :to'];
  for (const [field, value] of Object.entries(set)) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  const removals = [...remove];
  if (open.includes(to)) {
    names['#open'] = 'openKey';
    values[':open'] = openKey(task.transformationId, task.taskId);
    sets.push('#open = :open');
  } else removals.push('openKey');
  for (const field of removals) names[`#${field}`] = field;
  const sources = from.map((status, i) => {
    values[`:from${i}`] = status;
    return `:from${i}`;
  });
  return conditionHolds(
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.table,
        Key: taskKey(task.transformationId, task.taskId),
        UpdateExpression: `SET ${sets.join(', ')}${removals.length > 0 ? ` REMOVE ${removals.map((f) => `#${f}`).join(', ')}` : ''}`,
        ConditionExpression: `#status IN (${sources.join(', ')})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/** Records the job's last seen status on a Submitted task (for the jobs-by-status view). */
export async function noteJobStatus(
  store: TableStore,
  task: Pick<TransformationTask, 'transformationId' | 'taskId'>,
  jobStatus: string,
): Promise<void> {
  await updateTask(store, task, ['Submitted'], 'Submitted', { jobStatus });
}

/** The open tasks (Created, Submitted) of one shard of the open index. */
export async function openTasks(
  store: TableStore,
  transformationId: number,
  shard: number,
): Promise<TransformationTask[]> {
  const items = await queryAll(store.dynamo, {
    TableName: store.table,
    IndexName: 'openTasks',
    KeyConditionExpression: '#open = :key',
    ExpressionAttributeNames: { '#open': 'openKey' },
    ExpressionAttributeValues: { ':key': openShardKey(transformationId, shard) },
  });
  return items.map(fromItem);
}

/** Tasks in id order from `after` (exclusive), walking the blocks up to the last task id. */
export async function listTasks(
  store: TableStore,
  transformationId: number,
  lastTaskId: number,
  options: { after?: number; limit: number },
): Promise<TransformationTask[]> {
  const out: TransformationTask[] = [];
  let after = options.after ?? 0;
  for (
    let block = taskBlock(after);
    block <= taskBlock(lastTaskId) && out.length < options.limit;
    block += 1
  ) {
    let start: Record<string, unknown> | undefined =
      after > 0 && taskBlock(after) === block ? taskKey(transformationId, after) : undefined;
    do {
      const page = await store.dynamo.send(
        new QueryCommand({
          TableName: store.table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':pk': taskPartition(transformationId, block) },
          Limit: options.limit - out.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(fromItem(item));
      start = out.length < options.limit ? page.LastEvaluatedKey : undefined;
    } while (start);
    after = 0;
  }
  return out;
}

export async function deleteTask(store: TableStore, transformationId: number, taskId: number): Promise<void> {
  await store.dynamo.send(
    new DeleteCommand({ TableName: store.table, Key: taskKey(transformationId, taskId) }),
  );
}
