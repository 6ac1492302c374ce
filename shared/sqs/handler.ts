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

/**
 * Per-batch state: `prepare` sees every valid message of the batch first (to read in bulk) and
 * returns the batch's state, which each message's processing receives; `finish` runs after all
 * were processed (to send in bulk). If `finish` throws, the whole batch is retried. The state is
 * per invocation: the embedded runtime invokes one handler for several batches at once.
 */
export interface BatchHooks<T, B> {
  prepare: (messages: readonly T[]) => Promise<B>;
  finish: (batch: B) => Promise<void>;
}

type Parsed<T> = { ok: true; message: T } | { ok: false };

export function createSqsHandler<S extends z.ZodType, B = undefined>(
  logger: Logger,
  schema: S,
  process: (message: z.infer<S>, context: RecordContext, batch: B) => Promise<void>,
  hooks?: BatchHooks<z.infer<S>, B>,
) {
  return middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(async (event) => {
    const parsed = event.Records.map((record) => parseRecord(record));
    const valid = parsed.flatMap((p) => (p.ok ? [p.message] : []));
    const batch = (await hooks?.prepare(valid)) as B;
    const outcomes = await Promise.all(
      event.Records.map((record, i) => processRecord(record, parsed[i] as Parsed<z.infer<S>>, batch)),
    );
    await hooks?.finish(batch);
    return {
      batchItemFailures: event.Records.filter((_, i) => !outcomes[i]).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  });

  function parseRecord(record: SQSRecord): Parsed<z.infer<S>> {
    const log = logger.child({ messageId: record.messageId });
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      log.error('message dropped: body is not JSON', { body: record.body.slice(0, 200) });
      return { ok: false };
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      log.error('message dropped: body fails its schema', { issues: parsed.error.issues });
      return { ok: false };
    }
    return { ok: true, message: parsed.data };
  }

  /** True when the record is done with (processed, or permanently refused). */
  async function processRecord(record: SQSRecord, parsed: Parsed<z.infer<S>>, batch: B): Promise<boolean> {
    if (!parsed.ok) return true;
    const log = logger.child({ messageId: record.messageId });
    const context = {
      logger: log,
      receiveCount: Number(record.attributes.ApproximateReceiveCount ?? 1),
      messageId: record.messageId,
    };
    try {
      await process(parsed.message, context, batch);
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
