/**
 * Pilots seen recently: one item per VO, site and computing element in the taskQueues table,
 * holding the last resource description a pilot sent from there. An instance rewrites an item at
 * most once per `pilotReportSeconds`, so however many pilots ask, the items never become hot. The
 * matching explainer reads them.
 */
import { type DynamoDBDocumentClient, PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { ResourceDescription } from '#shared/matcher/resource-description.ts';
import { taskQueueKeys } from '#shared/taskqueues/keys.ts';

export interface SeenPilot {
  readonly site: string;
  readonly gridCE: string;
  readonly seenAt: string;
  readonly pilotReference: string;
  readonly description: ResourceDescription;
}

export interface PilotsSeenDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly table: string;
  readonly reportSeconds: number;
  readonly keepSeconds: number;
  readonly now: () => Date;
}

export function createPilotsSeen(deps: PilotsSeenDeps) {
  const written = new Map<string, number>();
  return {
    /** Records a pilot's description, unless this instance recorded its site and CE lately. */
    async report(vo: string, pilot: Omit<SeenPilot, 'seenAt'>): Promise<void> {
      const now = deps.now();
      const key = taskQueueKeys.pilot(vo, pilot.site, pilot.gridCE);
      const id = `${key.pk}#${key.sk}`;
      if ((written.get(id) ?? 0) > now.getTime()) return;
      if (written.size > 10_000) written.clear();
      written.set(id, now.getTime() + deps.reportSeconds * 1000);
      await deps.dynamo.send(
        new PutCommand({ TableName: deps.table, Item: { ...key, ...pilot, seenAt: now.toISOString() } }),
      );
    },
    /** The VO's pilots seen within `keepSeconds`, newest first. */
    async recent(vo: string): Promise<SeenPilot[]> {
      const since = new Date(deps.now().getTime() - deps.keepSeconds * 1000).toISOString();
      const found: SeenPilot[] = [];
      const pages = paginateQuery(
        { client: deps.dynamo },
        {
          TableName: deps.table,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: '#seenAt >= :since',
          ExpressionAttributeNames: { '#seenAt': 'seenAt' },
          ExpressionAttributeValues: { ':pk': taskQueueKeys.pilots(vo), ':since': since },
        },
      );
      for await (const page of pages) found.push(...((page.Items ?? []) as SeenPilot[]));
      return found.sort((a, b) => b.seenAt.localeCompare(a.seenAt));
    },
  };
}
export type PilotsSeen = ReturnType<typeof createPilotsSeen>;
