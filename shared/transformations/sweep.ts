/**
 * The transformation sweep (DIRAC's TransformationAgent loop): every transformation that is not
 * Cleaned gets a cycle request on the work queue, where the lease keeps one cycle at a time.
 */
import type { Deps } from '#shared/deps.ts';
import { transformationStates } from '#shared/transformations/model.ts';
import { requestCycle } from '#shared/transformations/ports.ts';
import { type TableStore, transformationsIn } from '#shared/transformations/store/transformations.ts';

export async function sweep(input: {
  deps: Pick<Deps, 'aws' | 'resources'>;
  store: TableStore;
  vos: readonly string[];
}): Promise<{ requested: number }> {
  let requested = 0;
  for (const vo of input.vos) {
    for (const state of transformationStates.filter((s) => s !== 'Cleaned')) {
      for (const t of await transformationsIn(input.store, vo, state)) {
        await requestCycle(input.deps, t.transformationId);
        requested += 1;
      }
    }
  }
  return { requested };
}
