import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { conditionHolds, queryAll, queryPages } from '#shared/aws/dynamo.ts';

const failedCondition = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** A table answering a query in pages of two items, recording each page's start key. */
function paged(items: readonly number[]) {
  const starts: unknown[] = [];
  const dynamo = {
    send: async (command: { input: { ExclusiveStartKey?: { n: number } } }) => {
      const start = command.input.ExclusiveStartKey;
      starts.push(start);
      const from = start ? items.indexOf(start.n) + 1 : 0;
      const page = items.slice(from, from + 2).map((n) => ({ n }));
      const last = page.at(-1);
      return { Items: page, ...(from + 2 < items.length && last ? { LastEvaluatedKey: last } : {}) };
    },
  } as unknown as DynamoDBDocumentClient;
  return { dynamo, starts };
}

describe('conditionHolds', () => {
  it('is true when the write held and false when its condition failed', async () => {
    expect(await conditionHolds(Promise.resolve({}))).toBe(true);
    expect(await conditionHolds(Promise.reject(failedCondition()))).toBe(false);
  });

  it('throws any other error', async () => {
    await expect(conditionHolds(Promise.reject(new Error('throttled')))).rejects.toThrow('throttled');
  });
});

describe('queryAll', () => {
  it('reads every page, each from where the last ended, and keeps the items in order', async () => {
    const { dynamo, starts } = paged([1, 2, 3, 4, 5]);
    expect(await queryAll(dynamo, { TableName: 't' })).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
    expect(starts).toEqual([undefined, { n: 2 }, { n: 4 }]);
  });
});

describe('queryPages', () => {
  it('reads no further page once the caller stops', async () => {
    const { dynamo, starts } = paged([1, 2, 3, 4, 5]);
    for await (const page of queryPages(dynamo, { TableName: 't' })) if (page.Items?.length) break;
    expect(starts).toEqual([undefined]);
  });
});
