/**
 * The resumable walk the scheduled agents make over a table or an index. A run reads from where the
 * previous run stopped (a cursor in the counters table, `AGENT#<name>`), hands each item to the
 * agent, and stops when the run's budget is spent, keeping its place: the next run goes on from
 * there. At the end of the partition, or when the agent says nothing further can concern it, the
 * cursor is cleared and the next run starts from the beginning again.
 *
 * Glossary: a *walk* is one partition of an index (or a whole table, scanned); a *sharded walk* is
 * the walks of one write-sharded group (a status of the jobs' byStatus index: one partition per
 * shard, shared/jobs/store/keys.ts), each with its own cursor; a *budget* is what one run of an
 * agent may do over all its walks.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { JobStatus } from '#shared/jobs/status.ts';
import { statusPartitions } from '#shared/jobs/store/keys.ts';
import { type TableDefinition, tables } from '#shared/resources.ts';

type Item = Record<string, unknown>;

export interface WalkDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly countersTable: string;
}

/** What one run may still do: items read from indexes, and items changed or removed. */
export interface Budget {
  reads: number;
  changes: number;
}

/**
 * A run may read this many index items per change it may make: enough for a sweep over every
 * Running job of a large VO each run, little next to a Lambda's time limit.
 */
const readsPerChange = 100;
const pageSize = 500;

export const runBudget = (changes: number): Budget => ({ changes, reads: changes * readsPerChange });

const spent = (budget: Budget) => budget.changes <= 0 || budget.reads <= 0;

export interface Walk {
  /** Names the cursor, e.g. `stalledJobs#<vo>#Running`. */
  readonly cursor: string;
  readonly table: string;
  readonly definition: TableDefinition;
  /** An index of `definition` and the value of its partition key; absent: a scan of the table. */
  readonly index?: { readonly name: string; readonly partition: string | number };
  /** Only items whose index sort key is below this (time-ordered indexes). */
  readonly sortBelow?: string | number;
  /** A scan's filter (with its names and values); items it drops still count as read. */
  readonly filter?: {
    readonly expression: string;
    readonly names: Record<string, string>;
    readonly values: Record<string, unknown>;
  };
}

/** The walks of one write-sharded group, one per shard. */
export interface ShardedWalk {
  readonly shards: readonly Walk[];
}

/** A walk over the jobs of `vo` in `status`: every shard of the jobs table's byStatus index. */
export const jobsInStatus = (table: string, cursor: string, vo: string, status: JobStatus): ShardedWalk => ({
  shards: statusPartitions(vo, status).map((partition, shard) => ({
    cursor: `${cursor}#${shard}`,
    table,
    definition: tables.jobs,
    index: { name: 'byStatus', partition },
  })),
});

/**
 * What the agent did with an item: nothing, a change (one unit of the budget), or `end`: nothing
 * from here on can concern it, so the next run starts from the beginning.
 */
export type Visit = 'skipped' | 'changed' | 'end';

/**
 * Walks until the budget is spent or the partition ends; returns how many items it handed over.
 * A sharded walk goes through its shards in turn, starting at a random one, so that a run whose
 * budget runs out in the first shards does not leave the last ones for ever unvisited.
 */
export async function walk(
  deps: WalkDeps,
  target: Walk | ShardedWalk,
  budget: Budget,
  visit: (item: Item) => Promise<Visit>,
): Promise<number> {
  if (!('shards' in target)) return walkPartition(deps, target, budget, visit);
  const count = target.shards.length;
  const first = Math.floor(Math.random() * count);
  let visited = 0;
  for (let i = 0; i < count && !spent(budget); i++) {
    visited += await walkPartition(deps, target.shards[(first + i) % count] as Walk, budget, visit);
  }
  return visited;
}

async function walkPartition(
  deps: WalkDeps,
  target: Walk,
  budget: Budget,
  visit: (item: Item) => Promise<Visit>,
): Promise<number> {
  if (spent(budget)) return 0;
  const cursorKey = { pk: `AGENT#${target.cursor}` };
  const saved = await deps.dynamo.send(new GetCommand({ TableName: deps.countersTable, Key: cursorKey }));
  const save = (lastKey: Item | undefined) =>
    deps.dynamo.send(
      new PutCommand({ TableName: deps.countersTable, Item: { ...cursorKey, lastKey: lastKey ?? null } }),
    );
  let startKey = (saved.Item?.lastKey as Item | null | undefined) ?? undefined;
  let visited = 0;
  while (!spent(budget)) {
    const page = await deps.dynamo.send(read(target, startKey, Math.min(pageSize, budget.reads)));
    budget.reads -= Math.max(1, page.ScannedCount ?? page.Items?.length ?? 0);
    // Where to resume if this page is left half done: after the last item handled.
    let handled = startKey;
    for (const item of page.Items ?? []) {
      if (budget.changes <= 0) {
        await save(handled);
        return visited;
      }
      visited += 1;
      const outcome = await visit(item);
      if (outcome === 'end') {
        await save(undefined);
        return visited;
      }
      if (outcome === 'changed') budget.changes -= 1;
      handled = keyOf(target, item);
    }
    startKey = page.LastEvaluatedKey;
    if (!startKey) break;
  }
  await save(startKey);
  return visited;
}

function read(target: Walk, startKey: Item | undefined, limit: number) {
  const common = {
    TableName: target.table,
    Limit: limit,
    ...(startKey ? { ExclusiveStartKey: startKey } : {}),
  };
  if (!target.index) {
    return new ScanCommand({
      ...common,
      ...(target.filter
        ? {
            FilterExpression: target.filter.expression,
            ExpressionAttributeNames: target.filter.names,
            ExpressionAttributeValues: target.filter.values,
          }
        : {}),
    });
  }
  const index = target.definition.indexes[target.index.name];
  if (!index) throw new Error(`No index ${target.index.name} on ${target.table}.`);
  const below = target.sortBelow !== undefined && index.sortKey;
  return new QueryCommand({
    ...common,
    IndexName: target.index.name,
    KeyConditionExpression: below ? '#p = :p AND #s < :s' : '#p = :p',
    ExpressionAttributeNames: {
      '#p': index.partitionKey.name,
      ...(below ? { '#s': index.sortKey.name } : {}),
    },
    ExpressionAttributeValues: {
      ':p': target.index.partition,
      ...(below ? { ':s': target.sortBelow } : {}),
    },
  });
}

/** The item's key in the table and, when walking an index, in the index: what resumes after it. */
function keyOf(target: Walk, item: Item): Item {
  const { definition } = target;
  const names = [definition.partitionKey.name, definition.sortKey?.name];
  const index = target.index && definition.indexes[target.index.name];
  if (index) names.push(index.partitionKey.name, index.sortKey?.name);
  const key: Item = {};
  for (const name of names) if (name !== undefined) key[name] = item[name];
  return key;
}
