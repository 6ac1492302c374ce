/**
 * The pilots by status (DIRAC: the Pilots monitoring's PilotsHistory), counted by the PilotStatus
 * agent each run and written as the `Pilots` metric with a `status` dimension (shared/metrics.ts),
 * summed over VOs. A COUNT query per VO and status on the pilots table's byStatus index: ended
 * pilots are purged after days, so the partitions stay small.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryPages } from '#shared/aws/dynamo.ts';
import { gaugeMetric, metricNames } from '#shared/metrics.ts';
import { type PilotStatus, pilotStatuses } from '#shared/pilots/model.ts';
import { pilotStatusKey } from '#shared/pilots/records.ts';

export interface PilotCensusDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly pilotsTable: string;
  readonly vos: readonly string[];
}

export type PilotCensus = Record<PilotStatus, number>;

export async function countPilots(deps: PilotCensusDeps): Promise<PilotCensus> {
  const census = Object.fromEntries(pilotStatuses.map((status) => [status, 0])) as PilotCensus;
  await Promise.all(
    deps.vos.flatMap((vo) =>
      pilotStatuses.map(async (status) => {
        const pages = queryPages(deps.dynamo, {
          TableName: deps.pilotsTable,
          IndexName: 'byStatus',
          KeyConditionExpression: '#key = :key',
          ExpressionAttributeNames: { '#key': 'statusKey' },
          ExpressionAttributeValues: { ':key': pilotStatusKey(vo, status) },
          Select: 'COUNT',
        });
        for await (const page of pages) census[status] += page.Count ?? 0;
      }),
    ),
  );
  for (const status of pilotStatuses) gaugeMetric(metricNames.pilots, census[status], { status });
  return census;
}
