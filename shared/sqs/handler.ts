/**
 * The SQS stack every queue consumer uses. Each record is parsed on its own, so one bad message
 * fails alone: a body that fails its schema, or a PermanentError, is logged and acknowledged (the
 * business code has already recorded why); any other error is a transient failure reported in
 * `batchItemFailures`, and SQS redelivers it until the queue's redrive sends it to the DLQ.
 */
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { PermanentError } from '#shared/errors.ts';
import type { Logger } from '#shared/log.ts';

export interface RecordContext {
  readonly logger: Logger;
  readonly receiveCount: number;
  readonly messageId: string;
}

export function createSqsHandler<S extends z.ZodType>(
  logger: Logger,
  schema: S,
  process: (message: z.infer<S>, context: RecordContext) => Promise<void>,
) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event) => {
    const outcomes = await Promise.all(event.Records.map((record) => processRecord(record)));
    return {
      batchItemFailures: event.Records.filter((_, i) => !outcomes[i]).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  });

  /** True when the record is done with (processed, or permanently refused). */
  async function processRecord(record: SQSRecord): Promise<boolean> {
    const log = logger.child({ messageId: record.messageId });
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      log.error('message dropped: body is not JSON', { body: record.body.slice(0, 200) });
      return true;
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      log.error('message dropped: body fails its schema', { issues: parsed.error.issues });
      return true;
    }
    try {
      await process(parsed.data, {
        logger: log,
        receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1),
        messageId: record.messageId,
      });
      return true;
    } catch (error) {
      if (error instanceof PermanentError) {
        log.error('message failed permanently', { error });
        return true;
      }
      log.warn('message failed, will be retried', { error });
      return false;
    }
  }
}
