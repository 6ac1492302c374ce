/**
 * The file catalog: logical file names (LFNs) and their replicas at storage elements. One item per
 * replica (`lfn`, `se`), so registering a replica is one write and listing an LFN's replicas is
 * one query. Each item also carries its LFN's parent `directory`, the key of the `byDirectory`
 * index that lists a directory a page at a time.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from '#shared/concurrency.ts';
import { parentDirectory } from '#shared/data/lfn.ts';
import type { Replica } from '#shared/executors/input-data.ts';

export interface ReplicaRecord extends Replica {
  readonly size?: number;
  readonly checksum?: string;
  /** Where the replica lives on its storage element (an S3 key or a path). */
  readonly pfn: string;
  readonly registeredAt: string;
  /** The job whose wrapper uploaded it, if one did. */
  readonly jobId?: number;
}

/** A page of a directory listing; `next` is where the following page starts. */
export interface ReplicaPage {
  readonly replicas: readonly ReplicaRecord[];
  readonly next?: Record<string, unknown>;
}

export async function listReplicas(
  dynamo: DynamoDBDocumentClient,
  table: string,
  lfns: readonly string[],
  parallel = 16,
): Promise<Map<string, ReplicaRecord[]>> {
  const found = new Map<string, ReplicaRecord[]>();
  await forEachLimited([...new Set(lfns)], parallel, async (lfn) => {
    const replicas: ReplicaRecord[] = [];
    const pages = paginateQuery(
      { client: dynamo },
      { TableName: table, KeyConditionExpression: 'lfn = :lfn', ExpressionAttributeValues: { ':lfn': lfn } },
    );
    for await (const page of pages) replicas.push(...((page.Items ?? []) as ReplicaRecord[]));
    if (replicas.length > 0) found.set(lfn, replicas);
  });
  return found;
}

/** A replica's item: the record with its LFN's `directory`. */
export const replicaItem = (replica: ReplicaRecord): Record<string, unknown> => ({
  ...replica,
  directory: parentDirectory(replica.lfn),
});

/** Registering the same (lfn, se) again replaces the replica. */
export async function registerReplica(
  dynamo: DynamoDBDocumentClient,
  table: string,
  replica: ReplicaRecord,
): Promise<void> {
  await dynamo.send(new PutCommand({ TableName: table, Item: replicaItem(replica) }));
}

/** The replicas of the files directly in `directory` (no trailing `/`), in LFN order. */
export async function listDirectory(
  dynamo: DynamoDBDocumentClient,
  table: string,
  directory: string,
  limit: number,
  start?: Record<string, unknown>,
): Promise<ReplicaPage> {
  const page = await dynamo.send(
    new QueryCommand({
      TableName: table,
      IndexName: 'byDirectory',
      KeyConditionExpression: '#directory = :directory',
      ExpressionAttributeNames: { '#directory': 'directory' },
      ExpressionAttributeValues: { ':directory': directory },
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  const replicas = (page.Items ?? []) as ReplicaRecord[];
  return page.LastEvaluatedKey ? { replicas, next: page.LastEvaluatedKey } : { replicas };
}

export async function deleteReplica(
  dynamo: DynamoDBDocumentClient,
  table: string,
  lfn: string,
  se: string,
): Promise<void> {
  await dynamo.send(new DeleteCommand({ TableName: table, Key: { lfn, se } }));
}
