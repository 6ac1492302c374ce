/** Catalog events (the catalogEvents queue) onto transformations (shared/transformations/events.ts). */
import { catalogEventSchema } from '#shared/catalog/events.ts';
import { effectiveMetadata, findFiles } from '#shared/catalog/service.ts';
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createSqsHandler } from '#shared/sqs/handler.ts';
import { onCatalogEvent } from '#shared/transformations/events.ts';
import { createEnginePorts } from '#shared/transformations/ports.ts';

export function createHandler(deps: Deps) {
  const ports = {
    ...createEnginePorts(deps),
    effectiveMetadata: (lfns: readonly string[]) => effectiveMetadata(deps, lfns),
    findUnder: (
      vo: string,
      t: { inputQuery?: Parameters<typeof findFiles>[2] },
      path: string,
      start?: string,
    ) => findFiles(deps, vo, t.inputQuery ?? [], { path, ...(start ? { start } : {}) }),
  };
  return createSqsHandler(deps.logger, catalogEventSchema, (event) => onCatalogEvent(ports, event));
}

export const handler = lambdaEntry(createHandler);
