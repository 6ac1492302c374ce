/**
 * Task queue definition items. A task queue is a definition item (what its jobs require, and the
 * priority and job counts the TaskQueues agent last computed) plus its entries (entries.ts).
 * Matching never writes a definition item: only inserts (once per instance and minute) and the
 * agent do.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { conditionHolds } from '#shared/aws/dynamo.ts';
import type { TaskQueueDefinition } from '#shared/taskqueues/definition.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';

/** Expression attribute names for `attributes` (several are DynamoDB reserved words). */
const names = (...attributes: string[]) => Object.fromEntries(attributes.map((a) => [`#${a}`, a]));

export interface TaskQueueItem {
  readonly tqId: string;
  readonly definition: TaskQueueDefinition;
  readonly createdAt: string;
  /** Fair-share priority from the TaskQueues agent; absent until its first run. */
  readonly priority?: number;
  /** Waiting jobs per user priority at the agent's last count. */
  readonly levels?: Readonly<Record<string, number>>;
  readonly jobs?: number;
  readonly countedAt?: string;
  /** When the agent first found the task queue empty; cleared by any insert. */
  readonly emptySince?: string;
}

/** Creates the definition item, or keeps it and cancels a pending empty-queue deletion. */
export async function ensureTaskQueue(
  dynamo: DynamoDBDocumentClient,
  table: string,
  tqId: string,
  definition: TaskQueueDefinition,
  now: string,
): Promise<void> {
  await dynamo.send(
    new UpdateCommand({
      TableName: table,
      Key: taskQueueKeys.definition(tqId),
      UpdateExpression:
        'SET #voKey = :voKey, #tqId = :tqId, #definition = :definition, #createdAt = if_not_exists(#createdAt, :now) REMOVE #emptySince',
      ExpressionAttributeNames: names('voKey', 'tqId', 'definition', 'createdAt', 'emptySince'),
      ExpressionAttributeValues: {
        ':voKey': taskQueueKeys.voKey(definition.vo),
        ':tqId': tqId,
        ':definition': definition,
        ':now': now,
      },
    }),
  );
}

/** A VO's task queues, through the byVo index (eventually consistent). */
export async function listTaskQueues(
  dynamo: DynamoDBDocumentClient,
  table: string,
  vo: string,
): Promise<TaskQueueItem[]> {
  const found: TaskQueueItem[] = [];
  const pages = paginateQuery(
    { client: dynamo },
    {
      TableName: table,
      IndexName: 'byVo',
      KeyConditionExpression: 'voKey = :vo',
      ExpressionAttributeValues: { ':vo': taskQueueKeys.voKey(vo) },
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) found.push(toTaskQueueItem(item));
  return found;
}

const toTaskQueueItem = (item: Record<string, unknown>): TaskQueueItem => {
  const { pk: _pk, sk: _sk, voKey: _voKey, ...rest } = item;
  return rest as unknown as TaskQueueItem;
};

/** The agent's figures for one task queue; false if the task queue was deleted meanwhile. */
export async function recordTaskQueueStats(
  dynamo: DynamoDBDocumentClient,
  table: string,
  tqId: string,
  stats: { priority: number; levels: Record<string, number>; jobs: number; countedAt: string },
  emptySince: 'keep' | 'clear' | string,
): Promise<boolean> {
  const values: Record<string, unknown> = {
    ':priority': stats.priority,
    ':levels': stats.levels,
    ':jobs': stats.jobs,
    ':countedAt': stats.countedAt,
  };
  let expression = 'SET #priority = :priority, #levels = :levels, #jobs = :jobs, #countedAt = :countedAt';
  if (emptySince === 'clear') expression += ' REMOVE #emptySince';
  else if (emptySince !== 'keep') {
    expression += ', #emptySince = if_not_exists(#emptySince, :emptySince)';
    values[':emptySince'] = emptySince;
  }
  return conditionHolds(
    dynamo.send(
      new UpdateCommand({
        TableName: table,
        Key: taskQueueKeys.definition(tqId),
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names(
          'priority',
          'levels',
          'jobs',
          'countedAt',
          ...(emptySince === 'keep' ? [] : ['emptySince']),
        ),
        ExpressionAttributeValues: values,
      }),
    ),
  );
}

/**
 * Deletes a task queue found empty since `emptySince`. An insert in between cleared `emptySince`,
 * so the condition fails and the task queue stays.
 */
export async function deleteTaskQueueIfStillEmpty(
  dynamo: DynamoDBDocumentClient,
  table: string,
  tqId: string,
  emptySince: string,
): Promise<boolean> {
  return conditionHolds(
    dynamo.send(
      new DeleteCommand({
        TableName: table,
        Key: taskQueueKeys.definition(tqId),
        ConditionExpression: '#emptySince = :since',
        ExpressionAttributeNames: names('emptySince'),
        ExpressionAttributeValues: { ':since': emptySince },
      }),
    ),
  );
}

/** Puts a definition item back (an insert raced with its deletion). */
export async function restoreTaskQueue(
  dynamo: DynamoDBDocumentClient,
  table: string,
  item: TaskQueueItem,
): Promise<void> {
  // A failed condition is fine: an insert put it back first.
  await conditionHolds(
    dynamo.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...taskQueueKeys.definition(item.tqId),
          voKey: taskQueueKeys.voKey(item.definition.vo),
          tqId: item.tqId,
          definition: item.definition,
          createdAt: item.createdAt,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}
