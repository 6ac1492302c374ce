import type { Context, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PermanentError } from '#shared/errors.ts';
import { createLogger } from '#shared/log.ts';
import { createSqsHandler } from '#shared/sqs/handler.ts';

const logger = createLogger({ level: 'error', write: () => undefined });
const context = { getRemainingTimeInMillis: () => 10_000 } as Context;
const records = (...bodies: string[]): SQSEvent => ({
  Records: bodies.map((body, i) => ({
    messageId: `m${i}`,
    body,
    attributes: { ApproximateReceiveCount: '1' },
  })) as never,
});

describe('SQS stack', () => {
  it('reports only transient failures, so SQS redelivers those alone', async () => {
    const seen: number[] = [];
    const handler = createSqsHandler(logger, z.object({ n: z.number() }), async ({ n }) => {
      seen.push(n);
      if (n === 2) throw new Error('throttled');
      if (n === 3) throw new PermanentError('cannot ever work');
    });
    const result = await handler(records('{"n":1}', '{"n":2}', '{"n":3}', 'not json', '{"x":1}'), context);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(seen).toEqual([1, 2, 3]);
  });

  it('gives each invocation its own batch state, even when invocations overlap', async () => {
    const handler = createSqsHandler(
      logger,
      z.object({ n: z.number() }),
      async ({ n }, _context, batch: number[]) => {
        await new Promise((r) => setTimeout(r, 5));
        batch.push(n);
      },
      { prepare: async () => [] as number[], finish: async (batch) => void expect(batch.length).toBe(2) },
    );
    await Promise.all([
      handler(records('{"n":1}', '{"n":2}'), context),
      handler(records('{"n":3}', '{"n":4}'), context),
    ]);
  });

  it('retries the whole batch when the batch cannot be finished', async () => {
    const handler = createSqsHandler(logger, z.object({ n: z.number() }), async () => undefined, {
      prepare: async () => undefined,
      finish: async () => {
        throw new Error('send failed');
      },
    });
    await expect(handler(records('{"n":1}'), context)).rejects.toThrow('send failed');
  });
});
