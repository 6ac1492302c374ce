import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createJobIdAllocator } from '#shared/jobs/store/allocate-ids.ts';

/** A counter item as DynamoDB's `ADD` keeps it, shared by every allocator (function instance). */
function counter() {
  let next = 0;
  return {
    send: async (command: { input: { ExpressionAttributeValues: { ':count': number } } }) => {
      next += command.input.ExpressionAttributeValues[':count'];
      return { Attributes: { next } };
    },
  } as unknown as DynamoDBDocumentClient;
}

describe('Job id allocation', () => {
  it('gives every request consecutive ids, never overlapping another instance', async () => {
    const dynamo = counter();
    const a = createJobIdAllocator(dynamo, 't', 100);
    const b = createJobIdAllocator(dynamo, 't', 100);
    const first = await a(60);
    const other = await b(10);
    const second = await a(60);
    for (const ids of [first, other, second]) expect(ids).toEqual(ids.map((_, i) => (ids[0] as number) + i));
    const all = [...first, ...other, ...second];
    expect(new Set(all).size).toBe(all.length);
  });

  it('takes a large request in one reservation of its own', async () => {
    const ids = await createJobIdAllocator(counter(), 't', 100)(250);
    expect(ids).toHaveLength(250);
    expect(ids[249]).toBe(250);
  });
});
