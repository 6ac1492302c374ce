/**
 * The production service's ports built from a function's dependencies: its own table, the
 * workflows store, the catalog (counting a step's outputs) and the transformation service.
 */
import type { MetaQuery } from '#shared/catalog/query.ts';
import { findFiles } from '#shared/catalog/service.ts';
import { type Deps, tableName } from '#shared/deps.ts';
import { getWorkflow, putWorkflow } from '#shared/workflows/store.ts';
import type { ProductionPorts, TransformationsPort } from './service.ts';
import { createProductionStore } from './store/productions.ts';

export function createProductionPorts(deps: Deps, transformations: TransformationsPort): ProductionPorts {
  const workflowsTable = () => tableName(deps.resources, 'workflows');
  return {
    store: createProductionStore(deps.aws.dynamo, tableName(deps.resources, 'productions')),
    workflows: {
      put: (workflow) => putWorkflow(deps.aws.dynamo, workflowsTable(), workflow, deps.now().toISOString()),
      get: (workflowId) => getWorkflow(deps.aws.dynamo, workflowsTable(), workflowId),
    },
    catalog: {
      async count(vo: string, query: MetaQuery) {
        let count = 0;
        let start: string | undefined;
        do {
          const page = await findFiles(deps, vo, query, { limit: 10_000, ...(start ? { start } : {}) });
          count += page.lfns.length;
          start = page.next;
        } while (start);
        return count;
      },
    },
    transformations,
    now: deps.now,
  };
}
