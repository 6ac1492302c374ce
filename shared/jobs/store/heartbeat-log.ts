/**
 * A job's heartbeat history (DIRAC's JobDB `HeartBeatLoggingInfo`, which the WebApp plots): each
 * beat's figures as an item in the job's own partition of the jobs table, `JOB#<id>` /
 * `HEARTBEAT#<time>`, beside the job item `JOB#<id>` / `JOB`. The items carry no index keys, so
 * searches never meet them, and they expire through the table's TTL attribute (`expiresAt`) some
 * weeks after the beat, long after the job page stops being looked at.
 */
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { heartbeatKey, heartbeatSortPrefix, jobKey } from '#shared/jobs/store/keys.ts';
import type { TransitionStore } from '#shared/jobs/transitions/write.ts';

/** How long a beat is kept (DynamoDB TTL). */
export const heartbeatRetentionSeconds = 30 * 86_400;
/** The most beats a job page reads: the newest ones (a beat a minute is 33 hours of them). */
export const heartbeatReadLimit = 2000;

/** DiracX's HeartbeatData figures that are plotted; the payload's output peek stays a parameter. */
export const heartbeatFigures = [
  'LoadAverage',
  'MemoryUsed',
  'Vsize',
  'AvailableDiskSpace',
  'CPUConsumed',
  'WallClockTime',
] as const;
export type HeartbeatFigures = Partial<Record<(typeof heartbeatFigures)[number], number>>;
export type HeartbeatEntry = HeartbeatFigures & { readonly Time: string };

export async function appendHeartbeat(
  store: TransitionStore,
  jobId: number,
  time: string,
  figures: HeartbeatFigures,
): Promise<void> {
  const kept = Object.fromEntries(
    heartbeatFigures.filter((name) => typeof figures[name] === 'number').map((name) => [name, figures[name]]),
  );
  await store.dynamo.send(
    new PutCommand({
      TableName: store.table,
      Item: {
        ...heartbeatKey(jobId, time),
        ...kept,
        expiresAt: Math.floor(Date.parse(time) / 1000) + heartbeatRetentionSeconds,
      },
    }),
  );
}

/** The job's beats in time order, the newest `limit` of them. */
export async function readHeartbeats(
  store: TransitionStore,
  jobId: number,
  limit = heartbeatReadLimit,
): Promise<HeartbeatEntry[]> {
  const entries: HeartbeatEntry[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.dynamo.send(
      new QueryCommand({
        TableName: store.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': jobKey(jobId).pk, ':prefix': heartbeatSortPrefix },
        ScanIndexForward: false,
        Limit: limit - entries.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk, expiresAt: _expires, ...figures } = item;
      entries.push({ ...(figures as HeartbeatFigures), Time: String(sk).slice(heartbeatSortPrefix.length) });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && entries.length < limit);
  return entries.reverse();
}
