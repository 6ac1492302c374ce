/**
 * SQS event source mappings for the embedded runtime, as Lambda runs them: receive up to the batch
 * size, invoke the consumer with an `SQSEvent`, delete the records it did not report in
 * `batchItemFailures`, and leave the rest to reappear after the visibility timeout. Redrive to the
 * dead-letter queue after `maxReceiveCount` receives is the emulator's job, as it is SQS's.
 *
 * Instead of long polling (local-aws-sqs waits the full WaitTimeSeconds for a batch of 10), the
 * pollers are woken when the runtime's own SQS client sends to their queue. Otherwise one poller
 * per queue short-polls every `idlePollMs` (for delayed messages and those back after their
 * visibility timeout), and the others sleep until a wake-up or until it receives a full batch:
 * idle pollers each asking every second were most of the SQS emulator's requests (about 4 per
 * job in `npm run bench:e2e`), with nothing to receive.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { invoke, type LocalFunction } from '#local/invoke.ts';
import type { Logger } from '#shared/log.ts';

export interface EventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly fn: LocalFunction;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  /** Overrides the queue's visibility timeout (tests use short ones to see redrive quickly). */
  readonly visibilityTimeoutSeconds?: number;
  /** How long an idle poller waits before polling again without a wake-up. */
  readonly idlePollMs?: number;
  readonly logger: Logger;
}

export interface EventSource {
  wake(): void;
  /** Stops receiving and waits for the batches in flight. */
  stop(): Promise<void>;
}

export function startEventSource(options: EventSourceOptions): EventSource {
  const idlePollMs = options.idlePollMs ?? 1000;
  let stopped = false;
  const sleepers = new Set<() => void>();
  // A wake-up while no poller slept: the next one to fall asleep polls again at once instead.
  let pendingWake = false;
  const workers: Promise<void>[] = [];

  /** Sleeps `ms`, or until woken when `ms` is undefined. */
  const sleep = (ms: number | undefined) =>
    new Promise<void>((resolve) => {
      if (pendingWake || stopped) {
        pendingWake = false;
        resolve();
        return;
      }
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });
  const wakeAll = () => {
    if (sleepers.size === 0) pendingWake = true;
    for (const done of [...sleepers]) done();
  };

  const worker = async (lead: boolean) => {
    while (!stopped) {
      let messages: Message[] = [];
      try {
        const received = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: options.batchSize,
            WaitTimeSeconds: 0,
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
            ...(options.visibilityTimeoutSeconds !== undefined
              ? { VisibilityTimeout: options.visibilityTimeoutSeconds }
              : {}),
          }),
        );
        messages = received.Messages ?? [];
      } catch (error) {
        if (stopped) return;
        options.logger.warn('receive failed', { queue: options.queueUrl, error });
      }
      if (messages.length === 0) {
        await sleep(lead ? idlePollMs : undefined);
        continue;
      }
      // A full batch: there may be more, for the sleeping pollers.
      if (messages.length >= options.batchSize && sleepers.size > 0) wakeAll();
      await deliver(options, messages);
    }
  };

  for (let i = 0; i < Math.max(1, options.maxConcurrency); i += 1) workers.push(worker(i === 0));

  return {
    wake: wakeAll,
    stop: async () => {
      stopped = true;
      wakeAll();
      await Promise.allSettled(workers);
    },
  };
}

async function deliver(options: EventSourceOptions, messages: Message[]): Promise<void> {
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId as string,
      receiptHandle: m.ReceiptHandle as string,
      body: m.Body ?? '',
      attributes: (m.Attributes ?? {}) as SQSEvent['Records'][number]['attributes'],
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: options.queueArn,
      awsRegion: 'us-east-1',
    })),
  };
  let failed: Set<string>;
  try {
    const response = (await invoke(options.fn, event)) as SQSBatchResponse | undefined;
    failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  } catch (error) {
    // A function error fails the whole batch; every message comes back after its visibility timeout.
    options.logger.error('consumer failed', { function: options.fn.name, error });
    return;
  }
  const done = messages.filter((m) => !failed.has(m.MessageId as string));
  if (done.length === 0) return;
  try {
    await options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
      }),
    );
  } catch (error) {
    // Undeleted messages come back after their visibility timeout, as with Lambda.
    options.logger.warn('delete failed', { queue: options.queueUrl, error });
  }
}
