/**
 * The production service's ports built from a function's dependencies: its own table, the
 * workflows store, the catalog (counting a step's outputs) and the transformation service.
 */
import type { MetaQuery } from '#shared/catalog/query.ts';
import { catalogTable, findFiles } from '#shared/catalog/service.ts';
import { readFields } from '#shared/catalog/store.ts';
import { type Deps, tableName } from '#shared/deps.ts';
import { transformationsOf } from '#shared/transformations/store/transformations.ts';
import { getWorkflow, putWorkflow } from '#shared/workflows/store.ts';
import type { ProductionPorts, TransformationsPort } from './service.ts';
import { createProductionStore } from './store/productions.ts';

/** The transformation service, and a lookup of a production step's transformation. */
export function createProductionPorts(
  deps: Deps,
  service: Omit<TransformationsPort, 'findStep'>,
): ProductionPorts {
  const workflowsTable = () => tableName(deps.resources, 'workflows');
  const transformations: TransformationsPort = {
    submit: (identity, spec) => service.submit(identity, spec),
    status: (identity, id) => service.status(identity, id),
    start: (identity, id) => service.start(identity, id),
    stop: (identity, id) => service.stop(identity, id),
    clean: (identity, id) => service.clean(identity, id),
    // Read only when a submission resumes: the VO's transformations whatever their state (byVo).
    async findStep(vo, productionId, step) {
      const store = { dynamo: deps.aws.dynamo, table: tableName(deps.resources, 'transformations') };
      const found = (await transformationsOf(store, vo)).find(
        (t) => t.productionId === productionId && t.step === step,
      );
      return found?.transformationId;
    },
  };
  return {
    store: createProductionStore(deps.aws.dynamo, tableName(deps.resources, 'productions')),
    workflows: {
      put: (workflow) => putWorkflow(deps.aws.dynamo, workflowsTable(), workflow, deps.now().toISOString()),
      get: (workflowId) => getWorkflow(deps.aws.dynamo, workflowsTable(), workflowId),
    },
    catalog: {
      fieldTypes: (vo: string) => readFields(catalogTable(deps), vo),
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
