/**
 * Reading the metadata index for one *driving* condition: the key ranges its values cover, and a
 * page of hits from every shard of the key's index at once. The other conditions are checked on
 * the hits' metadata by find.ts.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { metaValueOrder } from '#shared/catalog/encoding.ts';
import {
  fromIndexItem,
  type IndexHit,
  indexPartition,
  indexShards,
  valueCeiling,
  valueSeparator,
} from '#shared/catalog/keys.ts';
import type { Condition, MetaQuery, MetaType } from '#shared/catalog/query.ts';
import type { CatalogTable } from '#shared/catalog/store.ts';

/** A key condition on an index partition's sort key. */
export type SortRange =
  | { readonly prefix: string }
  | { readonly below: string }
  | { readonly from: string }
  | { readonly between: readonly [string, string] };

/**
 * The condition the index is read for, when sizes are not known: `=` first (one value), then `in`
 * (fewest values), then ranges and comparisons, and `!=` (which reads all but one value) only
 * when nothing else is there.
 */
export function drivingCondition(query: MetaQuery): Condition {
  const rank = (c: Condition) =>
    c.op === '='
      ? 0
      : c.op === 'in'
        ? 1 + c.values.length / 10_000
        : c.op === 'range'
          ? 2
          : c.op === '!='
            ? 4
            : 3;
  return [...query].sort((a, b) => rank(a) - rank(b))[0] as Condition;
}

export function sortRanges(condition: Condition, type: MetaType): SortRange[] {
  const order = (i: number) => metaValueOrder(type, condition.values[i] as number | string);
  switch (condition.op) {
    case '=':
      return [{ prefix: order(0) + valueSeparator }];
    case 'in':
      return [...new Set(condition.values.map((_, i) => order(i)))].map((o) => ({
        prefix: o + valueSeparator,
      }));
    case '<':
      return [{ below: order(0) + valueSeparator }];
    case '<=':
      return [{ below: order(0) + valueCeiling }];
    case '>':
      return [{ from: order(0) + valueCeiling }];
    case '>=':
      return [{ from: order(0) + valueSeparator }];
    case 'range':
      return [{ between: [order(0) + valueSeparator, order(1) + valueCeiling] }];
    case '!=':
      return [{ below: order(0) + valueSeparator }, { from: order(0) + valueCeiling }];
  }
}

/** One (range, shard) pair of the driving condition; a query reads them all. */
export interface IndexSource {
  readonly range: SortRange;
  readonly partition: string;
}

export function indexSources(vo: string, condition: Condition, type: MetaType): IndexSource[] {
  return sortRanges(condition, type).flatMap((range) =>
    Array.from({ length: indexShards }, (_, shard) => ({
      range,
      partition: indexPartition(vo, condition.key, shard),
    })),
  );
}

function keyCondition(range: SortRange): { condition: string; values: Record<string, string> } {
  if ('prefix' in range) return { condition: 'begins_with(sk, :a)', values: { ':a': range.prefix } };
  if ('below' in range) return { condition: 'sk < :a', values: { ':a': range.below } };
  if ('from' in range) return { condition: 'sk >= :a', values: { ':a': range.from } };
  return { condition: 'sk BETWEEN :a AND :b', values: { ':a': range.between[0], ':b': range.between[1] } };
}

/** One page of one source: its hits and where it goes on, if it does. */
export async function readSource(
  { dynamo, table }: CatalogTable,
  source: IndexSource,
  limit: number,
  start?: Record<string, unknown>,
): Promise<{ hits: IndexHit[]; next?: Record<string, unknown> }> {
  const { condition, values } = keyCondition(source.range);
  const page = await dynamo.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: `pk = :pk AND ${condition}`,
      ExpressionAttributeValues: { ':pk': source.partition, ...values },
      ProjectionExpression: '#path, kind, meta',
      ExpressionAttributeNames: { '#path': 'path' },
      Limit: limit,
      ExclusiveStartKey: start,
    }),
  );
  const hits = (page.Items ?? []).map(fromIndexItem);
  return page.LastEvaluatedKey ? { hits, next: page.LastEvaluatedKey } : { hits };
}

/** Items a sample shard is counted up to: above it (80,000 across the shards), sizes tie. */
export const sampleCap = 5000;

/**
 * The condition whose index holds the fewest items, counted in one shard (a hash sample of the
 * whole, up to `sampleCap`), among those that are not `!=`; ties go to `drivingCondition`'s order.
 * So `run=100..119 stream=A` reads the 20,000 items of the range, not the 500,000 of `stream=A`.
 */
export async function smallestCondition(
  catalog: CatalogTable,
  vo: string,
  query: MetaQuery,
  types: ReadonlyMap<string, MetaType>,
): Promise<number> {
  const candidates = query
    .map((condition, index) => ({ condition, index }))
    .filter(({ condition }) => condition.op !== '!=');
  if (candidates.length <= 1) return query.indexOf(drivingCondition(query));
  const sizes = await Promise.all(
    candidates.map(async ({ condition }) => {
      let count = 0;
      for (const range of sortRanges(condition, types.get(condition.key) as MetaType)) {
        const source = { range, partition: indexPartition(vo, condition.key, 0) };
        count += await countSource(catalog, source, sampleCap - count);
        if (count >= sampleCap) break;
      }
      return count;
    }),
  );
  const preferred = drivingCondition(candidates.map(({ condition }) => condition));
  let best = 0;
  for (let i = 1; i < candidates.length; i += 1) {
    const smaller = (sizes[i] as number) < (sizes[best] as number);
    const tied = sizes[i] === sizes[best] && candidates[i]?.condition === preferred;
    if (smaller || tied) best = i;
  }
  return (candidates[best] as { index: number }).index;
}

/** Items of `source`, counted up to `cap`. */
async function countSource(
  { dynamo, table }: CatalogTable,
  source: IndexSource,
  cap: number,
): Promise<number> {
  const { condition, values } = keyCondition(source.range);
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    // A page stops at 1 MB read: go on until the cap or the end.
    const page = await dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: `pk = :pk AND ${condition}`,
        ExpressionAttributeValues: { ':pk': source.partition, ...values },
        Select: 'COUNT',
        Limit: cap - count,
        ExclusiveStartKey: start,
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start && count < cap);
  return count;
}
