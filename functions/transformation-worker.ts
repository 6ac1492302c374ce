/**
 * The transformation agent's worker, fed by the transformationWork queue: one cycle of one
 * transformation (shared/transformations/cycle.ts). A cycle that ran out of budget asks for the
 * next at once; one that found the lease held asks again shortly, so a wake-up is never lost.
 */
import type { Deps } from '#shared/deps.ts';
import { lambdaEntry } from '#shared/environment.ts';
import { createSqsHandler } from '#shared/sqs/handler.ts';
import { runCycle } from '#shared/transformations/cycle.ts';
import { createEnginePorts, workMessageSchema } from '#shared/transformations/ports.ts';

export function createHandler(deps: Deps) {
  const ports = createEnginePorts(deps);
  return createSqsHandler(deps.logger, workMessageSchema, async ({ transformationId }) => {
    const result = await runCycle(ports, transformationId);
    if (result === 'more') await ports.requeue(transformationId);
    if (result === 'busy') await ports.requeue(transformationId, 2);
  });
}

export const handler = lambdaEntry(createHandler);
