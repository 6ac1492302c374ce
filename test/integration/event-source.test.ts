import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, emulatorCredentials, startEmulators } from '#local/emulators.ts';
import { startEventSource } from '#local/event-source.ts';
import type { LocalFunction } from '#local/invoke.ts';
import { deadLetterQueueUrl, provisionResources } from '#local/provision.ts';
import { createAwsClients } from '#shared/aws/clients.ts';
import type { AwsClients } from '#shared/deps.ts';
import { createLogger } from '#shared/log.ts';

const logger = createLogger({ level: 'error', write: () => undefined });

function consumer(handle: (event: SQSEvent) => Promise<unknown>): LocalFunction {
  return {
    name: 'testConsumer',
    definition: {
      description: 't',
      entry: 'x',
      timeoutSeconds: 5,
      memoryMb: 128,
      tables: {},
      queues: {},
      routes: [],
    },
    handler: (event) => handle(event as SQSEvent),
  };
}

const until = async (check: () => boolean | Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
};

describe('SQS event source (embedded)', () => {
  let emulators: Emulators;
  let aws: AwsClients;
  let queueUrl: string;
  const prefix = 'evsrc';

  beforeAll(async () => {
    emulators = await startEmulators({ dataDir: mkdtempSync(join(tmpdir(), 'muon-evsrc-')), inMemory: true });
    aws = createAwsClients({ endpoints: emulators.endpoints, credentials: emulatorCredentials });
    const resources = await provisionResources(aws, prefix);
    queueUrl = resources.queues.jobPath as string;
  });
  afterAll(() => emulators?.close());

  const send = (bodies: string[]) =>
    aws.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
      }),
    );

  it('delivers in batches no larger than the batch size and deletes what succeeded', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    const source = startEventSource({
      sqs: aws.sqs,
      queueUrl,
      queueArn: 'arn',
      fn: consumer(async (event) => {
        sizes.push(event.Records.length);
        for (const r of event.Records) seen.push(r.body);
        return { batchItemFailures: [] };
      }),
      batchSize: 3,
      maxConcurrency: 1,
      idlePollMs: 50,
      logger,
    });
    await send(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    await until(() => seen.length >= 7);
    await source.stop();
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3);
    const left = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(left.Messages ?? []).toHaveLength(0);
  });

  it('polls with one poller while idle, and a wake-up or a full batch brings in the others', async () => {
    let receives = 0;
    const sqs = {
      send: (command: ReceiveMessageCommand) => {
        if (command instanceof ReceiveMessageCommand) receives += 1;
        return aws.sqs.send(command as never);
      },
    } as unknown as AwsClients['sqs'];
    let inFlight = 0;
    let mostInFlight = 0;
    let delivered = 0;
    const source = startEventSource({
      sqs,
      queueUrl,
      queueArn: 'arn',
      fn: consumer(async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 300));
        inFlight -= 1;
        delivered += event.Records.length;
        return { batchItemFailures: [] };
      }),
      batchSize: 2,
      maxConcurrency: 4,
      idlePollMs: 50,
      logger,
    });
    await new Promise((r) => setTimeout(r, 600));
    // Four pollers each asking every 50 ms would make about 48 requests.
    expect(receives).toBeLessThan(20);
    await send(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
    source.wake();
    await until(() => delivered >= 8);
    await source.stop();
    expect(mostInFlight).toBeGreaterThan(1);
  });

  it('redelivers only the reported failures and moves them to the DLQ after maxReceiveCount', async () => {
    const attempts = new Map<string, number>();
    const source = startEventSource({
      sqs: aws.sqs,
      queueUrl,
      queueArn: 'arn',
      fn: consumer(async (event) => ({
        batchItemFailures: event.Records.filter((r) => {
          attempts.set(r.body, (attempts.get(r.body) ?? 0) + 1);
          return r.body.startsWith('bad');
        }).map((r) => ({ itemIdentifier: r.messageId })),
      })),
      batchSize: 10,
      maxConcurrency: 2,
      visibilityTimeoutSeconds: 1,
      idlePollMs: 100,
      logger,
    });
    await send(['good-1', 'bad-1', 'good-2']);
    const dlqUrl = deadLetterQueueUrl(queueUrl, 'jobPath', prefix);
    const dlqDepth = async () => {
      const { Attributes } = await aws.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    };
    await until(async () => (await dlqDepth()) === 1, 30_000);
    await source.stop();
    expect(attempts.get('good-1')).toBe(1);
    expect(attempts.get('good-2')).toBe(1);
    // jobPath's maxReceiveCount is 5: five receives, then SQS moves it aside.
    expect(attempts.get('bad-1')).toBe(5);
    const dead = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['bad-1']);
  });

  it('leaves the whole batch for redelivery when the function throws', async () => {
    let calls = 0;
    const bodies: string[] = [];
    const source = startEventSource({
      sqs: aws.sqs,
      queueUrl,
      queueArn: 'arn',
      fn: consumer(async (event) => {
        calls += 1;
        if (calls === 1) throw new Error('transient');
        for (const r of event.Records) bodies.push(r.body);
        return {};
      }),
      batchSize: 10,
      maxConcurrency: 1,
      visibilityTimeoutSeconds: 1,
      idlePollMs: 100,
      logger,
    });
    await send(['x1', 'x2']);
    await until(() => bodies.length >= 2, 20_000);
    await source.stop();
    expect(bodies.sort()).toEqual(['x1', 'x2']);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
