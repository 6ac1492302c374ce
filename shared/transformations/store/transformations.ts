/**
 * Transformation items (DIRAC's Transformations table): create, read, change state under a
 * condition, hand out task ids, and the lease that makes one agent run at a time the only one to
 * create and settle the tasks of a transformation.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { advanceCounter } from '#shared/aws/counter.ts';
import { conditionHolds, queryAll } from '#shared/aws/dynamo.ts';
import { counterKey, stateKey, transformationKey, voKey } from '#shared/transformations/keys.ts';
import type { TransformationRecord, TransformationState } from '#shared/transformations/model.ts';

export interface TableStore {
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: string;
}

const itemOnly = ['pk', 'sk', 'stateKey', 'voKey', 'leaseHolder', 'leaseUntil'] as const;

export function fromItem(item: Record<string, unknown>): TransformationRecord {
  const record = { ...item };
  for (const key of itemOnly) delete record[key];
  return record as unknown as TransformationRecord;
}

export function allocateTransformationId(store: TableStore): Promise<number> {
  return advanceCounter(store.dynamo, store.table, counterKey);
}

export async function putTransformation(store: TableStore, record: TransformationRecord): Promise<void> {
  await store.dynamo.send(
    new PutCommand({
      TableName: store.table,
      Item: {
        ...transformationKey(record.transformationId),
        stateKey: stateKey(record.vo, record.state),
        voKey: voKey(record.vo),
        ...record,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getTransformation(
  store: TableStore,
  transformationId: number,
): Promise<(TransformationRecord & { leaseUntil?: number }) | undefined> {
  const { Item } = await store.dynamo.send(
    new GetCommand({
      TableName: store.table,
      Key: transformationKey(transformationId),
      ConsistentRead: true,
    }),
  );
  return Item
    ? { ...fromItem(Item), ...(Item.leaseUntil ? { leaseUntil: Item.leaseUntil as number } : {}) }
    : undefined;
}

/** Moves the transformation to `to` if it is in one of `from`; false when it is not. */
export async function setState(
  store: TableStore,
  record: Pick<TransformationRecord, 'transformationId' | 'vo'>,
  from: readonly TransformationState[],
  to: TransformationState,
  time: string,
  add?: { readonly tasks: number },
): Promise<boolean> {
  const sources = Object.fromEntries(from.map((state, i) => [`:from${i}`, state]));
  const cleaned = to === 'Cleaned';
  return conditionHolds(
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.table,
        Key: transformationKey(record.transformationId),
        // byVo is sparse: a Cleaned transformation leaves it, so the walk does not grow with history.
        UpdateExpression: `SET #state = :to, #stateKey = :stateKey, #updatedAt = :time${cleaned ? '' : ', #voKey = :voKey'}${add ? ' ADD #tasks :tasks' : ''}${cleaned ? ' REMOVE #voKey' : ''}`,
        ConditionExpression: `#state IN (${Object.keys(sources).join(', ')})`,
        ExpressionAttributeNames: {
          '#state': 'state',
          '#stateKey': 'stateKey',
          '#voKey': 'voKey',
          '#updatedAt': 'updatedAt',
          ...(add ? { '#tasks': 'tasks' } : {}),
        },
        ExpressionAttributeValues: {
          ...sources,
          ':to': to,
          ':stateKey': stateKey(record.vo, to),
          ...(cleaned ? {} : { ':voKey': voKey(record.vo) }),
          ':time': time,
          ...(add ? { ':tasks': add.tasks } : {}),
        },
      }),
    ),
  );
}

/** The transformations of a VO in one state, in id order (the byState index). */
export async function transformationsIn(
  store: TableStore,
  vo: string,
  state: TransformationState,
): Promise<TransformationRecord[]> {
  const items = await queryAll(store.dynamo, {
    TableName: store.table,
    IndexName: 'byState',
    KeyConditionExpression: '#stateKey = :key',
    ExpressionAttributeNames: { '#stateKey': 'stateKey' },
    ExpressionAttributeValues: { ':key': stateKey(vo, state) },
  });
  return items.map(fromItem);
}

/** Every transformation of a VO that is not Cleaned, whatever its state, in id order (byVo). */
export async function transformationsOf(store: TableStore, vo: string): Promise<TransformationRecord[]> {
  const items = await queryAll(store.dynamo, {
    TableName: store.table,
    IndexName: 'byVo',
    KeyConditionExpression: '#voKey = :key',
    ExpressionAttributeNames: { '#voKey': 'voKey' },
    ExpressionAttributeValues: { ':key': voKey(vo) },
  });
  return items.map(fromItem);
}

/**
 * Puts a transformation written before the byVo index into it (the sweep's upgrade of older
 * items; `setState` does the same on any change of state).
 */
export async function indexByVo(
  store: TableStore,
  record: Pick<TransformationRecord, 'transformationId' | 'vo'>,
): Promise<void> {
  await conditionHolds(
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.table,
        Key: transformationKey(record.transformationId),
        UpdateExpression: 'SET #voKey = :voKey',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#voKey)',
        ExpressionAttributeNames: { '#voKey': 'voKey' },
        ExpressionAttributeValues: { ':voKey': voKey(record.vo) },
      }),
    ),
  );
}

/**
 * Records that task `taskId` exists (its item was written first): the last task id only grows, so
 * a crash between the two writes is finished by the next run, which finds the task item there.
 */
export async function advanceLastTaskId(
  store: TableStore,
  transformationId: number,
  taskId: number,
): Promise<void> {
  // A failed condition is fine: the last task id is this one or later already.
  await conditionHolds(
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.table,
        Key: transformationKey(transformationId),
        UpdateExpression: 'SET #last = :id',
        ConditionExpression: '#last < :id',
        ExpressionAttributeNames: { '#last': 'lastTaskId' },
        ExpressionAttributeValues: { ':id': taskId },
      }),
    ),
  );
}

/** Where the catalog scan of a query transformation is: its next page, or when it last ended. */
export async function recordScan(
  store: TableStore,
  transformationId: number,
  scan: { readonly next?: string; readonly endedAt?: string },
): Promise<void> {
  const sets: string[] = [];
  const values: Record<string, unknown> = {};
  if (scan.next !== undefined) {
    sets.push('#next = :next');
    values[':next'] = scan.next;
  }
  if (scan.endedAt !== undefined) {
    sets.push('#ended = :ended');
    values[':ended'] = scan.endedAt;
  }
  await store.dynamo.send(
    new UpdateCommand({
      TableName: store.table,
      Key: transformationKey(transformationId),
      UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(', ')} ` : ''}${scan.next === undefined ? 'REMOVE #next' : ''}`,
      ExpressionAttributeNames: {
        '#next': 'scanNext',
        ...(scan.endedAt !== undefined ? { '#ended': 'scannedAt' } : {}),
      },
      ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    }),
  );
}

/**
 * Takes the transformation's lease for `seconds` unless another holder's lease runs, and returns
 * the transformation as the lease write left it (undefined when not taken). The lease is longer
 * than any function's timeout, so a holder whose lease ran out is no longer running.
 */
export async function takeLease(
  store: TableStore,
  transformationId: number,
  holder: string,
  nowMs: number,
  seconds: number,
): Promise<TransformationRecord | undefined> {
  const write = store.dynamo.send(
    new UpdateCommand({
      TableName: store.table,
      Key: transformationKey(transformationId),
      UpdateExpression: 'SET #holder = :holder, #until = :until',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(#until) OR #until < :now OR #holder = :holder)',
      ExpressionAttributeNames: { '#holder': 'leaseHolder', '#until': 'leaseUntil' },
      ExpressionAttributeValues: { ':holder': holder, ':until': nowMs + seconds * 1000, ':now': nowMs },
      ReturnValues: 'ALL_NEW',
    }),
  );
  if (!(await conditionHolds(write))) return undefined;
  return fromItem((await write).Attributes ?? {});
}

export async function releaseLease(
  store: TableStore,
  transformationId: number,
  holder: string,
): Promise<void> {
  // A failed condition is fine: the lease is another holder's now.
  await conditionHolds(
    store.dynamo.send(
      new UpdateCommand({
        TableName: store.table,
        Key: transformationKey(transformationId),
        UpdateExpression: 'REMOVE #holder, #until',
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: { '#holder': 'leaseHolder', '#until': 'leaseUntil' },
        ExpressionAttributeValues: { ':holder': holder },
      }),
    ),
  );
}
