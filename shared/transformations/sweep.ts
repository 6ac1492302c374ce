/**
 * The transformation sweep (DIRAC's TransformationAgent loop): every transformation that is not
 * Cleaned gets a cycle request on the work queue, where the lease keeps one cycle at a time. A
 * transformation written before the byVo index existed is put into it here, so catalog events
 * find it.
 */
import type { Deps } from '#shared/deps.ts';
import { transformationStates } from '#shared/transformations/model.ts';
import { requestCycle } from '#shared/transformations/ports.ts';
import {
  indexByVo,
  type TableStore,
  transformationsIn,
  transformationsOf,
} from '#shared/transformations/store/transformations.ts';

export async function sweep(input: {
  deps: Pick<Deps, 'aws' | 'resources'>;
  store: TableStore;
  vos: readonly string[];
}): Promise<{ requested: number }> {
  let requested = 0;
  for (const vo of input.vos) {
    const indexed = new Set((await transformationsOf(input.store, vo)).map((t) => t.transformationId));
    for (const state of transformationStates.filter((s) => s !== 'Cleaned')) {
      for (const t of await transformationsIn(input.store, vo, state)) {
        if (!indexed.has(t.transformationId)) await indexByVo(input.store, t);
        await requestCycle(input.deps, t.transformationId);
        requested += 1;
      }
    }
  }
  return { requested };
}
