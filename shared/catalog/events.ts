/**
 * Catalog events: what changed in the catalog, on the `catalogEvents` queue, so that
 * transformations pick up matching files as they are registered, without a polling agent.
 * `fileChanged` names up to 100 files registered or given metadata; `directoryChanged` a directory
 * whose metadata changed (every file under it may now match differently).
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { chunk } from '#shared/concurrency.ts';
import { lfnSchema } from '#shared/data/model.ts';
import { queueUrl, type ResourceNames } from '#shared/deps.ts';

export const lfnsPerEvent = 100;

export const catalogEventSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('fileChanged'),
    vo: z.string().min(1),
    lfns: z.array(lfnSchema).min(1).max(lfnsPerEvent),
  }),
  z.strictObject({ kind: z.literal('directoryChanged'), vo: z.string().min(1), path: lfnSchema }),
]);
export type CatalogEvent = z.infer<typeof catalogEventSchema>;

export interface CatalogEventDeps {
  readonly aws: { readonly sqs: SQSClient };
  readonly resources: ResourceNames;
}

/** One `fileChanged` per 100 LFNs, ten messages to a batch; SQS's refusals are retried. */
export async function fileChanged(
  deps: CatalogEventDeps,
  vo: string,
  lfns: readonly string[],
): Promise<void> {
  await send(
    deps,
    chunk([...new Set(lfns)], lfnsPerEvent).map((part) => ({ kind: 'fileChanged', vo, lfns: part })),
  );
}

export async function directoryChanged(deps: CatalogEventDeps, vo: string, path: string): Promise<void> {
  await send(deps, [{ kind: 'directoryChanged', vo, path }]);
}

async function send(deps: CatalogEventDeps, events: readonly CatalogEvent[]): Promise<void> {
  const url = queueUrl(deps.resources, 'catalogEvents');
  for (const batch of chunk(events, 10)) {
    let entries = batch.map((event, index) => ({ Id: String(index), MessageBody: JSON.stringify(event) }));
    for (let attempt = 0; entries.length > 0; attempt += 1) {
      if (attempt > 5) throw new Error(`SQS refused ${entries.length} catalog events.`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      const result = await deps.aws.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }),
      );
      const failed = new Set((result.Failed ?? []).map((f) => f.Id));
      entries = entries.filter((entry) => failed.has(entry.Id));
    }
  }
}
