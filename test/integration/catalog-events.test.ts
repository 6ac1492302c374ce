/**
 * Catalog events on the embedded runtime's own queue: the emulators get the `catalogEvents` queue
 * from shared/resources.ts, and what the catalog sends there is read back as sent, one message per
 * 100 LFNs, each valid against the message schema.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, emulatorCredentials, startEmulators } from '#local/emulators.ts';
import { provisionResources } from '#local/provision.ts';
import { createAwsClients } from '#shared/aws/clients.ts';
import { catalogEventSchema, directoryChanged, fileChanged } from '#shared/catalog/events.ts';
import type { AwsClients, ResourceNames } from '#shared/deps.ts';

describe('Catalog events (embedded)', () => {
  let emulators: Emulators;
  let aws: AwsClients;
  let resources: ResourceNames;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'muon-catalog-events-'));
    emulators = await startEmulators({ dataDir, inMemory: true });
    aws = createAwsClients({ endpoints: emulators.endpoints, credentials: emulatorCredentials });
    resources = await provisionResources(aws, 'catev');
  });
  afterAll(async () => {
    await emulators?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('are sent to the catalogEvents queue the runtime made, and read back as sent', async () => {
    expect(resources.queues.catalogEvents).toMatch(/catev-catalog-events$/);
    const lfns = Array.from({ length: 250 }, (_, i) => `/vo.example.org/data/f${i}`);
    await fileChanged({ aws, resources }, 'vo.example.org', lfns);
    await directoryChanged({ aws, resources }, 'vo.example.org', '/vo.example.org/data');

    const received: unknown[] = [];
    for (let attempt = 0; attempt < 20 && received.length < 4; attempt += 1) {
      const { Messages = [] } = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.queues.catalogEvents,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
        }),
      );
      received.push(...Messages.map((message) => JSON.parse(message.Body as string)));
    }
    const events = received.map((body) => catalogEventSchema.parse(body));
    const files = events.filter((event) => event.kind === 'fileChanged');
    expect(files.map((event) => event.lfns.length).sort()).toEqual([100, 100, 50]);
    expect(files.flatMap((event) => event.lfns).sort()).toEqual([...lfns].sort());
    expect(events).toContainEqual({
      kind: 'directoryChanged',
      vo: 'vo.example.org',
      path: '/vo.example.org/data',
    });
  });
});
