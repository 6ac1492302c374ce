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
 * The condition the index is read for: `=` first (one value), then `in` (fewest values), then
 * ranges and comparisons, and `!=` (which reads all but one value) only when nothing else is there.
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

/** One page of one source: its hits and where it goes on, if it does. */
export async function readSource(
  { dynamo, table }: CatalogTable,
  source: IndexSource,
  limit: number,
  start?: Record<string, unknown>,
): Promise<{ hits: IndexHit[]; next?: Record<string, unknown> }> {
  const { range } = source;
  const [condition, values] =
    'prefix' in range
      ? ['begins_with(sk, :a)', { ':a': range.prefix }]
      : 'below' in range
        ? ['sk < :a', { ':a': range.below }]
        : 'from' in range
          ? ['sk >= :a', { ':a': range.from }]
          : ['sk BETWEEN :a AND :b', { ':a': range.between[0], ':b': range.between[1] }];
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
