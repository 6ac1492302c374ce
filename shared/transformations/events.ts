/**
 * Catalog events onto transformations: a file registered or given metadata joins every
 * transformation of its VO whose input query its effective metadata now matches; a directory
 * given metadata has the files under it that match join. Each transformation that gained files is
 * asked for a cycle at once, so new data becomes tasks without waiting for the sweep.
 */
import type { CatalogEvent } from '#shared/catalog/events.ts';
import { matches } from '#shared/catalog/query.ts';
import { joinFiles } from '#shared/transformations/cycle.ts';
import type { TransformationRecord } from '#shared/transformations/model.ts';
import type { EnginePorts } from '#shared/transformations/ports.ts';
import { joining } from '#shared/transformations/states.ts';
import { transformationsOf } from '#shared/transformations/store/transformations.ts';

export interface EventPorts extends EnginePorts {
  readonly effectiveMetadata: (
    lfns: readonly string[],
  ) => Promise<Map<string, Record<string, number | string>>>;
  readonly findUnder: (
    vo: string,
    t: TransformationRecord,
    path: string,
    start?: string,
  ) => Promise<{ lfns: string[]; next?: string }>;
}

export async function onCatalogEvent(ports: EventPorts, event: CatalogEvent): Promise<void> {
  // One walk of the VO's transformations whatever their state: walking the states one by one, a
  // transformation completing (or reopening) in between is in no answer, and would miss the file.
  const listening = (await transformationsOf(ports.store, event.vo)).filter(
    (t) => t.inputQuery !== undefined && joining.includes(t.state),
  );
  if (listening.length === 0) return;
  if (event.kind === 'fileChanged') {
    const metadata = await ports.effectiveMetadata(event.lfns);
    for (const t of listening) {
      const query = t.inputQuery ?? [];
      const lfns = event.lfns.filter((lfn) => {
        const meta = metadata.get(lfn);
        return meta !== undefined && matches(query, meta);
      });
      if ((await joinFiles(ports, t, lfns)) > 0) await ports.requeue(t.transformationId);
    }
    return;
  }
  for (const t of listening) {
    let joined = 0;
    let next: string | undefined;
    do {
      const page = await ports.findUnder(event.vo, t, event.path, next);
      joined += await joinFiles(ports, t, page.lfns);
      next = page.next;
    } while (next !== undefined);
    if (joined > 0) await ports.requeue(t.transformationId);
  }
}
