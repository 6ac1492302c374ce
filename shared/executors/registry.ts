/**
 * Every executor muon knows, by DIRAC name. A community adds its own by writing a module that
 * returns an `Executor` and naming it in `communityExecutors` below; `executors.basePath` /
 * `endPath` in the configuration then put it in the chain. It runs on the `customExecutors`
 * queue, so it needs no table, queue or function of its own.
 */
import type { Deps } from '#shared/deps.ts';
import { tableName } from '#shared/deps.ts';
import type { Executor } from '#shared/executors/executor.ts';
import { createInputData } from '#shared/executors/input-data.ts';
import { createJobPath } from '#shared/executors/job-path.ts';
import { createJobSanity } from '#shared/executors/job-sanity.ts';
import { createJobScheduling } from '#shared/executors/job-scheduling.ts';
import { listReplicas } from '#shared/files/catalog.ts';
import { createSandboxPort } from '#shared/sandboxes/port.ts';
import { createTaskQueuePort } from '#shared/taskqueues/port.ts';

export type ExecutorFactory = (deps: Deps) => Executor;

/** Community executors: name → factory. */
export const communityExecutors: Readonly<Record<string, ExecutorFactory>> = {};

const builtins: Readonly<Record<string, ExecutorFactory>> = {
  JobPath: (deps) => createJobPath(deps.config, knownExecutors()),
  JobSanity: (deps) => createJobSanity(createSandboxPort(deps), deps.config.limits.maxSandboxBytes),
  InputData: (deps) =>
    createInputData(deps.config, {
      replicas: (lfns) => listReplicas(deps.aws.dynamo, tableName(deps.resources, 'fileCatalog'), lfns),
    }),
  JobScheduling: (deps) => createJobScheduling(deps.config, createTaskQueuePort(deps), deps.now),
};

export const knownExecutors = (): ReadonlySet<string> =>
  new Set([...Object.keys(builtins), ...Object.keys(communityExecutors)]);

export function createExecutor(name: string, deps: Deps): Executor {
  const factory = builtins[name] ?? communityExecutors[name];
  if (!factory) throw new Error(`No executor named ${name}.`);
  return factory(deps);
}
