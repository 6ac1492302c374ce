/**
 * The file catalog: logical file names (LFNs) and their replicas at storage elements. One item per
 * replica (`lfn`, `se`), so registering a replica is one write and listing an LFN's replicas is
 * one query.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from '#shared/concurrency.ts';
import type { Replica } from '#shared/executors/input-data.ts';

export interface ReplicaRecord extends Replica {
  readonly size?: number;
  readonly checksum?: string;
  /** Where the replica lives on its storage element (an S3 key or a path). */
  readonly pfn: string;
  readonly registeredAt: string;
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
    let start: Record<string, unknown> | undefined;
    do {
      const page = await dynamo.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'lfn = :lfn',
          ExpressionAttributeValues: { ':lfn': lfn },
          ExclusiveStartKey: start,
        }),
      );
      replicas.push(...((page.Items ?? []) as ReplicaRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    if (replicas.length > 0) found.set(lfn, replicas);
  });
  return found;
}

export async function registerReplica(
  dynamo: DynamoDBDocumentClient,
  table: string,
  replica: ReplicaRecord,
): Promise<void> {
  await dynamo.send(new PutCommand({ TableName: table, Item: { ...replica } }));
}
