/**
 * Job ids are increasing integers, as DIRAC users expect, handed out in blocks: one counter write
 * per block, never one per job. A bulk submission takes its whole range in one write; single
 * submissions draw from a block cached by the function instance.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { advanceCounter } from '#shared/aws/counter.ts';
import { counterKeys } from '#shared/jobs/store/keys.ts';

/** Reserves `count` ids and returns the first; the range is [first, first + count). */
export async function reserveJobIds(
  dynamo: DynamoDBDocumentClient,
  table: string,
  count: number,
): Promise<number> {
  return (await advanceCounter(dynamo, table, counterKeys.jobIds, count)) - count + 1;
}

/** Ids for one function instance: small requests use a cached block, large ones reserve their own. */
export function createJobIdAllocator(dynamo: DynamoDBDocumentClient, table: string, blockSize = 100) {
  let next = 0;
  let end = 0;
  let refill: Promise<void> | undefined;
  return async function allocate(count: number): Promise<number[]> {
    if (count >= blockSize) {
      const first = await reserveJobIds(dynamo, table, count);
      return Array.from({ length: count }, (_, i) => first + i);
    }
    // A request's ids are consecutive: when the block cannot hold them all, its rest is skipped.
    while (end - next < count) {
      refill ??= reserveJobIds(dynamo, table, blockSize).then((first) => {
        next = first;
        end = first + blockSize;
        refill = undefined;
      });
      await refill;
    }
    const first = next;
    next += count;
    return Array.from({ length: count }, (_, i) => first + i);
  };
}
export type JobIdAllocator = ReturnType<typeof createJobIdAllocator>;
